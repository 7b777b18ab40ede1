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
3. `spark-sim`'s HTTP mode with the `openai` SDK pointed straight at it (skipped, with the reason,
   while spark-sim does not serve HTTP).

Every wait is bounded; every process and server is stopped by its fixture.
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
from pathlib import Path

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
