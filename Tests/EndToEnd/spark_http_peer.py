"""A Spark look-alike for iFlytek's OpenAI-style HTTP API, for test_http_upstream.py.

Written from iFlytek's public documentation only (the "Spark http调用文档" at
docs.iflyaicloud.com/doc/237 and www.xfyun.cn/doc/spark/HTTP调用文档, the "星火大模型X1 http接口"
page www.xfyun.cn/doc/spark/X1http.html, and iFlytek's published request/response examples),
never from this repository's Swift sources. The documented facts it relies on:

* `POST /v1/chat/completions` for the general models; X1 (and X1.5) on `POST /v2/chat/completions`
  ("兼容openAI SDK: base_url https://spark-api-open.xf-yun.com/v2/", model `x1`; the X1.5 SDK sends
  `spark-x`).
* `Authorization: Bearer <APIPassword>`, or `Bearer <APIKey>:<APISecret>` ("两种方式：1、http协议的
  APIpassword；2、ws协议的apikey和apisecret 按照ak:sk格式拼接"), with `Content-Type: application/json`.
  A wrong one is HTTP 401 with an OpenAI-style body `{"error":{"message":"invalid user",
  "type":"api_error","param":null,"code":null}}` (one public write-up shows
  `"type":"invalid_request_error"`: a client must go by the status).
* Body: `model` (the Spark domain: lite, generalv3, pro-128k, generalv3.5, max-32k, 4.0Ultra on
  /v1; x1 or spark-x on /v2), `messages` (roles system, user, assistant, tool; an assistant turn may
  carry `tool_calls`, a tool turn carries `tool_call_id`), `stream`, `temperature`, `max_tokens`,
  `top_k` (1–6), `user`, `tools` (function tools, and `{"type":"web_search","web_search":{…}}`),
  `tool_choice`, `response_format` (`{"type":"json_object"}`), `thinking` (X1.5:
  `{"type":"enabled"|"disabled"|"auto"}`), and the X1 penalties `presence_penalty` and
  `frequency_penalty`.
* Streaming is SSE with lines `data:{…}` WITHOUT a space after the colon. Every chunk carries
  `code` (0), `message` ("Success"), `sid`, `id` (= sid), `created`, and `choices:[{"delta":
  {"role":"assistant","content":…,"reasoning_content"?:…,"tool_calls"?:…},"index":0}]`;
  `[DONE]` ends the stream. `usage` (`prompt_tokens`, `completion_tokens`, `total_tokens`) rides
  IN the last content chunk on /v1 and in a chunk of its own (empty `choices`) on /v2.
  `tool_calls` may be a single OBJECT `{"type":"function","function":{"name":…,"arguments":"{…}"}}`
  (sometimes with an `id`) instead of OpenAI's array.
* An error is a chunk (or, with `stream:false`, the JSON body) whose `code` is not 0, with a
  `message` and the `sid`: 10013/10014 moderation, 11200 licence, 11201–11203 quota and rates,
  10907 too long, 10003–10005 malformed requests (the WebSocket protocol's code table).
* `stream:false` answers one JSON body with `choices[].message` and `usage`.

What this peer adds on top, for the tests: it CHECKS every request (Bearer header, JSON body, known
model on the right path, non-empty messages, valid roles, tool turns answering a call made earlier
in the same request, only documented fields) and answers a wrong one like Spark would (HTTP 400
with a Spark code, or 401); it RECORDS every request (`FakeSparkHTTP.requests`) with what it sent
back and how the connection ended; and it answers by scenario keywords in the last user message:

    (none)        four or five content chunks of multi-byte Chinese text and an emoji
    [reasoning]   `reasoning_content` chunks first, then the content chunks
    [tool]        one chunk whose `tool_calls` is an OBJECT without id, `finish_reason` "tool_calls"
    [tool-id]     the same with an `id` in the object
    [tool-array]  `tool_calls` as OpenAI's array, with `index` and `id`
    [error:CODE]  one content chunk, then an error chunk with CODE (no [DONE])
    [error-first:CODE]  the error chunk (or error body) and nothing before it
    [slow]        SLOW_CHUNKS chunks SLOW_INTERVAL apart; a client that leaves is noticed between two
    [split]       events cut across HTTP chunks inside UTF-8 characters, two events in one chunk
    [crlf]        CRLF line ends in the event stream
    [close]       `Connection: close` on the response, and the connection closed after it

A last message of role `tool` is answered with `tool_answer(content)`. Every data line is written
as `data:{…}` without a space; only the final `data: [DONE]` has one (both forms are valid SSE and
Spark's own examples show both).

HTTP/1.1 with keep-alive (the relay pools upstream connections), `Connection: close` honoured both
ways, chunked transfer encoding written by hand, one event per HTTP chunk unless `[split]`.
`idle_timeout` makes the peer close a kept-alive connection that stays idle that long, as real
gateways do. Everything listens on 127.0.0.1 only.
"""

from __future__ import annotations

import json
import re
import secrets
import select
import socket
import sys
import threading
import traceback
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Optional

from spark_peers import API_KEY, API_SECRET, APP_ID

# A fake APIPassword (the HTTP protocol's credential). Never shown by the relay: the tests look for it.
PASSWORD = "http-api-password-7c1d0e9f-never-shown"
KEY_SECRET = f"{API_KEY}:{API_SECRET}"
CREDS_PASSWORD = {"SPARK_API_PASSWORD": PASSWORD}
CREDS_KEY_SECRET = {"SPARK_APP_ID": APP_ID, "SPARK_API_KEY": API_KEY, "SPARK_API_SECRET": API_SECRET}

V1_PATH = "/v1/chat/completions"
V2_PATH = "/v2/chat/completions"
MODELS_BY_PATH = {
    V1_PATH: {"lite", "general", "generalv3", "pro-128k", "generalv3.5", "max-32k", "4.0Ultra"},
    V2_PATH: {"x1", "spark-x"},
}
ROLES = {"system", "user", "assistant", "tool"}
# The request fields iFlytek documents for the HTTP API; anything else is refused with a 400, so an
# OpenAI-only field the relay forgot to drop (n, stream_options, top_p, …) shows up.
KNOWN_FIELDS = {"model", "messages", "stream", "temperature", "max_tokens", "top_k", "user", "tools",
                "tool_choice", "response_format", "thinking", "presence_penalty", "frequency_penalty"}

# Every wait in this module is bounded by one of these (seconds).
STOP_TIMEOUT = 10.0
BODY_TIMEOUT = 10.0
SLOW_CHUNKS = 100
SLOW_INTERVAL = 0.1

ANSWER_TAIL = "这是星火 HTTP 接口的固定回答：多字节字符、引号\"与表情😀都要完整到达。"
REASONING_PIECES = ["先看问题：", "用户想知道什么？", "思考完毕🤔。"]
REASONING_TEXT = "".join(REASONING_PIECES)
TOOL_ARGUMENTS = {"location": "合肥", "unit": "celsius"}
DEFAULT_TOOL = "get_weather"
ERROR_MESSAGES = {
    10013: "输入内容审核不通过，涉嫌违规，请重新调整输入内容",
    10014: "输出内容涉及敏感信息，审核不通过，后续结果无法展示给用户",
    11200: "授权错误：该appId没有相关功能的授权 或者 业务量超过限制",
    10007: "用户流量受限：服务正在处理用户当前的问题，需等待处理完成后再发送新的请求",
}
KEYWORD = re.compile(r"\[(reasoning|tool|tool-id|tool-array|error:\d+|error-first:\d+|slow|split|crlf|close)\]")


def clean_prompt(prompt: str) -> str:
    """The prompt without scenario keywords (and the blanks before them), as the answer quotes it."""
    return re.sub(r"[ \t]*" + KEYWORD.pattern, "", prompt).strip()


def expected_answer(prompt: str) -> str:
    """The content this peer answers to a user prompt (keywords removed)."""
    return f"星火 HTTP 收到：{clean_prompt(prompt)}。{ANSWER_TAIL}"


def tool_answer(tool_content: str) -> str:
    """The content this peer answers when the last message is a tool result."""
    return f"根据工具结果 {tool_content}，合肥今天晴😀。"


def pieces_of(text: str, count: int = 5) -> list:
    """`text` cut into `count` pieces at code points (an emoji stays whole)."""
    size = max(1, -(-len(text) // count))
    return [text[i:i + size] for i in range(0, len(text), size)]


def usage_for(messages: list, answer: str) -> dict:
    prompt_tokens = sum(len(str(m.get("content") or "")) for m in messages) // 2 + 1
    completion_tokens = len(answer) // 2 + 1
    return {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens}


def bearer_error() -> dict:
    return {"error": {"message": "invalid user", "type": "api_error", "param": None, "code": None}}


# ---------------------------------------------------------------------------------------------
# What the peer saw.

@dataclass
class ConnectionRecord:
    """One TCP connection to the peer."""
    number: int
    sock: socket.socket
    requests: int = 0
    closed: threading.Event = field(default_factory=threading.Event)


@dataclass
class RecordedRequest:
    """One request, what the peer answered, and how the answer ended."""
    method: str
    path: str
    headers: dict                # lower-cased names; the last value of a repeated header
    header_list: list            # [(name, value)] as received
    raw_body: bytes
    connection: ConnectionRecord
    body: Optional[dict] = None  # the parsed JSON body, when it was a JSON object
    problem: Optional[str] = None  # why the peer refused it (None: accepted)
    status: Optional[int] = None
    sid: str = ""
    scenario: str = "answer"
    chunks: list = field(default_factory=list)   # every JSON object sent (stream: each chunk; else the body)
    answer: str = ""
    reasoning: str = ""
    tool_call: Optional[dict] = None
    usage: Optional[dict] = None
    outcome: str = ""            # "complete", "client closed", "refused", "stopped"
    ended: threading.Event = field(default_factory=threading.Event)

    @property
    def authorization(self) -> Optional[str]:
        return self.headers.get("authorization")

    def last_message(self) -> dict:
        return (self.body or {}).get("messages", [{}])[-1]


class ClientGone(Exception):
    """The client closed the connection while the peer was answering."""


# ---------------------------------------------------------------------------------------------
# Request checks (the Spark gateway's, as documented).

def check_request(path: str, headers: dict, raw_body: bytes, credentials: set) -> tuple:
    """(status, Spark code, reason, parsed body): status 200 when the request is acceptable."""
    authorization = headers.get("authorization", "")
    if not authorization.startswith("Bearer ") or authorization[len("Bearer "):] not in credentials:
        return 401, None, f"bad Authorization header {authorization[:12]!r}…", None
    if not headers.get("content-type", "").lower().startswith("application/json"):
        return 400, 10004, f"Content-Type {headers.get('content-type')!r} is not application/json", None
    try:
        body = json.loads(raw_body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        return 400, 10003, f"body is not UTF-8 JSON: {error}", None
    if not isinstance(body, dict):
        return 400, 10004, "body is not a JSON object", None
    reason = check_body(path, body)
    return (200, 0, None, body) if reason is None else (400, 10005, reason, body)


def check_body(path: str, body: dict) -> Optional[str]:
    unknown = sorted(set(body) - KNOWN_FIELDS)
    if unknown:
        return f"undocumented field(s) {unknown}"
    model = body.get("model")
    if model not in MODELS_BY_PATH[path]:
        return f"model {model!r} is not served on {path} (known: {sorted(MODELS_BY_PATH[path])})"
    if "stream" in body and not isinstance(body["stream"], bool):
        return "stream is not a boolean"
    temperature = body.get("temperature")
    upper = 2.0 if path == V2_PATH else 1.0
    if temperature is not None and (isinstance(temperature, bool) or not isinstance(temperature, (int, float))
                                    or not 0 < temperature <= upper):
        return f"temperature {temperature!r} outside (0, {upper}]"
    for name, low, high in (("max_tokens", 1, 65536), ("top_k", 1, 6)):
        value = body.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high):
            return f"{name} {value!r} outside [{low}, {high}]"
    if "user" in body and not isinstance(body["user"], str):
        return "user is not a string"
    reason = check_tools(body)
    if reason:
        return reason
    return check_messages(body.get("messages"))


def check_tools(body: dict) -> Optional[str]:
    tools = body.get("tools")
    names = set()
    if tools is not None:
        if not isinstance(tools, list) or not tools:
            return "tools is not a non-empty array"
        for index, tool in enumerate(tools):
            kind = tool.get("type") if isinstance(tool, dict) else None
            if kind == "function":
                function = tool.get("function")
                if not isinstance(function, dict) or not isinstance(function.get("name"), str) or not function["name"]:
                    return f"tools[{index}].function.name missing"
                names.add(function["name"])
            elif kind == "web_search":
                if not isinstance(tool.get("web_search"), dict):
                    return f"tools[{index}].web_search is not an object"
            else:
                return f"tools[{index}].type {kind!r} is neither function nor web_search"
    choice = body.get("tool_choice")
    if choice is not None:
        if isinstance(choice, str):
            if choice not in ("auto", "none", "required"):
                return f"tool_choice {choice!r}"
        elif not (isinstance(choice, dict) and choice.get("type") == "function"
                  and isinstance(choice.get("function"), dict) and choice["function"].get("name") in names):
            return f"tool_choice {choice!r} names no function of tools"
    response_format = body.get("response_format")
    if response_format is not None and not (isinstance(response_format, dict)
                                            and response_format.get("type") in ("text", "json_object")):
        return f"response_format {response_format!r}"
    thinking = body.get("thinking")
    if thinking is not None and not (isinstance(thinking, dict) and thinking.get("type") in ("enabled", "disabled", "auto")):
        return f"thinking {thinking!r}"
    return None


def tool_calls_of(message: dict) -> list:
    """An assistant message's tool calls as a list (Spark's single-object form included)."""
    calls = message.get("tool_calls")
    if calls is None:
        return []
    return [calls] if isinstance(calls, dict) else calls if isinstance(calls, list) else [None]


def check_messages(messages) -> Optional[str]:
    if not isinstance(messages, list) or not messages:
        return "messages is not a non-empty array"
    call_ids = set()
    for index, message in enumerate(messages):
        if not isinstance(message, dict):
            return f"messages[{index}] is not an object"
        role = message.get("role")
        if role not in ROLES:
            return f"messages[{index}].role {role!r} (known: {sorted(ROLES)})"
        content = message.get("content")
        calls = tool_calls_of(message)
        if role == "assistant" and calls:
            for number, call in enumerate(calls):
                function = call.get("function") if isinstance(call, dict) else None
                if not isinstance(function, dict) or not isinstance(function.get("name"), str) \
                        or not isinstance(function.get("arguments"), str):
                    return f"messages[{index}].tool_calls[{number}] lacks function.name or function.arguments (a string)"
                try:
                    json.loads(function["arguments"])
                except ValueError:
                    return f"messages[{index}].tool_calls[{number}].function.arguments is not JSON text"
                if isinstance(call.get("id"), str) and call["id"]:
                    call_ids.add(call["id"])
            if content is not None and not isinstance(content, str):
                return f"messages[{index}].content is neither a string nor null"
        elif "tool_calls" in message:
            return f"messages[{index}] of role {role} carries tool_calls"
        elif not isinstance(content, str):
            return f"messages[{index}].content is not a string"
        if role == "tool":
            call_id = message.get("tool_call_id")
            if not isinstance(call_id, str) or call_id not in call_ids:
                return f"messages[{index}].tool_call_id {call_id!r} answers no earlier tool call (ids {sorted(call_ids)})"
        elif "tool_call_id" in message:
            return f"messages[{index}] of role {role} carries tool_call_id"
        if role == "system" and index != 0:
            return f"messages[{index}]: a system message must come first"
    if messages[-1]["role"] not in ("user", "tool"):
        return f"the last message is {messages[-1]['role']!r}, not the user's (or a tool result)"
    return None


# ---------------------------------------------------------------------------------------------
# The server.

class FakeSparkHTTP:
    """The Spark HTTP API stand-in on `ThreadingHTTPServer`, 127.0.0.1, a free port.

    `requests` lists every request in arrival order; `connections` every TCP connection. The
    accepted credentials are the Bearer values in `credentials` (default: PASSWORD and
    KEY_SECRET). `stop()` (always call it) closes the listener and every open connection."""

    def __init__(self, credentials: Optional[set] = None, idle_timeout: Optional[float] = None):
        self.credentials = set(credentials or {PASSWORD, KEY_SECRET})
        self.requests: list = []
        self.connections: list = []
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._sid_counter = 0
        peer = self

        class Handler(SparkHTTPHandler):
            pass

        Handler.peer = peer
        Handler.timeout = idle_timeout  # StreamRequestHandler: a socket timeout; idle keep-alive ends
        self.internal_errors: list = []
        self.server = QuietHTTPServer(("127.0.0.1", 0), Handler)
        self.server.peer = self
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def next_sid(self) -> str:
        with self._lock:
            self._sid_counter += 1
            return f"cha000b{self._sid_counter:04x}@dx{secrets.token_hex(8)}"

    def add_connection(self, sock: socket.socket) -> ConnectionRecord:
        with self._lock:
            record = ConnectionRecord(len(self.connections), sock)
            self.connections.append(record)
            return record

    def add_request(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def wait_for_requests(self, count: int, timeout: float = 10.0) -> list:
        """The first `count` requests, once that many arrived (bounded wait)."""
        wait_until(lambda: len(self.requests) >= count, timeout, f"{count} request(s) at the Spark HTTP peer")
        return self.requests[:count]

    def only_request(self) -> RecordedRequest:
        assert len(self.requests) == 1, f"expected one upstream request, got {len(self.requests)}: {self.summary()}"
        return self.requests[0]

    def problems(self) -> list:
        """Why each refused request was refused, and any error of the peer itself (an empty list when
        every request was acceptable)."""
        return ([f"{r.method} {r.path}: {r.status} {r.problem}" for r in self.requests if r.problem]
                + [f"peer error: {error}" for error in self.internal_errors])

    def summary(self) -> list:
        return [(r.path, r.status, r.scenario, r.outcome, r.problem) for r in self.requests]

    def stop(self) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()
        for connection in list(self.connections):
            if not connection.closed.is_set():
                try:
                    connection.sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        self._thread.join(STOP_TIMEOUT)


class QuietHTTPServer(ThreadingHTTPServer):
    """Handler threads are daemons (a stuck client never blocks `stop()`). A connection the client
    dropped is no traceback on stderr (the request record says how it ended); any other exception
    in a handler is a bug of the peer, kept in `peer.internal_errors` and reported by problems()."""
    daemon_threads = True
    peer: "FakeSparkHTTP"

    def handle_error(self, request, client_address) -> None:
        error = sys.exc_info()[1]
        if not isinstance(error, OSError):
            self.peer.internal_errors.append("".join(traceback.format_exception(error)))


def wait_until(condition: Callable, timeout: float, what: str, interval: float = 0.01):
    """Polls `condition` until it is truthy (returns its value) or fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class SparkHTTPHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeSparkHTTP/1"
    peer: FakeSparkHTTP

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.record = self.peer.add_connection(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        self.record.closed.set()

    def log_message(self, format: str, *args) -> None:  # keep pytest's output for failures
        pass

    # -- requests -------------------------------------------------------------------------------

    def do_GET(self) -> None:
        self.refuse_path()

    def do_POST(self) -> None:
        path = self.path.split("?", 1)[0]
        self.record.requests += 1
        raw_body = self.read_body()
        request = RecordedRequest(
            method="POST", path=path, headers={k.lower(): v for k, v in self.headers.items()},
            header_list=list(self.headers.items()), raw_body=raw_body, connection=self.record,
            sid=self.peer.next_sid())
        self.peer.add_request(request)
        try:
            self.answer(request)
        except ClientGone:
            request.outcome = "client closed"
            self.close_connection = True
        finally:
            request.ended.set()

    def refuse_path(self) -> None:
        if self.command != "POST":
            self.read_body()
        self.send_json(404, {"error": {"message": f"no route {self.command} {self.path}", "type": "api_error",
                                       "param": None, "code": None}})

    def read_body(self) -> bytes:
        self.connection.settimeout(BODY_TIMEOUT)
        try:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                body = bytearray()
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass
                        return bytes(body)
                    body += self.rfile.read(size)
                    self.rfile.readline()
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))
        finally:
            self.connection.settimeout(self.timeout)

    def answer(self, request: RecordedRequest) -> None:
        if request.path not in MODELS_BY_PATH:
            request.status, request.problem, request.outcome = 404, f"unknown path {request.path}", "refused"
            self.refuse_path()
            return
        status, code, reason, body = check_request(request.path, request.headers, request.raw_body, self.peer.credentials)
        request.body = body
        if status == 401:
            request.status, request.problem, request.outcome = 401, reason, "refused"
            self.send_json(401, bearer_error())
            return
        if status != 200:
            request.status, request.problem, request.outcome = status, reason, "refused"
            self.send_json(status, {"code": code, "message": reason, "sid": request.sid})
            return
        request.status = 200
        messages = body["messages"]
        last = messages[-1]
        prompt = last["content"] if last["role"] == "user" else ""
        keywords = [match.group(1) for match in KEYWORD.finditer(prompt)]
        plan = self.plan(request, prompt, keywords, last)
        if body.get("stream"):
            self.stream(request, plan, keywords)
        else:
            self.whole(request, plan, keywords)
        if request.outcome == "":
            request.outcome = "complete"

    # -- what to answer -------------------------------------------------------------------------

    def plan(self, request: RecordedRequest, prompt: str, keywords: list, last: dict) -> dict:
        """The answer as chunk deltas, before any framing: {"deltas": [...], "error": code or None,
        "error_first": bool, "finish": str or None}."""
        body = request.body
        error = next((int(k.split(":")[1]) for k in keywords if k.startswith("error")), None)
        answer = tool_answer(last["content"]) if last["role"] == "tool" else expected_answer(prompt)
        deltas: list = []
        finish = None
        if "reasoning" in keywords:
            request.reasoning = REASONING_TEXT
            deltas += [{"role": "assistant", "content": "", "reasoning_content": piece} for piece in REASONING_PIECES]
        if any(k.startswith("tool") for k in keywords):
            functions = [t["function"]["name"] for t in body.get("tools") or [] if t.get("type") == "function"]
            name = functions[0] if functions else DEFAULT_TOOL
            call = {"type": "function", "function": {"name": name,
                                                     "arguments": json.dumps(TOOL_ARGUMENTS, ensure_ascii=False,
                                                                               separators=(",", ":"))}}
            if "tool-id" in keywords:
                call = {"id": "call_spark_" + request.sid.split("@")[0][-4:], **call}
            request.tool_call = call
            tool_calls = [{"index": 0, "id": "call_spark_array_0", **call}] if "tool-array" in keywords else call
            deltas.append({"role": "assistant", "content": "", "tool_calls": tool_calls})
            answer, finish = "", "tool_calls"
        elif "slow" in keywords:
            deltas += [{"role": "assistant", "content": f"慢{n}·"} for n in range(SLOW_CHUNKS)]
            answer = "".join(f"慢{n}·" for n in range(SLOW_CHUNKS))
        else:
            pieces = pieces_of(answer)
            if error is not None and not any(k.startswith("error-first") for k in keywords):
                pieces = pieces[:1]
                answer = pieces[0]
            elif error is not None:
                pieces, answer = [], ""
            deltas += [{"role": "assistant", "content": piece} for piece in pieces]
        request.answer = answer
        request.usage = usage_for(body["messages"], answer + request.reasoning)
        request.scenario = " ".join(keywords) or "answer"
        return {"deltas": deltas, "error": error, "finish": finish}

    # -- stream:true ----------------------------------------------------------------------------

    def stream(self, request: RecordedRequest, plan: dict, keywords: list) -> None:
        created = int(time.time())
        envelope = {"code": 0, "message": "Success", "sid": request.sid, "id": request.sid, "created": created}
        chunks = []
        for index, delta in enumerate(plan["deltas"]):
            choice = {"delta": delta, "index": 0}
            last = index == len(plan["deltas"]) - 1
            if last and plan["finish"]:
                choice["finish_reason"] = plan["finish"]
            chunk = {**envelope, "choices": [choice]}
            if last and plan["error"] is None and request.path == V1_PATH:
                chunk["usage"] = request.usage  # /v1: usage rides in the last content chunk
            chunks.append(chunk)
        if plan["error"] is not None:
            code = plan["error"]
            chunks.append({"code": code, "message": ERROR_MESSAGES.get(code, f"Spark error {code}"), "sid": request.sid,
                           "id": request.sid, "created": created, "choices": []})
        elif request.path == V2_PATH:
            chunks.append({**envelope, "choices": [], "usage": request.usage})  # /v2: usage in its own chunk
        request.chunks = chunks

        crlf = "crlf" in keywords
        newline = b"\r\n" if crlf else b"\n"
        events = [b"data:" + json.dumps(c, ensure_ascii=False, separators=(",", ":")).encode() + newline + newline
                  for c in chunks]
        if plan["error"] is None:
            events.append(b"data: [DONE]" + newline + newline)
        close = "close" in keywords
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        if close or self.close_connection:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.flush()
        slow = "slow" in keywords
        for piece in (split_events(events) if "split" in keywords else events):
            if self.peer.stopping.is_set():
                request.outcome = "stopped"
                self.close_connection = True
                return
            if slow:
                self.pause_watching_client(SLOW_INTERVAL)
            self.write_chunk(piece)
        self.write_raw(b"0\r\n\r\n")

    def pause_watching_client(self, seconds: float) -> None:
        """Waits `seconds`, raising ClientGone as soon as the client has closed its side."""
        deadline = time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            readable, _, _ = select.select([self.connection], [], [], left)
            if readable:
                try:
                    peeked = self.connection.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
                except BlockingIOError:
                    continue
                except OSError:
                    raise ClientGone()
                if peeked == b"":
                    raise ClientGone()
                time.sleep(min(left, 0.01))  # pipelined bytes: not an end, keep pacing

    def write_chunk(self, data: bytes) -> None:
        self.write_raw(f"{len(data):x}\r\n".encode() + data + b"\r\n")

    def write_raw(self, data: bytes) -> None:
        try:
            self.wfile.write(data)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, socket.timeout) as error:
            raise ClientGone() from error

    def flush(self) -> None:
        try:
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError) as error:
            raise ClientGone() from error

    # -- stream:false ---------------------------------------------------------------------------

    def whole(self, request: RecordedRequest, plan: dict, keywords: list) -> None:
        if plan["error"] is not None:
            code = plan["error"]
            body = {"code": code, "message": ERROR_MESSAGES.get(code, f"Spark error {code}"), "sid": request.sid}
        else:
            message = {"role": "assistant", "content": request.answer}
            if request.reasoning:
                message["reasoning_content"] = request.reasoning
            if request.tool_call is not None:
                message["tool_calls"] = request.tool_call
            choice = {"message": message, "index": 0}
            if plan["finish"]:
                choice["finish_reason"] = plan["finish"]
            body = {"code": 0, "message": "Success", "sid": request.sid, "id": request.sid, "created": int(time.time()),
                    "choices": [choice], "usage": request.usage}
        request.chunks = [body]
        if "close" in keywords:
            self.close_connection = True
        self.send_json(200, body)

    def send_json(self, status: int, body: dict) -> None:
        data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.write_raw(data)


def split_events(events: list) -> list:
    """HTTP chunk payloads for `events` that do not follow event boundaries: every other event is
    cut inside its first multi-byte UTF-8 character (the rest joins the next event), and the last
    two events travel in one chunk."""
    out, carry = [], b""
    for index, event in enumerate(events):
        event = carry + event
        carry = b""
        if index % 2 == 0:
            inside = [i for i in range(1, len(event)) if (event[i] & 0xC0) == 0x80]
            if inside:
                out.append(event[:inside[0]])
                carry = event[inside[0]:]
                continue
        out.append(event)
    if carry:
        out.append(carry)
    if len(out) >= 2:
        out[-2:] = [out[-2] + out[-1]]
    return out


# ---------------------------------------------------------------------------------------------
# Reading Spark's stream (for the peer's own checks).

def parse_spark_stream(body: bytes) -> tuple:
    """(chunks, done): the JSON chunks of a Spark HTTP event stream (`data:` with or without a
    space, LF or CRLF) and whether `[DONE]` ended it."""
    chunks, done = [], False
    for block in re.split(rb"\r?\n\r?\n", body):
        for line in re.split(rb"\r?\n", block):
            if not line.startswith(b"data:"):
                continue
            value = line[5:]
            value = value[1:] if value.startswith(b" ") else value
            if value == b"[DONE]":
                done = True
            elif value:
                chunks.append(json.loads(value))
    return chunks, done
