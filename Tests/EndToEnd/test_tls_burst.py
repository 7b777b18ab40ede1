"""A burst of wss:// streams against a Spark stand-in on Python's `ssl` (OpenSSL as most TLS
servers run it: TLS 1.3, two session tickets per full handshake, one per resumption) and the
`websockets` server. Every stream opens its own upstream connection, all at once, and their answers
stay open until every stream has its first frame: the relay must resume the sessions a few full
handshakes brought instead of running every handshake in full (the server itself reports which
connections resumed), and hold the open streams in bounded memory.
"""

from __future__ import annotations

import asyncio
import json
import re
import ssl
import threading
from pathlib import Path

from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed

from spark_peers import CREDS, START_TIMEOUT, content_frame, verify_signed_target

STREAMS = 200
# At most 8 full handshakes run at once per server while no session is cached, and more start only
# while more streams wait than the handshakes in flight bring sessions for: about 30 of 200 in full
# measured (194 when every handshake of the burst ran in full).
FULL_HANDSHAKES_AT_MOST = 60
# Relay RSS per open wss:// stream after a warm-up stream, with this RSA certificate: about 36 KiB
# measured, 48 KiB when every handshake of the burst ran in full.
KIB_PER_STREAM_AT_MOST = 42
OPEN_TIMEOUT = 60.0


class HoldingSpark:
    """Answers each signed request with one frame, then holds the answer until `release()`."""

    def __init__(self, ssl_context):
        self.ssl_context = ssl_context
        self.resumed: list = []
        self.rejected: list = []
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._loop.run_until_complete, args=(self._main(),), daemon=True)
        self._thread.start()
        assert self._ready.wait(START_TIMEOUT), "the websockets server did not start"

    async def _main(self) -> None:
        self._released = asyncio.Event()
        self._stopped = asyncio.Event()

        def process_request(connection, request):
            reason = verify_signed_target(request.path, request.headers.get("Host"))
            if reason is not None:
                self.rejected.append(reason)
                return connection.respond(401, "HMAC signature does not match\n")
            return None

        async with serve(self._handle, "127.0.0.1", 0, ssl=self.ssl_context, process_request=process_request,
                         ping_interval=None, compression=None, backlog=1024, open_timeout=OPEN_TIMEOUT) as server:
            self.port = server.sockets[0].getsockname()[1]
            self._ready.set()
            await self._stopped.wait()

    async def _handle(self, ws) -> None:
        self.resumed.append(ws.transport.get_extra_info("ssl_object").session_reused)
        try:
            await ws.recv()
            await ws.send(json.dumps(content_frame(0, 0, "open")))
            await self._released.wait()
            await ws.send(json.dumps(content_frame(1, 2, "。", usage={"question_tokens": 0, "prompt_tokens": 1,
                                                                      "completion_tokens": 1, "total_tokens": 2})))
            await ws.close()
        except ConnectionClosed:
            pass

    def release(self) -> None:
        self._loop.call_soon_threadsafe(self._released.set)

    def hold(self) -> None:
        """Answers from now on stay open until the next `release()`."""
        async def renew():
            self._released = asyncio.Event()
        asyncio.run_coroutine_threadsafe(renew(), self._loop).result(10)

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._stopped.set)
        self._thread.join(10)


async def open_stream(port: int, index: int):
    """POSTs a chat and reads up to its first data event; returns the reader and writer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    body = json.dumps({"messages": [{"role": "user", "content": f"流 {index}"}]}).encode()
    writer.write(b"POST /chat/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                 b"Connection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
    seen = b""
    while b"\ndata:" not in seen:
        chunk = await asyncio.wait_for(reader.read(65536), OPEN_TIMEOUT)
        assert chunk, f"stream {index} ended before its first frame: {seen[:300]!r}"
        seen += chunk
    assert seen.startswith(b"HTTP/1.1 200"), seen[:300]
    return reader, writer


async def finish_stream(reader, writer) -> bytes:
    rest = await asyncio.wait_for(reader.read(), OPEN_TIMEOUT)
    writer.close()
    return rest


def rss_kib(pid: int) -> int:
    return int(re.search(r"^VmRSS:\s+(\d+)", Path(f"/proc/{pid}/status").read_text(), re.M).group(1))


def test_a_burst_of_wss_streams_resumes_a_few_full_handshakes_sessions(start_relay, certificates):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificates / "server.pem", certificates / "server.key")
    server = HoldingSpark(context)
    try:
        relay = start_relay({}, extra_args=("--upstream", "spark", "--spark-base-url", f"wss://127.0.0.1:{server.port}",
                                            "--ca-file", str(certificates / "ca.pem")), env=CREDS)

        async def burst():
            # One stream first, so that the memory reading leaves out the code the first stream pages in.
            server.release()
            reader, writer = await open_stream(relay.port, 0)
            await finish_stream(reader, writer)
            server.hold()
            await asyncio.sleep(0.5)
            before = rss_kib(relay.proc.pid)
            streams = await asyncio.gather(*(open_stream(relay.port, i) for i in range(1, STREAMS + 1)))
            await asyncio.sleep(0.5)
            open_kib = rss_kib(relay.proc.pid)
            server.release()
            endings = await asyncio.gather(*(finish_stream(r, w) for r, w in streams))
            return before, open_kib, endings

        before, open_kib, endings = asyncio.run(burst())
    finally:
        server.stop()
    assert server.rejected == []
    assert all(b"event: done" in ending for ending in endings), [e[-200:] for e in endings if b"event: done" not in e][:3]
    burst_resumed = server.resumed[1:]
    full = burst_resumed.count(False)
    assert len(burst_resumed) == STREAMS
    assert full <= FULL_HANDSHAKES_AT_MOST, f"{full} of {STREAMS} handshakes ran in full"
    per_stream = (open_kib - before) / STREAMS
    print(f"{full} of {STREAMS} in full, {per_stream:.1f} KiB per open stream")
    assert per_stream <= KIB_PER_STREAM_AT_MOST, f"{per_stream:.1f} KiB per open wss:// stream ({before} → {open_kib} KiB)"
