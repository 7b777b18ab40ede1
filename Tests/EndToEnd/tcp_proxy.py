"""A small TCP proxy for the end-to-end tests: forwards bytes unchanged between 127.0.0.1:<port>
and a target, and can cut connections the way a network fault would.

`cut()` closes every open connection and refuses new ones (accepted and closed at once) until
`reopen()`. Subclasses look at the bytes through `inspect_request` / `inspect_response`; the
latter may cut one connection in the middle of a response.
"""

from __future__ import annotations

import socket
import threading
from typing import Optional


def close_socket(sock: socket.socket) -> None:
    """Shuts both directions down (so the peer sees the end at once) and closes."""
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


class TCPProxy:
    """Forwards every connection to 127.0.0.1:<port> to `target` ((host, port)), one thread per
    direction. With `half_close`, the end of one direction is passed on as a half close (the other
    direction keeps flowing); without it, it ends the whole connection."""

    def __init__(self, target: tuple, backlog: int = 64, half_close: bool = True):
        self.target = target
        self.half_close = half_close
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(backlog)
        self.address = self.listener.getsockname()
        self.port = self.address[1]
        self.lock = threading.Lock()
        self.sockets: list = []
        self.refusing = False
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def cut(self) -> None:
        """Closes every open connection and refuses new ones until `reopen()`."""
        with self.lock:
            self.refusing = True
            sockets, self.sockets = self.sockets, []
        for sock in sockets:
            close_socket(sock)

    def reopen(self) -> None:
        with self.lock:
            self.refusing = False

    def close(self) -> None:
        self.closed = True
        self.cut()
        self.listener.close()

    def inspect_request(self, data: bytes, connection: dict) -> None:
        """Sees each chunk the client sends, before it is forwarded. `connection` is this
        connection's own scratch dict, shared with `inspect_response`."""

    def inspect_response(self, data: bytes, connection: dict) -> Optional[int]:
        """Sees each chunk the target sends. `None` forwards it; a number forwards only that many
        bytes of it and then cuts this connection (both sides)."""
        return None

    def connection_cut(self, connection: dict) -> None:
        """Called after `inspect_response` cut a connection."""

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                refusing = self.refusing
            if refusing:
                close_socket(client)
                continue
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                close_socket(client)
                continue
            server.settimeout(None)
            for sock in (client, server):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self.lock:
                self.sockets += [client, server]
            connection: dict = {}
            threading.Thread(target=self._pump, args=(client, server, connection, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, connection, False), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, connection: dict, requests: bool) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    if self.half_close:
                        sink.shutdown(socket.SHUT_WR)
                    break
                if requests:
                    self.inspect_request(data, connection)
                else:
                    keep = self.inspect_response(data, connection)
                    if keep is not None:
                        sink.sendall(data[:max(0, keep)])
                        close_socket(sink)
                        close_socket(source)
                        self.connection_cut(connection)
                        return
                sink.sendall(data)
        except OSError:
            pass
        finally:
            if not self.half_close:
                for sock in (source, sink):
                    try:
                        sock.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
