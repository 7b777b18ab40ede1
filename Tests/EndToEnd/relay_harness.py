"""Harness for the end-to-end tests: run the real `spark-relay` binary, and raw-socket helpers that
parse responses with h11 (an independent, strict HTTP/1.1 implementation).

The binary comes from $SPARK_RELAY_BIN (default: <repo>/.build/debug/spark-relay). Every server
runs with the repository root as its working directory (it serves ./Public at /), listens on
127.0.0.1 with port 0, and is given a config file written into a temporary directory.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Optional

import h11
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_BIN = REPO_ROOT / ".build" / "debug" / "spark-relay"
LISTEN_RE = re.compile(r"listening on http://(127\.0\.0\.1):(\d+)")
STARTUP_TIMEOUT = 15.0
STOP_TIMEOUT = 10.0
# Never let the relay reach the real Spark service (or read a developer's credentials).
SCRUBBED_ENV = ("SPARK_APP_ID", "SPARK_API_KEY", "SPARK_API_SECRET")


def relay_binary() -> Path:
    path = Path(os.environ.get("SPARK_RELAY_BIN", str(DEFAULT_BIN)))
    return path


def relay_env() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED_ENV}
    return env


class RelayProcess:
    """One running relay. stderr is drained by a thread (access logs must never fill the pipe)."""

    def __init__(self, config_path: Optional[Path], extra_args: tuple = (), cwd: Optional[Path] = None,
                 preexec_fn=None, binary: Optional[Path] = None, env: Optional[dict] = None):
        """`config_path` None: no --config (the relay looks for its file itself); `cwd`: the working
        directory (default the repository root); `preexec_fn`: run in the child before exec; `env`:
        variables added to the scrubbed environment (e.g. fake SPARK_* credentials)."""
        binary = binary or relay_binary()
        if not binary.exists():
            pytest.fail(f"relay binary not found at {binary} (build it, or set SPARK_RELAY_BIN)")
        config_args = ["--config", str(config_path)] if config_path is not None else []
        self.args = [str(binary), "--host", "127.0.0.1", "--port", "0", *config_args, *extra_args]
        self.proc = subprocess.Popen(
            self.args, cwd=str(cwd or REPO_ROOT), env={**relay_env(), **(env or {})}, preexec_fn=preexec_fn,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.lines: list[str] = []
        self._lock = threading.Lock()
        self._listening = threading.Event()
        self.host: Optional[str] = None
        self.port: Optional[int] = None
        self.first_line: Optional[str] = None
        self._stderr_thread = threading.Thread(target=self._pump, args=(self.proc.stderr, True), daemon=True)
        self._stdout_thread = threading.Thread(target=self._pump, args=(self.proc.stdout, False), daemon=True)
        self._stderr_thread.start()
        self._stdout_thread.start()
        self.stopped_by_fixture = False

    def _pump(self, stream, is_stderr: bool) -> None:
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self._lock:
                self.lines.append(("" if is_stderr else "[stdout] ") + line)
                if is_stderr and self.first_line is None:
                    self.first_line = line
            if is_stderr and not self._listening.is_set():
                match = LISTEN_RE.search(line)
                if match:
                    self.host, self.port = match.group(1), int(match.group(2))
                    self._listening.set()
        stream.close()

    def wait_listening(self, timeout: float = STARTUP_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._listening.wait(0.05):
                return
            if self.proc.poll() is not None:
                self._stderr_thread.join(2)
                pytest.fail(f"relay exited with status {self.proc.returncode} before listening:\n{self.log_tail()}")
        self.kill()
        pytest.fail(f"relay did not print its listening line within {timeout}s:\n{self.log_tail()}")

    def wait_for_lines(self, count: int, timeout: float = STARTUP_TIMEOUT) -> list:
        """The first `count` stderr lines, once that many were written."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                lines = [line for line in self.lines if not line.startswith("[stdout] ")]
            if len(lines) >= count:
                return lines[:count]
            time.sleep(0.02)
        pytest.fail(f"the relay wrote fewer than {count} log lines within {timeout}s:\n{self.log_tail()}")

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def address(self) -> tuple:
        return (self.host, self.port)

    def log_tail(self, n: int = 40) -> str:
        with self._lock:
            return "\n".join(self.lines[-n:])

    def log_text(self) -> str:
        with self._lock:
            return "\n".join(self.lines)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def send_signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def wait(self, timeout: float) -> int:
        rc = self.proc.wait(timeout)
        self._stderr_thread.join(2)
        return rc

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)

    def stop_and_check(self) -> None:
        """Teardown: the relay must still be running, and must stop cleanly (status 0) on SIGTERM."""
        if self.stopped_by_fixture:
            return
        self.stopped_by_fixture = True
        if self.proc.poll() is not None:
            self._stderr_thread.join(2)
            pytest.fail(f"relay died during the test (status {self.proc.returncode}):\n{self.log_tail()}")
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"relay did not exit within {STOP_TIMEOUT}s of SIGTERM:\n{self.log_tail()}")
        if rc != 0:
            pytest.fail(f"relay exited with status {rc} on SIGTERM:\n{self.log_tail()}")


def write_config(directory: Path, config: Optional[dict], name: str = "relay.json") -> Path:
    path = directory / name
    path.write_text(json.dumps(config if config is not None else {}))
    return path


# ---------------------------------------------------------------------------------------------
# Raw-socket helpers, parsing responses with h11 (an independent, strict HTTP/1.1 implementation).

SOCKET_TIMEOUT = 10.0


def connect(address: tuple, timeout: float = SOCKET_TIMEOUT) -> socket.socket:
    sock = socket.create_connection(address, timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


class RawResponse:
    def __init__(self, response: h11.Response, body: bytes):
        self.status = response.status_code
        self.http_version = response.http_version
        self.reason = response.reason
        self.header_list = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers]
        self.headers = {}
        for k, v in self.header_list:
            self.headers.setdefault(k.lower(), v)
        self.body = body

    def header(self, name: str) -> Optional[str]:
        return self.headers.get(name.lower())

    def json(self):
        return json.loads(self.body)

    def __repr__(self) -> str:
        return f"<RawResponse {self.status} {self.header_list} {self.body[:200]!r}>"


def receive_response(sock: socket.socket, conn: h11.Connection) -> RawResponse:
    """Reads one complete response (head, body, end of message) for the current h11 cycle."""
    response = None
    body = bytearray()
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            data = sock.recv(65536)
            conn.receive_data(data)
            continue
        if isinstance(event, h11.InformationalResponse):
            continue
        if isinstance(event, h11.Response):
            response = event
        elif isinstance(event, h11.Data):
            body += event.data
        elif isinstance(event, h11.EndOfMessage):
            assert response is not None
            return RawResponse(response, bytes(body))
        elif isinstance(event, h11.ConnectionClosed):
            raise AssertionError(f"connection closed before a complete response (got {response!r}, {bytes(body)!r})")


def raw_request(address: tuple, data: bytes, timeout: float = SOCKET_TIMEOUT) -> tuple:
    """Sends raw bytes on a new connection and reads one response with h11.
    Returns (response, socket, h11 connection); the caller closes the socket."""
    sock = connect(address, timeout)
    sock.sendall(data)
    conn = h11.Connection(our_role=h11.CLIENT)
    response = receive_response(sock, conn)
    return response, sock, conn


def read_until_eof(sock: socket.socket, timeout: float = SOCKET_TIMEOUT) -> bytes:
    """Reads until the peer closes (EOF or reset); fails if that takes longer than `timeout`."""
    sock.settimeout(timeout)
    data = bytearray()
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return bytes(data)
        except socket.timeout:
            raise AssertionError(f"server did not close the connection within {timeout}s (read {bytes(data)!r})")
        if not chunk:
            return bytes(data)
        data += chunk


def h11_request(method: str, target: str, headers: Optional[list] = None, body: bytes = b"") -> tuple:
    """Serializes one request with a throwaway h11 connection; returns (h11.Request, bytes)."""
    headers = list(headers or [("Host", "127.0.0.1")])
    if body:
        headers.append(("Content-Length", str(len(body))))
    request = h11.Request(method=method, target=target, headers=headers)
    conn = h11.Connection(our_role=h11.CLIENT)
    data = conn.send(request)
    if body:
        data += conn.send(h11.Data(data=body))
    data += conn.send(h11.EndOfMessage())
    return request, data


def threads_that_could_lose(pid: int, signals=(signal.SIGINT, signal.SIGTERM)) -> list[str]:
    """Why `pid` could lose one of `signals`: the signal is ignored, or a thread other than the main
    one does not block it. The relay and spark-sim block them in every thread and take them with
    sigwait on the main thread (which unblocks them only while it waits there). They once ignored
    them for Dispatch signal sources while dispatchMain() parked the main thread in sigsuspend with
    an empty mask: the kernel then discarded about one SIGTERM in three, and nothing drained."""
    problems = []
    for task in sorted(Path(f"/proc/{pid}/task").iterdir()):
        fields = dict(line.split(":\t", 1) for line in (task / "status").read_text().splitlines() if ":\t" in line)
        blocked, ignored = int(fields["SigBlk"], 16), int(fields["SigIgn"], 16)
        for sig in signals:
            bit = 1 << (sig - 1)
            if ignored & bit:
                problems.append(f"{sig.name} is ignored")
            if task.name != str(pid) and not blocked & bit:
                problems.append(f"thread {task.name} ({fields['Name'].strip()}) does not block {sig.name}")
    return sorted(set(problems))
