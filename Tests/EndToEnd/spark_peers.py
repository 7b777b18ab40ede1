"""Spark-side peers for the release interop tests (test_release_interop.py), written from
iFlytek's public protocol documentation (summarised in Sources/SparkCodec/README.md) and RFC 6455
only, never from the Swift sources:

* `sign_url`: Spark's signed URL, computed in Python (HMAC-SHA256, base64, form encoding).
* `SimProcess`: the release `spark-sim` on 127.0.0.1 with a free port, credentials from its env.
* `FakeSpark`: a Spark look-alike on the `websockets` SERVER. It verifies the signed URL, lets
  `websockets` unmask and validate every frame the client sends (request, pongs, close), records
  the request text, then plays a scripted answer: frames sent whole or fragmented (text +
  continuation frames, split inside UTF-8 characters), with pings whose pongs it waits for (a pong
  with a corrupt payload never matches, so a bad mask shows up as a missing pong).
* `parse_sse`: a small, strict SSE reader for the relay's responses.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import re
import subprocess
import threading
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path
from typing import Optional
from urllib.parse import parse_qs, urlencode, urlparse
import time

from websockets.asyncio.server import serve
from websockets.datastructures import Headers
from websockets.http11 import Response

# Fake credentials, used by both ends of every test; they open nothing but local peers.
APP_ID = "app00042"
API_KEY = "f00dfeedf00dfeedf00dfeedf00dfeed"
API_SECRET = "interop-release-secret-never-shown"
CREDS = {"SPARK_APP_ID": APP_ID, "SPARK_API_KEY": API_KEY, "SPARK_API_SECRET": API_SECRET}

# Every wait in this module is bounded by one of these (seconds).
START_TIMEOUT = 15.0
STOP_TIMEOUT = 10.0
PONG_TIMEOUT = 10.0
REQUEST_TIMEOUT = 20.0
MAX_CLOCK_SKEW = 300


def clean_env(extra: Optional[dict] = None) -> dict:
    """The test process's environment without any SPARK_* value (never a developer's real key)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPARK_") and not k.startswith("IFLYTEK_")}
    env.update(extra or {})
    return env


def sign_url(url: str, api_key: str = API_KEY, api_secret: str = API_SECRET, date: Optional[str] = None) -> str:
    """Sources/SparkCodec/README.md §3.1: HMAC-SHA256 over host/date/request-line, base64, then the
    authorization text base64-encoded, every query value form-encoded."""
    parsed = urlparse(url)
    host = parsed.netloc  # with :port, as Python clients send it
    date = date or formatdate(usegmt=True)
    origin = f"host: {host}\ndate: {date}\nGET {parsed.path} HTTP/1.1"
    signature = base64.b64encode(hmac.new(api_secret.encode(), origin.encode(), hashlib.sha256).digest()).decode()
    authorization_origin = (f'api_key="{api_key}", algorithm="hmac-sha256", '
                            f'headers="host date request-line", signature="{signature}"')
    authorization = base64.b64encode(authorization_origin.encode()).decode()
    return f"{parsed.scheme}://{host}{parsed.path}?" + urlencode(
        {"authorization": authorization, "date": date, "host": host})


def verify_signed_target(target: str, host_header: Optional[str], api_key: str = API_KEY,
                         api_secret: str = API_SECRET) -> Optional[str]:
    """Checks a request target against Spark's URL-signing rules. None when valid, else why not."""
    parsed = urlparse(target)
    query = parse_qs(parsed.query, keep_blank_values=True, strict_parsing=False)
    for name in ("authorization", "date", "host"):
        if len(query.get(name, [])) != 1:
            return f"query parameter {name!r} missing or repeated in {parsed.query!r}"
    host, date = query["host"][0], query["date"][0]
    if host != host_header:
        return f"host parameter {host!r} differs from the Host header {host_header!r}"
    try:
        skew = abs(time.time() - parsedate_to_datetime(date).timestamp())
    except (TypeError, ValueError):
        return f"unparseable date {date!r}"
    if not date.endswith(" GMT") or skew > MAX_CLOCK_SKEW:
        return f"date {date!r} is not RFC 1123 GMT within {MAX_CLOCK_SKEW}s (skew {skew:.0f}s)"
    try:
        authorization = base64.b64decode(query["authorization"][0], validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        return "authorization is not base64 of UTF-8 text"
    fields = dict(re.findall(r'(\w+)="([^"]*)"', authorization))
    expected_fields = {"api_key": api_key, "algorithm": "hmac-sha256", "headers": "host date request-line"}
    for name, value in expected_fields.items():
        if fields.get(name) != value:
            return f"authorization field {name}={fields.get(name)!r}, expected {value!r}"
    origin = f"host: {host}\ndate: {date}\nGET {parsed.path} HTTP/1.1"
    expected = base64.b64encode(hmac.new(api_secret.encode(), origin.encode(), hashlib.sha256).digest()).decode()
    if not hmac.compare_digest(fields.get("signature", ""), expected):
        return "HMAC signature does not match"
    return None


# ---------------------------------------------------------------------------------------------
# The release spark-sim.

class SimProcess:
    """A running `spark-sim` (port 0); its ws:// URL is read from the line it prints first.
    `stop()` (always call it) ends it with SIGTERM, or SIGKILL when that does not work."""

    LISTEN = re.compile(r"listening on (wss?://\S+)")

    def __init__(self, binary: Path, env: dict, *args: str):
        if not binary.exists():
            raise AssertionError(f"spark-sim not found at {binary} (build it beside spark-relay)")
        self.proc = subprocess.Popen([str(binary), "--host", "127.0.0.1", "--port", "0", *args],
                                     env=clean_env(env), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, encoding="utf-8", errors="replace")
        self.lines: list[str] = []
        self.url: Optional[str] = None
        self._ready = threading.Event()
        threading.Thread(target=self._pump, daemon=True).start()
        if not self._ready.wait(START_TIMEOUT) or not self.url:
            self.stop(check=False)
            raise AssertionError("spark-sim did not print its listening line:\n" + "\n".join(self.lines))

    def _pump(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))
            match = self.LISTEN.search(line)
            if match and self.url is None:
                self.url = match.group(1).rstrip("/")
                self._ready.set()
        self._ready.set()

    def stop(self, check: bool = True) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(STOP_TIMEOUT)
                if check:
                    raise AssertionError("spark-sim ignored SIGTERM")
        if check and self.proc.returncode != 0:
            raise AssertionError(f"spark-sim exited with {self.proc.returncode}:\n" + "\n".join(self.lines[-20:]))


# ---------------------------------------------------------------------------------------------
# A Spark look-alike on the websockets server.

@dataclass
class AnswerMessage:
    """One answer frame (a whole Spark JSON message) and how to send it."""
    frame: dict
    fragments: tuple = ()      # byte offsets where continuation frames start (may cut a UTF-8 character)
    ping_before: bool = False  # a Ping before the message (and one between every two fragments)
    ensure_ascii: bool = False  # \\uXXXX escapes instead of raw UTF-8
    compact: bool = True       # Spark sends compact JSON; False adds the spaces json.dumps puts by default

    def encoded(self) -> bytes:
        separators = (",", ":") if self.compact else (", ", ": ")
        return json.dumps(self.frame, ensure_ascii=self.ensure_ascii, separators=separators).encode()

    def payload_bytes(self) -> bytes:
        """The frame's `payload`, compact, with this message's escaping: what the relay forwards."""
        return json.dumps(self.frame["payload"], ensure_ascii=self.ensure_ascii, separators=(",", ":")).encode()


SID = "cht000e2e@dx0000000000000000c0"


def content_frame(seq: int, status: int, content: str, usage: Optional[dict] = None) -> dict:
    frame = {"header": {"code": 0, "message": "Success", "sid": SID, "status": status},
             "payload": {"choices": {"status": status, "seq": seq,
                                     "text": [{"content": content, "role": "assistant", "index": 0}]}}}
    if usage is not None:
        frame["payload"]["usage"] = {"text": usage}
    return frame


def answer_script(pieces: list, fragment: dict = None, ping: set = (), ascii_: set = (), loose: set = ()) -> list:
    """Answer messages for `pieces` (status 0, 1…, 2 with usage on the last). `fragment` maps a piece
    index to its fragment offsets; `ping`, `ascii_` and `loose` are sets of indexes."""
    fragment = fragment or {}
    usage = {"question_tokens": 0, "prompt_tokens": 11, "completion_tokens": len(pieces), "total_tokens": 11 + len(pieces)}
    messages = []
    for index, content in enumerate(pieces):
        last = index == len(pieces) - 1
        status = 2 if last else (0 if index == 0 else 1)
        messages.append(AnswerMessage(content_frame(index, status, content, usage if last else None),
                                      fragments=tuple(fragment.get(index, ())), ping_before=index in ping,
                                      ensure_ascii=index in ascii_, compact=index not in loose))
    return messages


@dataclass
class Session:
    """What FakeSpark saw on one connection."""
    path: str = ""
    request_text: Optional[str] = None
    request: Optional[dict] = None
    pongs: int = 0
    close_code: Optional[int] = None
    tls_resumed: Optional[bool] = None
    errors: list = field(default_factory=list)
    done: bool = False
    ended: threading.Event = field(default_factory=threading.Event)


class FakeSpark:
    """A Spark gateway stand-in on the `websockets` server, in a background thread with its own
    event loop. Each connection gets `script` (a list of AnswerMessage). `sessions` records what
    each connection did; `problems()` lists everything that went wrong, for one assertion. With an
    `ssl_context` it serves `wss://` through Python's `ssl` and records whether each client resumed
    a TLS session."""

    def __init__(self, script: list, ssl_context=None):
        self.script = script
        self.ssl_context = ssl_context
        self.sessions: list[Session] = []
        self.rejected: list[str] = []
        self.port: Optional[int] = None
        self._ready = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._stop: Optional[asyncio.Event] = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT):
            raise AssertionError("the websockets server did not start")

    @property
    def base_url(self) -> str:
        return f"{'wss' if self.ssl_context else 'ws'}://127.0.0.1:{self.port}"

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._main())
        self._loop.close()

    async def _main(self) -> None:
        self._stop = asyncio.Event()

        def process_request(connection, request):
            reason = verify_signed_target(request.path, request.headers.get("Host"))
            if reason is None:
                return None
            self.rejected.append(reason)
            body = json.dumps({"message": "HMAC signature does not match"}).encode()
            return Response(401, "Unauthorized", Headers([("Content-Type", "application/json"),
                                                          ("Content-Length", str(len(body)))]), body)

        # No compression (Spark offers none), no keepalive pings of its own, 2 MiB messages at most.
        async with serve(self._handle, "127.0.0.1", 0, process_request=process_request, ping_interval=None,
                         compression=None, max_size=2 * 1024 * 1024, open_timeout=REQUEST_TIMEOUT,
                         ssl=self.ssl_context) as server:
            self.port = server.sockets[0].getsockname()[1]
            self._ready.set()
            await self._stop.wait()

    async def _handle(self, ws) -> None:
        session = Session(path=urlparse(ws.request.path).path)
        ssl_object = ws.transport.get_extra_info("ssl_object")
        if ssl_object is not None:
            session.tls_resumed = ssl_object.session_reused
        self.sessions.append(session)
        try:
            await self._play(ws, session)
        except Exception as error:  # recorded, and reported by problems()
            session.errors.append(f"{type(error).__name__}: {error}")
        finally:
            if ws.protocol.close_rcvd is not None:
                session.close_code = ws.protocol.close_rcvd.code
            session.ended.set()

    async def _play(self, ws, session: Session) -> None:
        # websockets unmasks the frame(s), reassembles fragments and checks the UTF-8 of text messages:
        # a wrongly masked request ends here as a ConnectionClosedError (1007/1002) or as bad JSON below.
        message = await asyncio.wait_for(ws.recv(), REQUEST_TIMEOUT)
        if not isinstance(message, str):
            raise AssertionError("the request came as a binary message")
        session.request_text = message
        session.request = json.loads(message)
        ping_number = 0

        async def ping() -> None:
            nonlocal ping_number
            ping_number += 1
            waiter = await ws.ping(f"fake-spark-ping-{ping_number}".encode())
            # Only a pong carrying exactly our payload completes this: the client's masked pong must unmask right.
            await asyncio.wait_for(waiter, PONG_TIMEOUT)
            session.pongs += 1

        for answer in self.script:
            data = answer.encoded()
            if answer.ping_before:
                await ping()
            if not answer.fragments:
                await ws.send(data, text=True)
                continue
            cuts = [0, *answer.fragments, len(data)]

            async def pieces(data=data, cuts=cuts, with_pings=answer.ping_before):
                for index in range(len(cuts) - 1):
                    if index > 0 and with_pings:
                        await ping()  # a control frame between two continuation frames
                    yield data[cuts[index]:cuts[index + 1]]

            await ws.send(pieces(), text=True)
        await ws.close(1000)
        await asyncio.wait_for(ws.wait_closed(), REQUEST_TIMEOUT)
        session.done = True

    def problems(self, close_frame_required: bool = True) -> list:
        """Everything that went wrong, after waiting (bounded) for every connection to end.
        `close_frame_required=False` accepts a client that drops TCP after the last frame without a
        Close frame (a CLI that exits); a Close frame it does send must still carry 1000."""
        found = [f"handshake refused: {reason}" for reason in self.rejected]
        for index, session in enumerate(list(self.sessions)):
            if not session.ended.wait(REQUEST_TIMEOUT):
                found.append(f"connection {index}: still open after {REQUEST_TIMEOUT}s")
                continue
            found += [f"connection {index}: {error}" for error in session.errors]
            if not session.done:
                found.append(f"connection {index}: the answer was not played to the end")
            if session.close_code != 1000 and (close_frame_required or session.close_code is not None):
                found.append(f"connection {index}: client's close code {session.close_code}, expected 1000")
        return found

    def stop(self) -> None:
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(STOP_TIMEOUT)


# ---------------------------------------------------------------------------------------------
# SSE.

@dataclass
class SSEEvent:
    event: str
    data: str
    id: Optional[str]
    raw_data: bytes


def parse_sse(body: bytes) -> tuple:
    """Splits an SSE body into (events, comments) per the WHATWG rules the relay follows:
    LF line ends, `field: value`, a blank line ends an event."""
    events, comments = [], []
    fields: dict = {}
    data_lines: list = []
    for line in body.split(b"\n"):
        if line == b"":
            if data_lines:  # an event without data (the `retry:` preamble) is not dispatched
                raw = b"\n".join(data_lines)
                events.append(SSEEvent(fields.get("event", "message"), raw.decode("utf-8"), fields.get("id"), raw))
            fields, data_lines = {}, []
            continue
        if line.startswith(b":"):
            comments.append(line[1:].strip().decode())
            continue
        name, _, value = line.partition(b":")
        if value.startswith(b" "):
            value = value[1:]
        if name == b"data":
            data_lines.append(value)
        else:
            fields[name.decode()] = value.decode()
    return events, comments
