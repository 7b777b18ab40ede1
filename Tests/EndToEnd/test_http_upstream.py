"""The relay's second upstream protocol: iFlytek Spark's OpenAI-style HTTP API.

Run against the RELEASE build (`SPARK_RELAY_BIN`; `spark-sim` is taken from beside it). The Spark
side is `FakeSparkHTTP` (spark_http_peer.py), written from iFlytek's public documentation: it
checks and records every request the relay makes and answers by scenario keywords in the prompt.

1. The peer itself, held to the documented format with the `openai` SDK and raw HTTP (tests whose
   names contain `peer`; they need no relay).
2. The relay with `upstream.protocol: "http"` (or per model, or by flags): `/chat/stream` events
   exactly as for WebSocket models, Spark error chunks and a 401 as `stream-error`, the upstream
   connection closed when the client leaves, pooled connections that the upstream closed,
   `/v1/chat/completions` driven by the `openai` SDK and LangChain's `ChatOpenAI` (tool round
   trips, X1 reasoning on /v2, passthrough of tools, tool_choice, response_format, thinking,
   web_search), `curl -N`, and Chromium's `EventSource` on a ticket. A WebSocket model refuses the
   fields only the HTTP protocol carries. The APIPassword never shows in a response, a log line or
   /metrics.
3. `spark-sim`'s HTTP mode with the `openai` SDK pointed straight at it.

Every wait is bounded; every process and server is stopped by its fixture.
"""

from __future__ import annotations

import json
import socket
import subprocess

import httpx
import openai
import pytest

from relay_harness import connect, h11_request, relay_binary
from spark_http_peer import (CREDS_KEY_SECRET, CREDS_PASSWORD, DEFAULT_TOOL, KEY_SECRET, PASSWORD,
                             REASONING_TEXT, SLOW_CHUNKS, TOOL_ARGUMENTS, V1_PATH, V2_PATH, FakeSparkHTTP,
                             expected_answer, parse_spark_stream, tool_answer, wait_until)
from spark_peers import API_KEY, API_SECRET, FakeSpark, SimProcess, answer_script, parse_sse

CLIENT_TIMEOUT = 20      # one request through the relay or to a peer
DISCONNECT_TIMEOUT = 5   # the upstream connection must be closed this soon after the client left
CURL_TIMEOUT = 30
WRONG_PASSWORD = "wrong-http-password-31337-never-shown"

TOOLS = [{"type": "function", "function": {
    "name": "get_weather", "description": "今天的天气",
    "parameters": {"type": "object", "properties": {"location": {"type": "string"}, "unit": {"type": "string"}},
                   "required": ["location"]}}}]
WEB_SEARCH = {"type": "web_search", "web_search": {"enable": True, "search_mode": "deep"}}


# ---------------------------------------------------------------------------------------------
# Fixtures and helpers

@pytest.fixture
def spark_http():
    """Factory: `spark_http(**options)` starts a FakeSparkHTTP; all are stopped at teardown."""
    peers = []

    def factory(**options) -> FakeSparkHTTP:
        peer = FakeSparkHTTP(**options)
        peers.append(peer)
        return peer

    yield factory
    for peer in peers:
        peer.stop()


@pytest.fixture
def peer(spark_http) -> FakeSparkHTTP:
    return spark_http()


def http_config(peer: FakeSparkHTTP, **upstream) -> dict:
    """A relay config whose every model speaks the HTTP protocol to `peer`."""
    return {"upstream": {"mode": "spark", "protocol": "http", "spark_http_base_url": peer.base_url,
                         "first_frame_timeout": 10, "idle_timeout": 10, **upstream}}


def http_relay(start_relay, peer: FakeSparkHTTP, env: dict = CREDS_PASSWORD, **upstream):
    return start_relay(http_config(peer, **upstream), env=env)


def post_chat_stream(relay, body: dict, timeout: float = CLIENT_TIMEOUT) -> tuple:
    """POST /chat/stream; (response, stream id, parsed events, raw body)."""
    with httpx.Client(timeout=timeout) as client:
        with client.stream("POST", f"{relay.base_url}/chat/stream", json=body,
                           headers={"Accept": "text/event-stream"}) as response:
            raw = b"".join(response.iter_bytes())
    assert response.status_code == 200, raw[:500]
    assert response.headers["content-type"].startswith("text/event-stream")
    events, _comments = parse_sse(raw)
    return response, response.headers["x-stream-id"], events, raw


def event_summary(events: list) -> list:
    return [(e.event, e.data[:120]) for e in events]


def check_chat_stream(events: list, stream_id: str, request) -> list:
    """The relay's events for one HTTP upstream answer (request: the peer's record): ids
    {stream}:1…N, one data event per content chunk the peer sent, in order, with WebSocket's payload
    shape, text concatenating to the peer's answer exactly, then `done` with the peer's sid and
    usage. Returns the data payloads."""
    assert [e.id for e in events] == [f"{stream_id}:{n}" for n in range(1, len(events) + 1)], event_summary(events)
    assert [e.event for e in events[:-1]] == ["message"] * (len(events) - 1) and events[-1].event == "done", \
        event_summary(events)
    payloads = [json.loads(e.data) for e in events[:-1]]
    for event in events:
        assert "\n" not in event.data, "each data field is one line of JSON"
    for payload in payloads:
        text = payload["choices"]["text"]
        assert len(text) == 1 and text[0]["role"] == "assistant" and text[0]["index"] == 0, payload
        assert isinstance(text[0]["content"], str), payload
    assert [p["choices"]["seq"] for p in payloads] == list(range(len(payloads))), [p["choices"] for p in payloads]
    statuses = [p["choices"]["status"] for p in payloads]
    assert statuses[-1] == 2 and all(s in (0, 1) for s in statuses[:-1]), statuses
    content_chunks = [c for c in request.chunks if c.get("choices")]
    assert len(payloads) == len(content_chunks), f"{len(payloads)} data events for {len(content_chunks)} chunks"
    for payload, chunk in zip(payloads, content_chunks):
        delta = chunk["choices"][0]["delta"]
        assert payload["choices"]["text"][0]["content"] == delta.get("content", ""), (payload, delta)
        if delta.get("reasoning_content"):
            assert payload["choices"]["text"][0]["reasoning_content"] == delta["reasoning_content"], payload
    assert "".join(p["choices"]["text"][0]["content"] for p in payloads) == request.answer
    usage = payloads[-1]["usage"]["text"]
    for name in ("prompt_tokens", "completion_tokens", "total_tokens"):
        assert usage[name] == request.usage[name], (usage, request.usage)
    done = json.loads(events[-1].data)
    assert done["sid"] == request.sid, done
    for name in ("prompt_tokens", "completion_tokens", "total_tokens"):
        assert done["usage"][name] == request.usage[name], (done, request.usage)
    return payloads


def stream_error(events: list) -> dict:
    assert events and events[-1].event == "stream-error", event_summary(events)
    return json.loads(events[-1].data)["error"]


def assert_password_hidden(relay, *texts, password: str = PASSWORD) -> None:
    """`password` is in none of `texts` (responses), the relay's log lines or /metrics."""
    for text in texts:
        text = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
        assert password not in text, "the password reached a response"
    metrics = httpx.get(f"{relay.base_url}/metrics", timeout=CLIENT_TIMEOUT).text
    assert password not in metrics, "the password is in /metrics"
    assert password not in relay.log_text(), "the password is in the relay's log"


def openai_client(relay, **options) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{relay.base_url}/v1", api_key="not-needed", max_retries=0,
                         timeout=CLIENT_TIMEOUT, **options)


def as_dict(value) -> dict:
    """An SDK object (or the plain dict the SDK keeps for a field it could not type) as a dict."""
    if value is None or isinstance(value, dict):
        return value
    return value.model_dump()


def extra(obj, name: str):
    """A field the SDK's types do not declare (reasoning_content, code, …)."""
    return (getattr(obj, "model_extra", None) or {}).get(name)


# ---------------------------------------------------------------------------------------------
# 1. The peer on its own (no relay)

def peer_sdk(peer: FakeSparkHTTP, version: str = "v1", api_key: str = KEY_SECRET) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{peer.base_url}/{version}", api_key=api_key, max_retries=0, timeout=CLIENT_TIMEOUT)


def test_peer_answers_the_openai_sdk_whole_and_streamed(peer):
    client = peer_sdk(peer)
    completion = client.chat.completions.create(model="generalv3.5", messages=[
        {"role": "system", "content": "简短回答"}, {"role": "user", "content": "你好，星火"}])
    request = peer.requests[0]
    assert request.authorization == f"Bearer {KEY_SECRET}"
    assert completion.choices[0].message.content == expected_answer("你好，星火")
    assert completion.id == request.sid and extra(completion, "code") == 0
    assert completion.usage.total_tokens == request.usage["total_tokens"] > 0

    chunks = list(client.chat.completions.create(model="lite", stream=True,
                                                 messages=[{"role": "user", "content": "流式 😀"}]))
    request = peer.requests[1]
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == expected_answer("流式 😀")
    assert {c.id for c in chunks} == {request.sid} and len({c.created for c in chunks}) == 1
    # /v1: usage rides in the last content chunk, and only there.
    assert chunks[-1].choices and chunks[-1].usage.total_tokens == request.usage["total_tokens"]
    assert all(c.usage is None for c in chunks[:-1])
    assert peer.problems() == []
    assert [c.requests for c in peer.connections] == [2], "the SDK's two requests shared one kept-alive connection"


def test_peer_x1_on_v2_with_password_reasoning_and_usage_chunk(peer):
    chunks = list(peer_sdk(peer, "v2", PASSWORD).chat.completions.create(
        model="x1", stream=True, messages=[{"role": "user", "content": "为什么天是蓝的 [reasoning]"}]))
    request = peer.only_request()
    assert request.path == V2_PATH and request.authorization == f"Bearer {PASSWORD}"
    reasoning = "".join(extra(c.choices[0].delta, "reasoning_content") or "" for c in chunks if c.choices)
    assert reasoning == REASONING_TEXT
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == expected_answer("为什么天是蓝的")
    # /v2: usage in a chunk of its own, with empty choices.
    assert chunks[-1].choices == [] and chunks[-1].usage.total_tokens == request.usage["total_tokens"]
    assert all(c.usage is None for c in chunks[:-1])


def test_peer_refuses_a_wrong_bearer_with_401(peer):
    for version, key in (("v1", "not-the-password"), ("v1", f"{API_KEY}:not-the-secret"), ("v2", API_KEY)):
        with pytest.raises(openai.AuthenticationError) as caught:
            peer_sdk(peer, version, key).chat.completions.create(model="x1" if version == "v2" else "lite",
                                                                 messages=[{"role": "user", "content": "x"}])
        assert caught.value.status_code == 401
        assert caught.value.body["message"] == "invalid user", caught.value.body
    assert [r.status for r in peer.requests] == [401, 401, 401]


def raw_post(peer: FakeSparkHTTP, path: str, body, headers: dict = None, auth: str = PASSWORD) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    return httpx.post(f"{peer.base_url}{path}", content=content, timeout=CLIENT_TIMEOUT,
                      headers={"Authorization": f"Bearer {auth}", "Content-Type": "application/json", **(headers or {})})


def test_peer_wire_format(peer):
    """The bytes themselves: chunked, `data:{…}` without a space, the Spark envelope on every chunk,
    `data: [DONE]` last; object-style tool_calls; an error chunk; CRLF and split events parse the same."""
    response = raw_post(peer, V1_PATH, {"model": "4.0Ultra", "stream": True, "messages": [{"role": "user", "content": "线"}]})
    assert response.status_code == 200 and response.headers["transfer-encoding"] == "chunked"
    assert response.headers["content-type"].startswith("text/event-stream")
    lines = [line for line in response.content.split(b"\n") if line]
    assert all(line.startswith(b"data:{") for line in lines[:-1]) and lines[-1] == b"data: [DONE]", lines
    chunks, done = parse_spark_stream(response.content)
    sid = peer.requests[0].sid
    assert done and chunks == peer.requests[0].chunks
    for chunk in chunks:
        assert (chunk["code"], chunk["message"], chunk["sid"], chunk["id"]) == (0, "Success", sid, sid)
        assert chunk["choices"][0]["delta"]["role"] == "assistant" and chunk["choices"][0]["index"] == 0
    assert "".join(c["choices"][0]["delta"]["content"] for c in chunks) == expected_answer("线")

    tool = raw_post(peer, V1_PATH, {"model": "generalv3.5", "stream": True, "tools": TOOLS,
                                    "messages": [{"role": "user", "content": "[tool] 合肥"}]})
    chunks, done = parse_spark_stream(tool.content)
    call = chunks[-1]["choices"][0]["delta"]["tool_calls"]
    assert isinstance(call, dict) and call["function"]["name"] == "get_weather" and "id" not in call
    assert json.loads(call["function"]["arguments"]) == TOOL_ARGUMENTS
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls" and done

    error = raw_post(peer, V1_PATH, {"model": "lite", "stream": True, "messages": [{"role": "user", "content": "[error:10013]"}]})
    chunks, done = parse_spark_stream(error.content)
    assert [c["code"] for c in chunks] == [0, 10013] and not done and chunks[1]["message"]

    plain = raw_post(peer, V1_PATH, {"model": "lite", "stream": True, "messages": [{"role": "user", "content": "同一"}]})
    for keyword in ("[crlf]", "[split]"):
        other = raw_post(peer, V1_PATH, {"model": "lite", "stream": True,
                                         "messages": [{"role": "user", "content": f"同一 {keyword}"}]})
        assert (b"\r\n" in other.content) == (keyword == "[crlf]")
        strip = lambda chunks: [c["choices"] for c in chunks]  # noqa: E731 (sid and created differ)
        assert strip(parse_spark_stream(other.content)[0]) == strip(parse_spark_stream(plain.content)[0]), keyword

    whole = raw_post(peer, V1_PATH, {"model": "lite", "stream": False, "messages": [{"role": "user", "content": "[error-first:11200]"}]})
    assert whole.status_code == 200 and whole.json()["code"] == 11200
    assert peer.problems() == []


BAD_REQUESTS = {
    "not JSON": (V1_PATH, b"{not json", {}),
    "no content type": (V1_PATH, {"model": "lite", "messages": [{"role": "user", "content": "x"}]}, {"Content-Type": ""}),
    "unknown model": (V1_PATH, {"model": "gpt-4o", "messages": [{"role": "user", "content": "x"}]}, {}),
    "x1 on /v1": (V1_PATH, {"model": "x1", "messages": [{"role": "user", "content": "x"}]}, {}),
    "lite on /v2": (V2_PATH, {"model": "lite", "messages": [{"role": "user", "content": "x"}]}, {}),
    "no messages": (V1_PATH, {"model": "lite", "messages": []}, {}),
    "bad role": (V1_PATH, {"model": "lite", "messages": [{"role": "function", "content": "x"}]}, {}),
    "orphan tool result": (V1_PATH, {"model": "lite", "messages": [
        {"role": "user", "content": "x"}, {"role": "tool", "tool_call_id": "call_1", "content": "{}"}]}, {}),
    "OpenAI-only field": (V1_PATH, {"model": "lite", "n": 1, "messages": [{"role": "user", "content": "x"}]}, {}),
    "top_k out of range": (V1_PATH, {"model": "lite", "top_k": 9, "messages": [{"role": "user", "content": "x"}]}, {}),
}


@pytest.mark.parametrize("case", BAD_REQUESTS, ids=list(BAD_REQUESTS))
def test_peer_refuses_malformed_requests(peer, case):
    path, body, headers = BAD_REQUESTS[case]
    response = raw_post(peer, path, body, headers)
    assert response.status_code == 400, response.text
    assert response.json()["code"] in (10003, 10004, 10005) and response.json()["sid"]
    assert len(peer.problems()) == 1


def test_peer_tool_round_trip_checks_tool_call_ids(peer):
    client = peer_sdk(peer)
    first = client.chat.completions.create(model="generalv3.5", tools=TOOLS,
                                           messages=[{"role": "user", "content": "合肥天气 [tool-id]"}])
    call = as_dict(first.choices[0].message.tool_calls)  # Spark's single object, kept as a dict by the SDK
    assert call["id"].startswith("call_spark_") and call["function"]["name"] == "get_weather"
    history = [{"role": "user", "content": "合肥天气"},
               {"role": "assistant", "content": None, "tool_calls": [call]}]
    result = '{"weather":"晴","temperature":20}'
    second = client.chat.completions.create(model="generalv3.5", tools=TOOLS, messages=[
        *history, {"role": "tool", "tool_call_id": call["id"], "content": result}])
    assert second.choices[0].message.content == tool_answer(result)
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="generalv3.5", tools=TOOLS, messages=[
            *history, {"role": "tool", "tool_call_id": "call_other", "content": result}])
    assert len(peer.problems()) == 1 and "tool_call_id" in peer.problems()[0]


def test_peer_notices_a_client_that_leaves(peer):
    _request, data = h11_request("POST", V1_PATH, [
        ("Host", "127.0.0.1"), ("Authorization", f"Bearer {PASSWORD}"), ("Content-Type", "application/json")],
        json.dumps({"model": "lite", "stream": True, "messages": [{"role": "user", "content": "[slow]"}]}).encode())
    sock = connect(("127.0.0.1", peer.port))
    try:
        sock.sendall(data)
        received = b""
        while b"data:" not in received:
            received += sock.recv(4096)
    finally:
        sock.close()
    request = peer.wait_for_requests(1)[0]
    assert request.ended.wait(DISCONNECT_TIMEOUT), "the peer kept streaming to a closed connection"
    assert request.outcome == "client closed" and request.connection.closed.wait(DISCONNECT_TIMEOUT)


def test_peer_keep_alive_connection_close_and_idle_timeout(spark_http):
    peer = spark_http(idle_timeout=0.3)
    with httpx.Client(timeout=CLIENT_TIMEOUT) as client:
        headers = {"Authorization": f"Bearer {PASSWORD}"}
        body = {"model": "lite", "messages": [{"role": "user", "content": "a"}]}
        for _ in range(2):
            assert client.post(f"{peer.base_url}{V1_PATH}", json=body, headers=headers).status_code == 200
        assert [c.requests for c in peer.connections] == [2]
        closing = client.post(f"{peer.base_url}{V1_PATH}", headers=headers,
                              json={**body, "messages": [{"role": "user", "content": "[close]"}]})
        assert closing.headers["connection"] == "close"
        assert peer.connections[0].closed.wait(DISCONNECT_TIMEOUT)
        assert client.post(f"{peer.base_url}{V1_PATH}", json=body, headers=headers).status_code == 200
        # An idle kept-alive connection is closed by the peer after idle_timeout.
        assert peer.connections[1].closed.wait(DISCONNECT_TIMEOUT)
    assert peer.problems() == []


# ---------------------------------------------------------------------------------------------
# 2. The relay with the HTTP protocol: /chat/stream

def test_chat_stream_over_http_with_the_password(start_relay, peer):
    relay = http_relay(start_relay, peer)  # SPARK_API_PASSWORD alone: no app id, key or secret
    messages = [{"role": "system", "content": "你是测试助手。Answer \"exactly\" \\ as told."},
                {"role": "user", "content": "合肥在哪里？😀 \"引号\"\n第二行"}]
    _response, stream_id, events, raw = post_chat_stream(relay, {
        "messages": messages, "model": "generalv3.5", "temperature": 0.5, "max_tokens": 200, "top_k": 3,
        "uid": "e2e-user-1"})
    request = peer.only_request()
    check_chat_stream(events, stream_id, request)
    assert (request.method, request.path) == ("POST", V1_PATH)
    assert request.authorization == f"Bearer {PASSWORD}"
    assert request.headers["content-type"].startswith("application/json")
    sent = request.body
    assert sent["model"] == "generalv3.5" and sent["stream"] is True
    assert sent["messages"] == messages, "the messages changed on the way"
    assert (sent["temperature"], sent["max_tokens"], sent["top_k"], sent["user"]) == (0.5, 200, 3, "e2e-user-1")

    # Parameters the client did not give are not sent; the prompt shorthand is one user message.
    _response, stream_id, events, raw_second = post_chat_stream(relay, {"prompt": "默认参数", "model": "lite"})
    request = peer.requests[1]
    check_chat_stream(events, stream_id, request)
    assert request.body["model"] == "lite" and request.body["messages"] == [{"role": "user", "content": "默认参数"}]
    assert not {"temperature", "max_tokens", "top_k"} & set(request.body), request.body
    assert peer.problems() == []
    assert_password_hidden(relay, raw, raw_second)


def test_chat_stream_x1_goes_to_v2_with_reasoning(start_relay, peer):
    relay = http_relay(start_relay, peer)
    _response, stream_id, events, _raw = post_chat_stream(relay, {"model": "x1", "prompt": "推理一下 [reasoning]",
                                                                   "temperature": 1.5})
    request = peer.only_request()
    assert request.path == V2_PATH and request.body["model"] == "x1" and request.body["temperature"] == 1.5
    assert [e.id for e in events] == [f"{stream_id}:{n}" for n in range(1, len(events) + 1)], event_summary(events)
    assert events[-1].event == "done" and all(e.event == "message" for e in events[:-1]), event_summary(events)
    # The chunk that carries only usage may come as an event without text: read leniently.
    texts = [t for e in events[:-1] for t in json.loads(e.data).get("choices", {}).get("text", [])]
    assert "".join(t.get("reasoning_content") or "" for t in texts) == REASONING_TEXT
    assert "".join(t.get("content") or "" for t in texts) == expected_answer("推理一下")
    # /v2 sends usage in a chunk of its own: it still ends up on the last event and in `done`.
    assert json.loads(events[-2].data)["usage"]["text"]["total_tokens"] == request.usage["total_tokens"]
    done = json.loads(events[-1].data)
    assert done["sid"] == request.sid and done["usage"]["total_tokens"] == request.usage["total_tokens"]
    assert peer.problems() == []


@pytest.mark.parametrize("keyword", ["[split]", "[crlf]"])
def test_chat_stream_reassembles_events_however_they_arrive(start_relay, peer, keyword):
    """Events cut across HTTP chunks inside UTF-8 characters (two in one chunk), or CRLF line ends."""
    relay = http_relay(start_relay, peer)
    _response, stream_id, events, _raw = post_chat_stream(relay, {"prompt": f"切开的事件 {keyword}"})
    check_chat_stream(events, stream_id, peer.only_request())


@pytest.fixture
def websocket_spark():
    server = FakeSpark(answer_script(["WebSocket ", "的回答。"]))
    yield server
    server.stop()


def mixed_relay(start_relay, peer, websocket_spark):
    """generalv3.5 and a new `deep` (x1's domain) speak HTTP to `peer`; every other model the
    WebSocket protocol to `websocket_spark`. Credentials: app id, key and secret."""
    return start_relay({"upstream": {
        "mode": "spark", "spark_base_url": websocket_spark.base_url, "spark_http_base_url": peer.base_url,
        "models": [{"name": "generalv3.5", "path": "/v3.5/chat", "protocol": "http"},
                   {"name": "deep", "path": "/v1/x1", "domain": "x1", "protocol": "http", "http_path": V2_PATH}]}},
        env=CREDS_KEY_SECRET)


def test_protocol_per_model_with_key_and_secret(start_relay, peer, websocket_spark):
    relay = mixed_relay(start_relay, peer, websocket_spark)
    _response, stream_id, events, raw_http = post_chat_stream(relay, {"model": "generalv3.5", "prompt": "走 HTTP"})
    request = peer.only_request()
    check_chat_stream(events, stream_id, request)
    assert request.authorization == f"Bearer {API_KEY}:{API_SECRET}"

    _response, _stream_id, events, raw_ws = post_chat_stream(relay, {"model": "lite", "prompt": "走 WebSocket"})
    assert [e.event for e in events] == ["message", "message", "done"], event_summary(events)
    assert "".join(json.loads(e.data)["choices"]["text"][0]["content"] for e in events[:-1]) == "WebSocket 的回答。"
    assert len(websocket_spark.sessions) == 1 and websocket_spark.sessions[0].path == "/v1.1/chat"
    assert websocket_spark.problems() == []

    _response, stream_id, events, _raw = post_chat_stream(relay, {"model": "deep", "prompt": "新模型 [reasoning]"})
    request = peer.requests[1]
    assert (request.path, request.body["model"]) == (V2_PATH, "x1")
    assert events[-1].event == "done" and json.loads(events[-1].data)["sid"] == request.sid, event_summary(events)
    assert len(peer.requests) == 2 and peer.problems() == []
    assert_password_hidden(relay, raw_http, raw_ws, password=API_SECRET)


# What a WebSocket model cannot honour at all. (`tool` messages and `tool_choice: "auto"`/"none"/a
# named function are honoured there by mapping, as README.md describes, so they are not refused.)
WEBSOCKET_REFUSALS = {
    "tool_choice": {"tools": TOOLS, "tool_choice": "required"},
    "response_format": {"response_format": {"type": "json_object"}},
    "thinking": {"thinking": {"type": "enabled"}},
    "web_search": {"tools": [WEB_SEARCH]},
}


def test_websocket_model_refuses_fields_only_http_carries(start_relay, peer, websocket_spark):
    """On a WebSocket model, /v1 fields that only Spark's HTTP protocol carries are a 400 naming the
    field and the protocol; nothing reaches either upstream."""
    relay = mixed_relay(start_relay, peer, websocket_spark)
    failures = []
    with httpx.Client(timeout=CLIENT_TIMEOUT) as client:
        for field, extra_fields in WEBSOCKET_REFUSALS.items():
            body = {"model": "lite", "messages": [{"role": "user", "content": "x"}], **extra_fields}
            response = client.post(f"{relay.base_url}/v1/chat/completions", json=body)
            try:
                error = response.json()["error"]
                message = error["message"]
            except (ValueError, KeyError, TypeError):
                failures.append(f"{field}: {response.status_code} {response.text[:200]}")
                continue
            if response.status_code != 400 or field not in message or "websocket" not in message.lower():
                failures.append(f"{field}: {response.status_code} {message!r}")
    assert failures == [], "\n".join(failures)
    assert peer.requests == [] and websocket_spark.sessions == []


def test_spark_error_chunks_are_stream_errors(start_relay, peer):
    relay = http_relay(start_relay, peer)
    _response, stream_id, events, _raw = post_chat_stream(relay, {"prompt": "审核 [error:10013]"})
    request = peer.only_request()
    assert [e.event for e in events] == ["message", "stream-error"], event_summary(events)
    assert [e.id for e in events] == [f"{stream_id}:1", f"{stream_id}:2"]
    assert json.loads(events[0].data)["choices"]["text"][0]["content"] == request.answer
    error = stream_error(events)
    assert error["type"] == "upstream_error" and error["code"] == 10013, error
    assert error["sid"] == request.sid and "10013" in error["message"], error

    _response, _stream_id, events, _raw = post_chat_stream(relay, {"prompt": "授权 [error-first:11200]"})
    error = stream_error(events)
    assert [e.event for e in events] == ["stream-error"], event_summary(events)
    assert (error["type"], error["code"], error["sid"]) == ("upstream_error", 11200, peer.requests[1].sid), error


def test_upstream_401_is_upstream_unauthorized_without_the_password(start_relay, peer):
    relay = http_relay(start_relay, peer, env={"SPARK_API_PASSWORD": WRONG_PASSWORD})
    _response, _stream_id, events, raw = post_chat_stream(relay, {"prompt": "错误的密码"})
    error = stream_error(events)
    assert (error["type"], error["code"]) == ("upstream_error", "upstream_unauthorized"), error
    assert "401" in error["message"], error
    assert peer.requests[0].status == 401 and peer.requests[0].authorization == f"Bearer {WRONG_PASSWORD}"
    v1 = httpx.post(f"{relay.base_url}/v1/chat/completions", timeout=CLIENT_TIMEOUT,
                    json={"model": "lite", "messages": [{"role": "user", "content": "x"}]})
    assert v1.status_code >= 400 and "error" in v1.json(), v1.text
    assert_password_hidden(relay, raw, v1.content, password=WRONG_PASSWORD)


@pytest.mark.parametrize("endpoint", ["/chat/stream", "/v1/chat/completions"])
def test_a_client_that_leaves_closes_the_upstream_connection(start_relay, peer, endpoint):
    relay = http_relay(start_relay, peer)
    messages = [{"role": "user", "content": "慢慢说 [slow]"}]
    body = {"messages": messages} if endpoint == "/chat/stream" else {"model": "lite", "stream": True, "messages": messages}
    _request, data = h11_request("POST", endpoint, [("Host", "127.0.0.1"), ("Content-Type", "application/json")],
                                 json.dumps(body).encode())
    sock = connect(relay.address)
    try:
        sock.sendall(data)
        received = b""
        while b"\ndata: {" not in received:  # the first content event has started to arrive
            try:
                chunk = sock.recv(65536)
            except socket.timeout:
                raise AssertionError(f"no event within {sock.gettimeout()}s of the request: {received[-300:]!r}")
            assert chunk, f"the relay closed before the first event: {received[-300:]!r}"
            received += chunk
    finally:
        sock.close()
    request = peer.wait_for_requests(1)[0]
    assert request.ended.wait(DISCONNECT_TIMEOUT), \
        f"the upstream kept streaming {DISCONNECT_TIMEOUT}s after the client left ({SLOW_CHUNKS} chunks planned)"
    assert request.outcome == "client closed", request.outcome
    assert request.connection.closed.wait(DISCONNECT_TIMEOUT), "the upstream connection stayed open"


def test_pooled_connections_the_upstream_closed_are_not_reused(start_relay, spark_http):
    """The peer closes kept-alive connections after 0.5 s idle, and once after `Connection: close`:
    every next conversation still gets through."""
    peer = spark_http(idle_timeout=0.5)
    relay = http_relay(start_relay, peer)

    def conversation(prompt: str) -> None:
        _response, stream_id, events, _raw = post_chat_stream(relay, {"prompt": prompt})
        check_chat_stream(events, stream_id, peer.requests[-1])

    conversation("第一次")
    wait_until(lambda: all(c.closed.is_set() for c in peer.connections), DISCONNECT_TIMEOUT,
               "the peer to close its idle connections")
    conversation("空闲连接被关闭之后")
    conversation("这次回答后关闭 [close]")
    conversation("Connection: close 之后")
    # The relay ends its answer on Spark's usage chunk; the peer records "complete" once it has
    # also written `[DONE]` and the last chunk, which can be a moment later.
    wait_until(lambda: all(r.ended.is_set() for r in peer.requests), DISCONNECT_TIMEOUT,
               "the peer to finish recording its answers")
    assert [r.outcome for r in peer.requests] == ["complete"] * 4, peer.summary()
    assert peer.problems() == []


def test_command_line_selects_the_http_protocol(start_relay, peer):
    relay = start_relay({}, extra_args=("--upstream", "spark", "--upstream-protocol", "http",
                                        "--spark-http-base-url", peer.base_url), env=CREDS_PASSWORD)
    _response, stream_id, events, _raw = post_chat_stream(relay, {"prompt": "命令行"})
    request = peer.only_request()
    check_chat_stream(events, stream_id, request)
    assert request.path == V1_PATH and request.body["model"] == "generalv3.5"  # upstream.default_model


def test_curl_streams_an_http_model(start_relay, peer, tmp_path):
    relay = http_relay(start_relay, peer)
    body = tmp_path / "body.json"
    body.write_text(json.dumps({"model": "max-32k", "prompt": "curl 你好 🚀"}, ensure_ascii=False), encoding="utf-8")
    head = tmp_path / "head.txt"
    out = subprocess.run(["curl", "-N", "-sS", "--noproxy", "*", "--max-time", str(CLIENT_TIMEOUT), "-D", str(head),
                          "-H", "Content-Type: application/json", "--data-binary", f"@{body}",
                          f"{relay.base_url}/chat/stream"], capture_output=True, timeout=CURL_TIMEOUT)
    assert out.returncode == 0, out.stderr.decode("utf-8", "replace")
    headers = dict(line.split(":", 1) for line in head.read_text().splitlines()[1:] if ":" in line)
    headers = {k.strip().lower(): v.strip() for k, v in headers.items()}
    assert headers["content-type"].startswith("text/event-stream"), headers
    events, _comments = parse_sse(out.stdout)
    request = peer.only_request()
    check_chat_stream(events, headers["x-stream-id"], request)
    assert request.body["model"] == "max-32k"


EVENT_SOURCE_JS = """
const [body, finish] = arguments;
fetch('/chat', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body)})
  .then((response) => response.json())
  .then((ticket) => {
    const source = new EventSource(ticket.stream_url);
    const seen = [];
    const end = (error) => { source.close(); finish({stream_url: ticket.stream_url, seen, error}); };
    source.onmessage = (e) => seen.push({type: 'message', id: e.lastEventId, data: e.data});
    source.addEventListener('done', (e) => { seen.push({type: 'done', id: e.lastEventId, data: e.data}); end(null); });
    source.addEventListener('stream-error', (e) => {
      seen.push({type: 'stream-error', id: e.lastEventId, data: e.data}); end('stream-error'); });
  })
  .catch((error) => finish({error: String(error)}));
"""


def test_chromium_event_source_streams_an_http_model(start_relay, peer, tmp_path):
    from browser_harness import headless_chromium
    from spark_peers import SSEEvent

    relay = http_relay(start_relay, peer)
    with headless_chromium(tmp_path / "chromium", ("--window-size=800,600", "--lang=en-US")) as driver:
        driver.set_script_timeout(CLIENT_TIMEOUT)
        driver.get(relay.base_url + "/")
        result = driver.execute_async_script(EVENT_SOURCE_JS, {"model": "pro-128k", "prompt": "浏览器 EventSource 🌐"})
    assert result.get("error") is None, result
    events = [SSEEvent(e["type"], e["data"], e["id"], e["data"].encode()) for e in result["seen"]]
    request = peer.only_request()
    check_chat_stream(events, result["stream_url"].rsplit("/", 1)[1], request)
    assert request.body["model"] == "pro-128k"


# ---------------------------------------------------------------------------------------------
# 2. The relay with the HTTP protocol: /v1/chat/completions

def test_openai_sdk_whole_and_streamed_on_an_http_model(start_relay, peer):
    relay = http_relay(start_relay, peer)
    client = openai_client(relay)
    messages = [{"role": "system", "content": "简短回答"}, {"role": "user", "content": "你好 OpenAI"}]
    completion = client.chat.completions.create(model="generalv3.5", messages=messages, temperature=0.7,
                                                max_tokens=300, user="sdk-user")
    request = peer.requests[0]
    assert completion.object == "chat.completion" and completion.model == "generalv3.5"
    assert request.sid in completion.id
    choice = completion.choices[0]
    assert choice.message.role == "assistant" and choice.message.content == expected_answer("你好 OpenAI")
    assert choice.finish_reason == "stop"
    usage = completion.usage
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == \
        (request.usage["prompt_tokens"], request.usage["completion_tokens"], request.usage["total_tokens"])
    sent = request.body
    assert sent["messages"] == messages and sent["model"] == "generalv3.5" and sent["stream"] is True
    assert (sent["temperature"], sent["max_tokens"], sent["user"]) == (0.7, 300, "sdk-user")

    chunks = list(client.chat.completions.create(model="Spark-Max", stream=True, stream_options={"include_usage": True},
                                                 messages=[{"role": "user", "content": "流式 OpenAI"}]))
    request = peer.requests[1]
    assert request.body["model"] == "generalv3.5", "the alias Spark-Max is sent as its domain"
    assert len({c.id for c in chunks}) == 1 and request.sid in chunks[0].id
    assert len({c.created for c in chunks}) == 1
    assert all(c.object == "chat.completion.chunk" and c.model == "Spark-Max" for c in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == expected_answer("流式 OpenAI")
    assert [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason] == ["stop"]
    assert chunks[-1].choices == [] and chunks[-1].usage.total_tokens == request.usage["total_tokens"]
    assert all(c.usage is None for c in chunks[:-1])
    assert peer.problems() == []


def streamed_tool_calls(chunks: list) -> list:
    """The tool calls of a streamed completion, merged by index as OpenAI clients do; every
    `tool_calls` must be an array."""
    merged: dict = {}
    for chunk in chunks:
        if not chunk.choices or chunk.choices[0].delta.tool_calls is None:
            continue
        calls = chunk.choices[0].delta.tool_calls
        assert isinstance(calls, list), f"tool_calls is not an array: {calls!r}"
        for call in calls:
            entry = merged.setdefault(call.index, {"id": None, "type": None, "name": "", "arguments": ""})
            entry["id"] = entry["id"] or call.id
            entry["type"] = entry["type"] or call.type
            entry["name"] += (call.function.name or "") if call.function else ""
            entry["arguments"] += (call.function.arguments or "") if call.function else ""
    return [merged[index] for index in sorted(merged)]


@pytest.mark.parametrize("keyword", ["[tool]", "[tool-id]", "[tool-array]"])
def test_openai_sdk_tool_round_trip_streamed(start_relay, peer, keyword):
    """Spark's tool call (an object without id, with id, or an array) reaches the SDK as an array
    with an id; the follow-up (assistant tool_calls + tool result) reaches Spark natively."""
    relay = http_relay(start_relay, peer)
    client = openai_client(relay)
    question = {"role": "user", "content": f"合肥天气如何？{keyword}"}
    chunks = list(client.chat.completions.create(model="generalv3.5", stream=True, tools=TOOLS, tool_choice="auto",
                                                 messages=[question]))
    first = peer.requests[0]
    assert first.body["tools"] == TOOLS and first.body["tool_choice"] == "auto"
    calls = streamed_tool_calls(chunks)
    assert len(calls) == 1, calls
    call = calls[0]
    assert call["id"] and call["type"] == "function" and call["name"] == "get_weather", call
    assert json.loads(call["arguments"]) == TOOL_ARGUMENTS
    if keyword == "[tool-id]":
        assert call["id"] == first.tool_call["id"], "Spark's own call id is kept"
    if keyword == "[tool-array]":
        assert call["id"] == "call_spark_array_0", "Spark's own call id is kept"
    assert [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason] == ["tool_calls"]
    assert len({c.id for c in chunks}) == 1 and len({c.created for c in chunks}) == 1

    result = '{"weather":"晴","temperature":20}'
    assistant = {"role": "assistant", "content": None, "tool_calls": [
        {"id": call["id"], "type": "function", "function": {"name": call["name"], "arguments": call["arguments"]}}]}
    follow_up = list(client.chat.completions.create(model="generalv3.5", stream=True, tools=TOOLS, messages=[
        question, assistant, {"role": "tool", "tool_call_id": call["id"], "content": result}]))
    second = peer.requests[1]
    sent = second.body["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "tool"], sent
    sent_calls = sent[1]["tool_calls"]
    sent_calls = [sent_calls] if isinstance(sent_calls, dict) else sent_calls  # either form is Spark's
    assert len(sent_calls) == 1, sent[1]
    assert sent_calls[0]["id"] == call["id"] and sent_calls[0]["function"]["name"] == "get_weather"
    assert json.loads(sent_calls[0]["function"]["arguments"]) == TOOL_ARGUMENTS
    assert (sent[2]["tool_call_id"], sent[2]["content"]) == (call["id"], result)
    assert "".join(c.choices[0].delta.content or "" for c in follow_up if c.choices) == tool_answer(result)
    assert [c.choices[0].finish_reason for c in follow_up if c.choices and c.choices[0].finish_reason] == ["stop"]
    assert peer.problems() == []


def test_openai_sdk_tool_call_whole(start_relay, peer):
    relay = http_relay(start_relay, peer)
    completion = openai_client(relay).chat.completions.create(
        model="4.0Ultra", tools=TOOLS, messages=[{"role": "user", "content": "上海天气 [tool]"}])
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert isinstance(choice.message.tool_calls, list) and len(choice.message.tool_calls) == 1, choice.message
    call = choice.message.tool_calls[0]
    assert call.id and call.type == "function" and call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == TOOL_ARGUMENTS
    assert peer.problems() == []


def test_openai_sdk_x1_reasoning_over_v2(start_relay, peer):
    relay = http_relay(start_relay, peer)
    client = openai_client(relay)
    chunks = list(client.chat.completions.create(
        model="x1", stream=True, stream_options={"include_usage": True}, extra_body={"thinking": {"type": "enabled"}},
        messages=[{"role": "user", "content": "天为什么是蓝的 [reasoning]"}]))
    request = peer.only_request()
    assert (request.path, request.body["model"], request.body["thinking"]) == (V2_PATH, "x1", {"type": "enabled"})
    reasoning = "".join(extra(c.choices[0].delta, "reasoning_content") or "" for c in chunks if c.choices)
    assert reasoning == REASONING_TEXT
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == expected_answer("天为什么是蓝的")
    assert len({c.id for c in chunks}) == 1 and len({c.created for c in chunks}) == 1
    assert chunks[-1].choices == [] and chunks[-1].usage.total_tokens == request.usage["total_tokens"]

    completion = client.chat.completions.create(model="x1", messages=[{"role": "user", "content": "再想想 [reasoning]"}])
    assert extra(completion.choices[0].message, "reasoning_content") == REASONING_TEXT
    assert completion.choices[0].message.content == expected_answer("再想想")
    assert completion.usage.total_tokens == peer.requests[1].usage["total_tokens"]
    assert peer.problems() == []


def test_v1_fields_only_http_carries_pass_through(start_relay, peer):
    relay = http_relay(start_relay, peer)
    tool_choice = {"type": "function", "function": {"name": "get_weather"}}
    completion = openai_client(relay).chat.completions.create(
        model="4.0Ultra", tools=[WEB_SEARCH, *TOOLS], tool_choice=tool_choice, response_format={"type": "json_object"},
        extra_body={"top_k": 4}, messages=[{"role": "user", "content": "用 JSON 回答"}])
    sent = peer.only_request().body
    assert sent["tools"] == [WEB_SEARCH, *TOOLS]
    assert sent["tool_choice"] == tool_choice and sent["response_format"] == {"type": "json_object"}
    assert sent["top_k"] == 4
    assert completion.choices[0].message.content == expected_answer("用 JSON 回答")
    assert peer.problems() == []


def test_openai_sdk_sees_a_licence_error_as_403(start_relay, peer):
    """Spark's 11200 before any content is a real status (403 → PermissionDeniedError) in both modes."""
    client = openai_client(http_relay(start_relay, peer))
    for stream in (False, True):
        with pytest.raises(openai.PermissionDeniedError) as caught:
            response = client.chat.completions.create(model="lite", stream=stream,
                                                      messages=[{"role": "user", "content": "x [error-first:11200]"}])
            if stream:
                list(response)
        assert "11200" in caught.value.message


def test_openai_sdk_sees_moderation_as_content_filter(start_relay, peer):
    """Spark's 10013 after some content: finish_reason content_filter, the content so far kept."""
    client = openai_client(http_relay(start_relay, peer))
    messages = [{"role": "user", "content": "x [error:10013]"}]
    completion = client.chat.completions.create(model="lite", messages=messages)
    assert completion.choices[0].finish_reason == "content_filter"
    assert completion.choices[0].message.content == peer.requests[0].answer
    chunks = list(client.chat.completions.create(model="lite", stream=True, messages=messages))
    assert [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason] == ["content_filter"]
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == peer.requests[1].answer


def test_langchain_chat_openai_on_an_http_model(start_relay, peer):
    from langchain_core.messages import HumanMessage, ToolMessage
    from langchain_openai import ChatOpenAI

    relay = http_relay(start_relay, peer)
    llm = ChatOpenAI(model="generalv3.5", base_url=f"{relay.base_url}/v1", api_key="not-needed", max_retries=0,
                     timeout=CLIENT_TIMEOUT)
    assert llm.invoke("你好 LangChain").content == expected_answer("你好 LangChain")
    pieces = [chunk.content for chunk in llm.stream("流式 LangChain")]
    assert "".join(pieces) == expected_answer("流式 LangChain") and len([p for p in pieces if p]) >= 3, pieces

    with_tools = llm.bind_tools(TOOLS)
    question = HumanMessage("合肥天气 [tool]")
    call_message = with_tools.invoke([question])
    assert len(call_message.tool_calls) == 1, call_message
    call = call_message.tool_calls[0]
    assert call["name"] == DEFAULT_TOOL and call["args"] == TOOL_ARGUMENTS and call["id"], call
    result = '{"weather":"晴"}'
    final = with_tools.invoke([question, call_message, ToolMessage(content=result, tool_call_id=call["id"])])
    assert final.content == tool_answer(result)
    assert peer.requests[-1].body["messages"][-1] == {"role": "tool", "tool_call_id": call["id"], "content": result}
    assert peer.problems() == []


# ---------------------------------------------------------------------------------------------
# 3. spark-sim's HTTP mode, with the openai SDK straight at it

SIM_SENTENCE = "这是讯飞星火模拟器的固定回答：流式分片、多字节字符与表情😀都会完整到达。"


def sim_answer(prompt_text: str) -> str:
    return f"You said: {prompt_text}. {SIM_SENTENCE}"


def sim_http_missing(base_url: str):
    """Why spark-sim does not serve Spark's HTTP API (None when it does)."""
    try:
        response = httpx.post(f"{base_url}{V1_PATH}", timeout=5, headers={"Authorization": f"Bearer {PASSWORD}"},
                              json={"model": "lite", "messages": [{"role": "user", "content": "probe"}]})
    except httpx.HTTPError as error:
        return f"spark-sim did not answer POST {V1_PATH} ({type(error).__name__}: {error})"
    if response.status_code in (400, 404, 405, 426, 501) and "choices" not in response.text:
        return f"spark-sim answers POST {V1_PATH} with {response.status_code}: it does not serve Spark's HTTP API yet"
    try:
        response.json()
    except ValueError:
        return f"spark-sim answers POST {V1_PATH} with a body that is not JSON: {response.text[:100]!r}"
    return None


@pytest.fixture(scope="module")
def sim_http():
    """`spark-sim` with app id, key, secret and password; its http:// base URL (it serves Spark's
    HTTP API on its WebSocket port)."""
    sim = SimProcess(relay_binary().parent / "spark-sim", {**CREDS_KEY_SECRET, **CREDS_PASSWORD}, "--chunk-delay", "0")
    try:
        assert sim.url.startswith("ws://"), sim.url
        base_url = "http://" + sim.url[len("ws://"):]
        reason = sim_http_missing(base_url)
        assert reason is None, reason
        yield base_url
    finally:
        sim.stop()


def sim_client(base_url: str, version: str = "v1", api_key: str = KEY_SECRET) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{base_url}/{version}", api_key=api_key, max_retries=0, timeout=CLIENT_TIMEOUT)


def tool_calls_of(obj) -> list:
    """A message's or delta's tool calls as dicts, whether Spark sent an array or one object."""
    calls = getattr(obj, "tool_calls", None)
    if calls is None:
        return []
    return [calls] if isinstance(calls, dict) else [as_dict(call) for call in calls]


def test_sim_http_openai_sdk_whole_and_streamed(sim_http):
    for api_key in (KEY_SECRET, PASSWORD):
        completion = sim_client(sim_http, api_key=api_key).chat.completions.create(
            model="generalv3.5", messages=[{"role": "user", "content": "你好"}])
        assert completion.choices[0].message.content == sim_answer("你好")
        assert completion.usage.total_tokens > 0
    chunks = list(sim_client(sim_http).chat.completions.create(
        model="lite", stream=True, messages=[{"role": "user", "content": "流式"}]))
    pieces = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert "".join(pieces) == sim_answer("流式") and len(pieces) > 1
    assert any(c.usage is not None and c.usage.total_tokens > 0 for c in chunks)


def test_sim_http_function_call(sim_http):
    client = sim_client(sim_http)
    messages = [{"role": "user", "content": "合肥 [[function:get_weather]]"}]
    completion = client.chat.completions.create(model="generalv3.5", tools=TOOLS, messages=messages)
    calls = tool_calls_of(completion.choices[0].message)
    assert calls and calls[0]["function"]["name"] == "get_weather", completion
    json.loads(calls[0]["function"]["arguments"])
    chunks = list(client.chat.completions.create(model="generalv3.5", tools=TOOLS, stream=True, messages=messages))
    streamed = [call for c in chunks if c.choices for call in tool_calls_of(c.choices[0].delta)]
    assert streamed and streamed[0]["function"]["name"] == "get_weather", chunks


def test_sim_http_x1_reasoning_on_v2(sim_http):
    chunks = list(sim_client(sim_http, "v2").chat.completions.create(
        model="x1", stream=True, messages=[{"role": "user", "content": "想一想 [[reasoning]]"}]))
    reasoning = "".join(extra(c.choices[0].delta, "reasoning_content") or "" for c in chunks if c.choices)
    assert reasoning, "no reasoning_content"
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == sim_answer("想一想")


def test_sim_http_error_code(sim_http):
    client = sim_client(sim_http)
    messages = [{"role": "user", "content": "x [[error:10013]]"}]
    try:
        completion = client.chat.completions.create(model="lite", messages=messages)
        assert extra(completion, "code") == 10013, completion
    except openai.APIError as error:
        assert "10013" in str(error.body) + str(error.message), error
    try:
        chunks = list(client.chat.completions.create(model="lite", stream=True, messages=messages))
        assert any(extra(c, "code") == 10013 for c in chunks), chunks
    except openai.APIError as error:
        assert "10013" in str(error.body) + str(error.message), error


def test_sim_http_bad_bearer_is_401(sim_http):
    for api_key in ("not-the-password", f"{API_KEY}:not-the-secret"):
        with pytest.raises(openai.AuthenticationError) as caught:
            sim_client(sim_http, api_key=api_key).chat.completions.create(
                model="lite", messages=[{"role": "user", "content": "x"}])
        assert caught.value.status_code == 401


# ---------------------------------------------------------------------------------------------
# `spark-relay check` per protocol

def run_check(*args: str, env: dict) -> subprocess.CompletedProcess:
    from spark_peers import clean_env
    return subprocess.run([str(relay_binary()), "check", *args], env=clean_env(env), capture_output=True, text=True,
                          timeout=60)


def test_check_makes_one_real_request_over_http_and_diagnoses_a_bad_password(peer):
    """`check --upstream-protocol http` POSTs one request to the HTTP API (the peer sees it, with the
    password as its Bearer), says which protocol answered; a wrong password is a 401 diagnosis that
    names the setting and never shows the password."""
    flags = ("--upstream", "spark", "--upstream-protocol", "http", "--spark-http-base-url", peer.base_url)
    good = run_check(*flags, env=CREDS_PASSWORD)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "checking http" in good.stdout and "OK:" in good.stdout and "over http" in good.stdout, good.stdout
    assert len(peer.requests) == 1 and peer.requests[0].headers.get("authorization") == f"Bearer {PASSWORD}"
    assert PASSWORD not in good.stdout + good.stderr
    bad = run_check(*flags, env={"SPARK_API_PASSWORD": WRONG_PASSWORD})
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "401" in bad.stdout and "SPARK_API_PASSWORD" in bad.stdout, bad.stdout
    assert WRONG_PASSWORD not in bad.stdout + bad.stderr


def test_check_on_the_simulator_honours_the_protocol():
    """`check --upstream simulator --upstream-protocol http` checks the built-in simulator's HTTP API
    (it serves both protocols on one port)."""
    out = run_check("--upstream", "simulator", "--upstream-protocol", "http", env={})
    assert out.returncode == 0, out.stdout + out.stderr
    assert "checking http http://127.0.0.1:" in out.stdout and "OK:" in out.stdout, out.stdout
