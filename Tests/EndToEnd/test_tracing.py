"""Distributed tracing of the real relay binary ($SPARK_RELAY_BIN, the release build), end to end.

Every relay here exports to an OTLP/HTTP receiver (otlp_receiver.py) that decodes each export with
the official opentelemetry-proto classes and protobuf's strict JSON parser; spans are compared with
what the other, independent observers of the same request saw:

1. Through the shipped nginx config, with curl as the client: the caller's `traceparent` and
   `tracestate` survive nginx; the server span continues the caller's trace with the HTTP
   attributes (client address after `server.trusted_proxies`, the named key, never the key), the
   attempt span is its child with the GenAI attributes equal to the SSE `done` event's sid and
   usage, `first_token` and `end` events in order inside the span; the access log line and the
   usage record carry the trace id; no span carries the prompt, the answer, a key or a secret.
2. Failures: a Spark error (moderation and other) marks the attempt span, not the 200 server
   span; a client that leaves is recorded without an error status.
3. Propagation to Spark, seen by independent peers: the signed WebSocket upgrade (SparkWSRecorder,
   tracing_checks.py) and the HTTP API (FakeSparkHTTP, spark_http_peer.py) receive a traceparent
   naming the attempt span as parent, in the caller's trace.
4. A collector that is gone or hangs changes nothing for clients (same SSE events); /metrics
   counts failed exports and, with a tiny queue, dropped spans.
5. Sampling: `sample_ratio` 0 records only what a sampled caller asks for; an unsampled caller's
   flag is followed even at ratio 1; a request without a traceparent starts a new root trace.
6. Tickets (`POST /chat` + `GET /chat/stream/{id}`): the GET span links to the POST span and the
   attempt is the POST span's child, also when the GET lands on another relay (Redis engine).
7. `tracing.headers` and SPARK_RELAY_TRACING_HEADERS reach the collector (and no log); an invalid
   endpoint or header name stops the relay at start with a message naming the setting.
8. SIGTERM sends the queued spans before the relay exits.

Exports run every 0.1 s (`tracing.flush_interval`); tests poll the receiver with a deadline.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Optional

import httpx
import pytest

from cluster_harness import RedisProcess
from nginx_harness import nginx_binary, start_nginx
from otlp_receiver import OTLPReceiver
from relay_harness import RelayProcess, write_config
from spark_http_peer import CREDS_KEY_SECRET, CREDS_PASSWORD, PASSWORD, FakeSparkHTTP, V1_PATH
from spark_peers import API_KEY, API_SECRET, APP_ID, CREDS, SID, parse_sse
from tcp_proxy import TCPProxy
from tracing_checks import (SPAN_KIND_CLIENT, SPAN_KIND_SERVER, STATUS_ERROR, STATUS_UNSET, SparkWSRecorder,
                            access_lines, assert_nothing_leaks, attempt_spans, check_child_within, check_events_within,
                            event_names, new_ids, of_trace, one, parse_traceparent, read_usage_records, server_span,
                            trace_metrics, traceparent, tracing_section, wait_for_access_line, wait_for_metrics,
                            wait_for_spans, wait_for_trace)

CLIENT_TIMEOUT = 20.0
DEFAULT_MODEL = "generalv3.5"
# In the prompts: a word that must never reach a span (the simulator echoes it into the answer too).
PROMPT_WORD = "quetzalcoatl-prompt-7731"
# Part of the simulator's fixed answer (Sources/SparkSimulator/SimulatorScript.swift).
SIM_ANSWER_PART = "讯飞星火模拟器"
TRACESTATE = "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"
CLIENT_KEY = "sk-trace-e2e-client-key-0b5f77"


@pytest.fixture
def receiver():
    """An OTLP receiver; tests name it before `start_relay` so that it outlives their relays (whose
    SIGTERM at teardown sends what they still hold)."""
    with OTLPReceiver() as running:
        yield running


def sim_config(receiver_url: str, tracing: Optional[dict] = None, **sections) -> dict:
    """A relay on the built-in simulator (fast chunks) exporting to `receiver_url`."""
    config = {"tracing": tracing_section(receiver_url, **(tracing or {})),
              "upstream": {"simulator_chunk_delay": 0.002}}
    for section, values in sections.items():
        config.setdefault(section, {}).update(values)
    return config


def chat_stream(base_url: str, body: dict, headers: Optional[dict] = None, path: str = "/chat/stream",
                method: str = "POST") -> tuple:
    """One SSE stream read to its end: (response, events)."""
    with httpx.Client(timeout=CLIENT_TIMEOUT) as client:
        with client.stream(method, base_url + path, json=body if method == "POST" else None,
                           headers={"Accept": "text/event-stream", **(headers or {})}) as response:
            raw = response.read()
    assert response.status_code == 200, (response.status_code, raw[:300])
    events, _ = parse_sse(raw)
    return response, events


def done_of(events: list) -> dict:
    assert events and events[-1].event == "done", [(e.event, e.data[:100]) for e in events]
    return json.loads(events[-1].data)


def stream_error_of(events: list) -> dict:
    assert events and events[-1].event == "stream-error", [(e.event, e.data[:100]) for e in events]
    return json.loads(events[-1].data)["error"]


def answer_text(events: list) -> str:
    return "".join(json.loads(e.data)["choices"]["text"][0]["content"] for e in events if e.event == "message")


def comparable(events: list) -> list:
    """A stream's events without what differs between two runs of one prompt (stream id, Spark sid)."""
    out = []
    for event in events:
        data = json.loads(event.data)
        if event.event == "done":
            data.pop("sid")
        out.append((event.event, event.id.rsplit(":", 1)[1], data))
    return out


# ---------------------------------------------------------------------------------------------
# 1. Through nginx: the caller's trace, the attributes, the log line, the usage record.

def curl_through_nginx(url: str, body: dict, headers: list, head_file: Path) -> tuple:
    """POST with curl (an independent client); (response head text, SSE events, raw body bytes)."""
    args = ["curl", "-sS", "-N", "--max-time", str(CLIENT_TIMEOUT), "-D", str(head_file), "-X", "POST",
            "--data-binary", json.dumps(body)]
    for name, value in headers:
        args += ["-H", f"{name}: {value}"]
    result = subprocess.run(args + [url], capture_output=True, timeout=CLIENT_TIMEOUT + 5,
                            env={**os.environ, "NO_PROXY": "*", "no_proxy": "*"})
    assert result.returncode == 0, result.stderr.decode()
    events, _ = parse_sse(result.stdout)
    return head_file.read_text(), events, result.stdout


def test_a_stream_through_nginx_continues_the_callers_trace(receiver, start_relay, tmp_path):
    nginx_binary()
    if shutil.which("curl") is None:
        pytest.fail("curl is required (run.sh installs it)")
    usage_file = tmp_path / "usage.jsonl"
    relay = start_relay(sim_config(
        receiver.url, tracing={"service_name": "relay-under-trace"},
        server={"trusted_proxies": ["127.0.0.1"]}, log={"usage_file": str(usage_file)},
        auth={"enabled": True, "keys": [{"name": "team-trace", "sha256": hashlib.sha256(CLIENT_KEY.encode()).hexdigest()}]}))
    nginx = start_nginx(tmp_path / "nginx", relay.address)
    try:
        trace_id, parent_id = new_ids()
        user_agent = "tracing-e2e/1.0 (curl)"
        head, events, raw = curl_through_nginx(
            f"{nginx.base_url}/chat/stream",
            {"prompt": f"{PROMPT_WORD} [[chunks:4]]", "temperature": 0.5, "max_tokens": 512, "top_k": 3},
            [("Content-Type", "application/json"), ("traceparent", traceparent(trace_id, parent_id)),
             ("tracestate", TRACESTATE), ("Authorization", f"Bearer {CLIENT_KEY}"),
             ("X-Forwarded-For", "203.0.113.7"), ("User-Agent", user_agent)],
            tmp_path / "head.txt")
        assert nginx.alive(), nginx.error_log()
    finally:
        nginx.stop()
    assert head.startswith("HTTP/1.1 200"), head
    stream_id = next(line.split(":", 1)[1].strip() for line in head.splitlines()
                     if line.lower().startswith("x-stream-id:"))
    done = done_of(events)
    answer = answer_text(events)
    assert PROMPT_WORD in answer and SIM_ANSWER_PART in answer, answer

    spans = wait_for_trace(receiver, trace_id, 2)
    assert len(spans) == 2, spans
    server = server_span(spans, "POST /chat/stream")
    [attempt] = attempt_spans(spans)

    # The server span: a child of the caller's span, in the caller's trace, with its tracestate.
    assert server["parent_span_id"] == parent_id
    assert server["trace_state"] == TRACESTATE
    assert server["resource"]["service.name"] == "relay-under-trace"
    assert server["scope"] == "spark-relay"
    assert server["status"] == {"code": STATUS_UNSET, "message": ""}
    access = wait_for_access_line(relay, lambda line: line.get("trace_id") == trace_id, "the traced stream")
    assert server["attributes"] == {
        "http.request.method": "POST", "url.path": "/chat/stream", "url.scheme": "http",
        "network.protocol.version": "1.1", "http.route": "/chat/stream", "http.response.status_code": 200,
        "http.response.body.size": len(raw), "client.address": "203.0.113.7", "user_agent.original": user_agent,
        "spark_relay.key.name": "team-trace",
    }, server["attributes"]
    assert server["events"] == [] and server["links"] == []

    # The access log line of this request names the same trace, client and size.
    assert access["status"] == "200" and access["path"] == "/chat/stream", access
    assert access["client"] == "203.0.113.7" and access["bytes"] == str(len(raw)), access

    # The attempt: the server span's child, GenAI attributes equal to what the client saw.
    assert attempt["kind"] == SPAN_KIND_CLIENT and attempt["name"] == f"chat {DEFAULT_MODEL}"
    check_child_within(server, attempt)
    attributes = dict(attempt["attributes"])
    endpoint = attributes.pop("spark.endpoint")
    handshake = attributes.pop("spark.handshake.duration_ms")
    app_id = attributes.pop("spark.app_id")
    assert endpoint.startswith("ws://127.0.0.1:") and endpoint.endswith("/v3.5/chat"), endpoint
    assert isinstance(handshake, float) and 0 < handshake < CLIENT_TIMEOUT * 1000, handshake
    assert isinstance(app_id, str) and app_id, app_id
    assert attributes == {
        "gen_ai.operation.name": "chat", "gen_ai.provider.name": "iflytek.spark",
        "gen_ai.request.model": DEFAULT_MODEL, "gen_ai.request.temperature": 0.5,
        "gen_ai.request.max_tokens": 512, "gen_ai.request.top_k": 3,
        "spark.protocol": "websocket", "spark.credential.index": 0, "spark.attempt": 1,
        "gen_ai.response.id": done["sid"],
        "gen_ai.usage.input_tokens": done["usage"]["prompt_tokens"],
        "gen_ai.usage.output_tokens": done["usage"]["completion_tokens"],
        "gen_ai.response.finish_reasons": ["stop"],
    }, attempt["attributes"]
    assert attempt["status"] == {"code": STATUS_UNSET, "message": ""}
    assert event_names(attempt) == ["first_token", "end"], attempt["events"]
    assert attempt["events"][1]["attributes"] == {"spark_relay.outcome": "done"}
    check_events_within(attempt)

    # The usage record of the stream carries the trace id too.
    [record] = read_usage_records(usage_file, 1)
    assert record["trace_id"] == trace_id and record["sid"] == done["sid"], record
    assert record["key"] == "team-trace" and record["client"] is None, record  # a key's record names the key

    # Nothing of the conversation, the client's key or the stream's capability reaches a span.
    assert_nothing_leaks(spans, [PROMPT_WORD, answer, SIM_ANSWER_PART, CLIENT_KEY, stream_id])


# ---------------------------------------------------------------------------------------------
# 2. Failures on the attempt span.

@pytest.mark.parametrize("directive, code, finish_reason", [
    ("[[error:10013@2]]", 10013, "content_filter"),   # input moderation, after two frames
    ("[[error:10907]]", 10907, "error"),              # context too long, before any frame
])
def test_a_spark_error_marks_the_attempt_not_the_200_server_span(receiver, start_relay, tmp_path,
                                                                  directive, code, finish_reason):
    usage_file = tmp_path / "usage.jsonl"
    relay = start_relay(sim_config(receiver.url, log={"usage_file": str(usage_file)}))
    trace_id, parent_id = new_ids()
    _, events = chat_stream(relay.base_url, {"prompt": f"{PROMPT_WORD} {directive}"},
                            {"traceparent": traceparent(trace_id, parent_id)})
    error = stream_error_of(events)
    assert error["code"] == code, error

    spans = wait_for_trace(receiver, trace_id, 2)
    server = server_span(spans, "POST /chat/stream")
    [attempt] = attempt_spans(spans)
    check_child_within(server, attempt)
    # The response was a 200 stream: the server span is no error.
    assert server["status"]["code"] == STATUS_UNSET, server["status"]
    assert server["attributes"]["http.response.status_code"] == 200

    assert attempt["status"] == {"code": STATUS_ERROR, "message": error["message"]}, (attempt["status"], error)
    assert attempt["attributes"]["error.type"] == str(code)
    assert attempt["attributes"]["spark.error.code"] == code
    assert attempt["attributes"]["gen_ai.response.finish_reasons"] == [finish_reason]
    assert attempt["events"][-1] == {"name": "end", "time": attempt["events"][-1]["time"],
                                     "attributes": {"spark_relay.outcome": str(code)}}, attempt["events"]
    if directive.endswith("@2]]"):
        assert event_names(attempt) == ["first_token", "end"], attempt["events"]
    check_events_within(attempt)
    # Spark sent no usage: the span says the counts are the relay's estimate, the usage record's.
    [record] = read_usage_records(usage_file, 1)
    assert record["trace_id"] == trace_id and record["usage"] == "estimate", record
    assert attempt["attributes"]["spark_relay.usage.estimated"] is True
    assert attempt["attributes"]["gen_ai.usage.input_tokens"] == record["prompt_tokens"]
    assert attempt["attributes"]["gen_ai.usage.output_tokens"] == record["completion_tokens"]
    assert_nothing_leaks(spans, [PROMPT_WORD])


def test_a_client_that_leaves_is_recorded_without_an_error_status(receiver, start_relay):
    relay = start_relay(sim_config(receiver.url))
    trace_id, parent_id = new_ids()
    seen = 0
    with httpx.Client(timeout=CLIENT_TIMEOUT) as client:
        with client.stream("POST", f"{relay.base_url}/chat/stream", json={"prompt": "leave [[chunks:200]] [[delay:20]]"},
                           headers={"traceparent": traceparent(trace_id, parent_id)}) as response:
            assert response.status_code == 200
            for line in response.iter_lines():
                seen += line.startswith("data:")
                if seen == 2:
                    break
    spans = wait_for_trace(receiver, trace_id, 2)
    server = server_span(spans, "POST /chat/stream")
    [attempt] = attempt_spans(spans)
    # The server span ends when the client leaves; the upstream is closed right after.
    check_child_within(server, attempt, ends_inside=False)
    assert server["events"][-1]["name"] == "client_disconnected", server["events"]
    check_events_within(server)
    assert server["status"]["code"] == STATUS_UNSET, server["status"]
    assert attempt["attributes"]["error.type"] == "client_disconnected", attempt["attributes"]
    assert attempt["status"]["code"] == STATUS_UNSET, attempt["status"]
    assert attempt["events"][-1]["name"] == "end", attempt["events"]
    assert attempt["events"][-1]["attributes"] == {"spark_relay.outcome": "client_disconnected"}
    assert attempt["attributes"]["spark_relay.usage.estimated"] is True
    check_events_within(attempt)


# ---------------------------------------------------------------------------------------------
# 3. The attempt's traceparent reaches Spark (independent peers record it).

@pytest.fixture
def upstream(request):
    """("websocket" | "http"): a recording Spark peer and the relay config/env that use it."""
    if request.param == "websocket":
        peer = SparkWSRecorder(["第一段，", "第二段😀，", "完。"])
        yield request.param, peer, {"upstream": {"mode": "spark", "spark_base_url": peer.base_url}}, CREDS
    else:
        peer = FakeSparkHTTP()
        yield request.param, peer, {"upstream": {"mode": "spark", "protocol": "http",
                                                 "spark_http_base_url": peer.base_url}}, \
            {**CREDS_KEY_SECRET, **CREDS_PASSWORD}
    peer.stop()


@pytest.mark.parametrize("upstream", ["websocket", "http"], indirect=True)
def test_spark_receives_the_attempt_as_traceparent(receiver, start_relay, upstream):
    protocol, peer, config, env = upstream
    relay = start_relay({**config, "tracing": tracing_section(receiver.url)}, env=env)
    trace_id, parent_id = new_ids()
    _, events = chat_stream(relay.base_url, {"prompt": f"{PROMPT_WORD} 你好"},
                            {"traceparent": traceparent(trace_id, parent_id), "tracestate": TRACESTATE})
    done = done_of(events)
    answer = answer_text(events)

    if protocol == "websocket":
        assert peer.rejected == [] and peer.errors == [], (peer.rejected, peer.errors)
        [(path, headers, _)] = peer.upgrades
        expected_endpoint, expected_sid = peer.base_url + path, SID
        assert path == "/v3.5/chat"
    else:
        [request] = peer.requests
        assert request.problem is None, request.problem
        headers, expected_endpoint, expected_sid = request.headers, peer.base_url + V1_PATH, request.sid

    spans = wait_for_trace(receiver, trace_id, 2)
    server = server_span(spans, "POST /chat/stream")
    [attempt] = attempt_spans(spans)
    check_child_within(server, attempt)
    sent_trace, sent_parent, flags = parse_traceparent(headers.get("traceparent"))
    assert sent_trace == trace_id, (headers["traceparent"], trace_id)
    assert sent_parent == attempt["span_id"], (headers["traceparent"], attempt["span_id"])
    assert flags == "01", headers["traceparent"]
    # The caller's vendor state travels on with the trace (W3C Trace Context, "tracestate").
    assert headers.get("tracestate") == TRACESTATE, headers

    assert attempt["attributes"]["spark.protocol"] == protocol
    assert attempt["attributes"]["spark.app_id"] == APP_ID
    assert attempt["attributes"]["spark.endpoint"] == expected_endpoint  # never the signed URL
    assert attempt["attributes"]["gen_ai.response.id"] == expected_sid == done["sid"]
    assert attempt["attributes"]["gen_ai.usage.input_tokens"] == done["usage"]["prompt_tokens"]
    assert attempt["attributes"]["gen_ai.usage.output_tokens"] == done["usage"]["completion_tokens"]
    assert attempt["attributes"]["gen_ai.response.finish_reasons"] == ["stop"]
    assert "spark_relay.usage.estimated" not in attempt["attributes"]
    assert event_names(attempt) == ["first_token", "end"], attempt["events"]
    check_events_within(attempt)
    assert_nothing_leaks(spans, [PROMPT_WORD, answer, API_KEY, API_SECRET, PASSWORD, "authorization="])


def test_each_failover_attempt_is_a_span_and_sends_its_own_traceparent(receiver, start_relay):
    """The environment's app has a wrong secret (401 at the upgrade): the stream fails over to the
    second app of the pool. Two attempt spans under one server span; each upgrade request names
    its own attempt as the parent."""
    peer = SparkWSRecorder(["失败之后，", "第二个应用回答。"])
    try:
        relay = start_relay({"tracing": tracing_section(receiver.url),
                             "upstream": {"mode": "spark", "spark_base_url": peer.base_url,
                                          "credentials": [{"app_id": APP_ID, "api_key": API_KEY, "api_secret": API_SECRET}]}},
                            env={"SPARK_APP_ID": "appbad01", "SPARK_API_KEY": API_KEY,
                                 "SPARK_API_SECRET": "wrong-secret-for-the-first-app"})
        trace_id, parent_id = new_ids()
        _, events = chat_stream(relay.base_url, {"prompt": "fail over"}, {"traceparent": traceparent(trace_id, parent_id)})
        done = done_of(events)
        spans = wait_for_trace(receiver, trace_id, 3)
    finally:
        peer.stop()
    server = server_span(spans, "POST /chat/stream")
    assert len(spans) == 3, spans
    attempts = sorted(attempt_spans(spans), key=lambda span: span["start"])
    assert [a["attributes"]["spark.attempt"] for a in attempts] == [1, 2], [a["attributes"] for a in attempts]
    first, second = attempts
    for attempt in attempts:
        assert attempt["name"] == f"chat {DEFAULT_MODEL}"
        check_child_within(server, attempt)
    assert first["end"] <= second["start"]

    assert first["attributes"]["spark.app_id"] == "appbad01" and first["attributes"]["spark.credential.index"] == 0
    assert first["attributes"]["error.type"] == "upstream_unauthorized", first["attributes"]
    assert "spark.failover.reason" not in first["attributes"]
    assert first["status"]["code"] == STATUS_ERROR and "401" in first["status"]["message"], first["status"]
    assert first["events"][-1]["name"] == "end"
    assert first["events"][-1]["attributes"] == {"spark_relay.outcome": "failed_over"}, first["events"]

    assert second["attributes"]["spark.app_id"] == APP_ID and second["attributes"]["spark.credential.index"] == 1
    assert second["attributes"]["spark.failover.reason"] == "upstream_unauthorized", second["attributes"]
    assert second["attributes"]["gen_ai.response.id"] == done["sid"]
    assert second["status"] == {"code": STATUS_UNSET, "message": ""}
    assert event_names(second) == ["first_token", "end"], second["events"]

    # The refused upgrade and the accepted one each carried their own attempt as the parent.
    assert [reason is None for _, _, reason in peer.upgrades] == [False, True], peer.upgrades
    for (_, headers, _), attempt in zip(peer.upgrades, (first, second)):
        assert parse_traceparent(headers.get("traceparent")) == (trace_id, attempt["span_id"], "01"), headers
    assert_nothing_leaks(spans, ["wrong-secret-for-the-first-app", API_SECRET, API_KEY])


# ---------------------------------------------------------------------------------------------
# 4. The collector gone or hanging: clients see nothing of it; /metrics does.

def test_a_stopped_collector_changes_nothing_for_clients(receiver, start_relay):
    # The collector sits behind a TCP forwarder: closing it ends the relay's kept-alive export
    # connection and refuses new ones, as a collector that went away does (the receiver's own
    # server keeps serving connections it already has after it stops listening).
    collector = TCPProxy(("127.0.0.1", receiver.port))
    relay = start_relay(sim_config(f"http://127.0.0.1:{collector.port}", tracing={"export_timeout": 1}))
    body = {"prompt": "same answer twice [[chunks:5]]"}
    try:
        trace_id, parent_id = new_ids()
        _, before = chat_stream(relay.base_url, body, {"traceparent": traceparent(trace_id, parent_id)})
        wait_for_trace(receiver, trace_id, 2)
        # The receiver records spans before it answers: wait until the relay has its answer too.
        wait_for_metrics(relay.base_url, lambda m: m["exported"] == 2 and m["exports_ok"] >= 1, "the first export")
    finally:
        collector.close()

    later = []
    for _ in range(3):
        trace_id, parent_id = new_ids()
        _, events = chat_stream(relay.base_url, body, {"traceparent": traceparent(trace_id, parent_id)})
        later.append(events)
    for events in later:
        assert comparable(events) == comparable(before)
    metrics = wait_for_metrics(relay.base_url, lambda m: m["failed"] >= 6 and m["exports_failed"] >= 1,
                               "the failed exports of the 6 spans of 3 streams")
    assert metrics["exported"] == 2 and metrics["exports_ok"] >= 1, metrics
    assert len(receiver.spans()) == 2, receiver.spans()
    assert relay.alive(), relay.log_tail()


class HangingCollector:
    """A TCP listener that accepts every connection, reads what comes and never answers."""

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._open: list = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
                self._open.append(connection)
            threading.Thread(target=self._drain, args=(connection,), daemon=True).start()

    @staticmethod
    def _drain(connection: socket.socket) -> None:
        try:
            while connection.recv(65536):
                pass
        except OSError:
            pass

    def close(self) -> None:
        self.sock.close()
        with self._lock:
            for connection in self._open:
                connection.close()


def test_a_hanging_collector_with_a_tiny_queue_drops_spans_not_streams(start_relay):
    collector = HangingCollector()
    try:
        relay = start_relay(sim_config(f"http://127.0.0.1:{collector.port}",
                                       tracing={"queue_spans": 2, "batch_spans": 2, "export_timeout": 4,
                                                "shutdown_timeout": 0.5}))
        body = {"prompt": "through a full queue [[chunks:3]]"}
        _, first = chat_stream(relay.base_url, body)
        deadline = time.monotonic() + 10
        while collector.connections == 0:
            assert time.monotonic() < deadline, "the relay never tried to export"
            time.sleep(0.02)
        # One export hangs at the collector; the queue holds 2 spans; 8 more spans come.
        started = time.monotonic()
        for _ in range(4):
            _, events = chat_stream(relay.base_url, body)
            assert comparable(events) == comparable(first)
        elapsed = time.monotonic() - started
        assert elapsed < 4, f"4 streams took {elapsed:.2f}s while the collector hung: clients waited for it"
        metrics = trace_metrics(relay.base_url)
        assert metrics["dropped"] > 0, metrics
        assert metrics["queued"] <= 2, metrics
        assert metrics["exported"] == 0 and metrics["exports_ok"] == 0, metrics
        # The hanging export is abandoned after export_timeout: its spans count as failed.
        wait_for_metrics(relay.base_url, lambda m: m["exports_failed"] >= 1 and m["failed"] >= 1,
                         "the abandoned export", timeout=15)
        assert relay.alive(), relay.log_tail()
        # The fixture's SIGTERM must still end the relay cleanly (shutdown_timeout bounds the wait).
    finally:
        collector.close()


# ---------------------------------------------------------------------------------------------
# 5. Sampling.

def test_ratio_zero_records_only_sampled_callers(receiver, start_relay):
    relay = start_relay(sim_config(receiver.url, tracing={"sample_ratio": 0}))
    chat_stream(relay.base_url, {"prompt": "not sampled"})
    assert httpx.get(f"{relay.base_url}/healthz", timeout=CLIENT_TIMEOUT).status_code == 200
    trace_id, parent_id = new_ids()
    chat_stream(relay.base_url, {"prompt": "sampled by the caller"}, {"traceparent": traceparent(trace_id, parent_id)})
    spans = wait_for_trace(receiver, trace_id, 2)
    assert server_span(spans, "POST /chat/stream")["parent_span_id"] == parent_id
    wait_for_metrics(relay.base_url, lambda m: m["exported"] >= 2, "the sampled trace's export")
    assert [s for s in receiver.spans() if s["trace_id"] != trace_id] == [], receiver.spans()
    metrics = trace_metrics(relay.base_url)
    assert metrics["exported"] == 2 and metrics["dropped"] == 0 and metrics["failed"] == 0, metrics


def test_an_unsampled_caller_is_followed_even_at_ratio_one(receiver, start_relay):
    relay = start_relay(sim_config(receiver.url))
    unsampled_trace, unsampled_parent = new_ids()
    chat_stream(relay.base_url, {"prompt": "caller says no"},
                {"traceparent": traceparent(unsampled_trace, unsampled_parent, sampled=False)})
    chat_stream(relay.base_url, {"prompt": "no caller at all"})
    root_line = wait_for_access_line(relay, lambda line: line.get("trace_id") not in (None, unsampled_trace),
                                     "the request without a traceparent")
    root_trace = root_line["trace_id"]
    trace_id, parent_id = new_ids()
    chat_stream(relay.base_url, {"prompt": "caller says yes"}, {"traceparent": traceparent(trace_id, parent_id)})

    spans = wait_for_spans(receiver, lambda spans: len(of_trace(spans, trace_id)) >= 2
                           and len(of_trace(spans, root_trace)) >= 2, "the sampled and the root trace")
    assert of_trace(spans, unsampled_trace) == [], of_trace(spans, unsampled_trace)
    assert {s["trace_id"] for s in spans} == {trace_id, root_trace}
    # Without a traceparent the server span starts a new trace (a root), the attempt its child.
    root = server_span(of_trace(spans, root_trace), "POST /chat/stream")
    assert root["parent_span_id"] == "" and root["trace_state"] == ""
    [attempt] = attempt_spans(of_trace(spans, root_trace))
    check_child_within(root, attempt)


# ---------------------------------------------------------------------------------------------
# 6. Tickets: the GET links to the POST; the attempt is the POST's child.

def check_ticket_trace(spans: list, trace_id: str, parent_id: str, ticket: dict, done: dict,
                       post_service_instance: Optional[str] = None, get_service_instance: Optional[str] = None) -> None:
    post = server_span(of_trace(spans, trace_id), "POST /chat")
    assert post["parent_span_id"] == parent_id
    assert post["attributes"]["http.response.status_code"] == 201
    get = one(spans, kind=SPAN_KIND_SERVER, name="GET /chat/stream/{id}")
    assert get["attributes"]["http.route"] == "/chat/stream/{id}"
    assert get["attributes"]["url.path"] == f"/chat/stream/{ticket['id'][:8]}…", get["attributes"]
    assert get["attributes"]["http.response.status_code"] == 200
    # EventSource sends no traceparent: the GET starts its own trace, linked to the stream's creator.
    assert get["trace_id"] != trace_id and get["parent_span_id"] == ""
    assert get["links"] == [{"trace_id": trace_id, "span_id": post["span_id"],
                             "attributes": {"spark_relay.link": "stream_creator"}}], get["links"]
    [attempt] = attempt_spans(spans)
    assert attempt["trace_id"] == trace_id and attempt["parent_span_id"] == post["span_id"], \
        (attempt["trace_id"], attempt["parent_span_id"], post["span_id"])
    # The upstream opens on the GET: the attempt runs inside the GET's span (the POST was over).
    assert post["start"] <= get["start"] <= attempt["start"] <= attempt["end"] <= get["end"]
    assert attempt["attributes"]["gen_ai.response.id"] == done["sid"]
    assert event_names(attempt) == ["first_token", "end"], attempt["events"]
    if post_service_instance is not None:
        assert post["resource"]["service.instance.id"] == post_service_instance, post["resource"]
        assert get["resource"]["service.instance.id"] == get_service_instance, get["resource"]
        assert attempt["resource"]["service.instance.id"] == get_service_instance, attempt["resource"]
    assert_nothing_leaks(spans, [ticket["id"], PROMPT_WORD])


def test_a_ticket_stream_links_to_the_post_that_created_it(receiver, start_relay):
    relay = start_relay(sim_config(receiver.url))
    trace_id, parent_id = new_ids()
    created = httpx.post(f"{relay.base_url}/chat", json={"prompt": f"{PROMPT_WORD} ticket"},
                         headers={"traceparent": traceparent(trace_id, parent_id)}, timeout=CLIENT_TIMEOUT)
    assert created.status_code == 201, created.text
    ticket = created.json()
    _, events = chat_stream(relay.base_url, {}, path=ticket["stream_url"], method="GET")
    done = done_of(events)
    spans = wait_for_spans(receiver, lambda spans: len(of_trace(spans, trace_id)) >= 2 and len(spans) >= 3,
                           "the POST, the attempt and the GET")
    assert len(spans) == 3, spans
    check_ticket_trace(spans, trace_id, parent_id, ticket, done)
    get = one(spans, kind=SPAN_KIND_SERVER, name="GET /chat/stream/{id}")
    lines = access_lines(relay)
    assert [line["trace_id"] for line in lines if line.get("path") == "/chat"] == [trace_id], lines
    assert [line["trace_id"] for line in lines if line.get("path", "").startswith("/chat/stream/")] == [get["trace_id"]]


def test_a_ticket_read_on_another_relay_joins_the_posts_trace(receiver, start_relay, tmp_path):
    redis = RedisProcess(tmp_path / "redis").start()
    relays: list = []
    try:
        relays += [start_relay(sim_config(receiver.url, cluster={"engine": "redis", "redis_url": redis.url,
                                                                 "instance_id": name, "heartbeat_interval": 0.5}))
                  for name in ("relay-a", "relay-b")]
        trace_id, parent_id = new_ids()
        created = httpx.post(f"{relays[0].base_url}/chat", json={"prompt": f"{PROMPT_WORD} across relays"},
                             headers={"traceparent": traceparent(trace_id, parent_id)}, timeout=CLIENT_TIMEOUT)
        assert created.status_code == 201, created.text
        ticket = created.json()
        _, events = chat_stream(relays[1].base_url, {}, path=ticket["stream_url"], method="GET")
        done = done_of(events)
        spans = wait_for_spans(receiver, lambda spans: len(of_trace(spans, trace_id)) >= 2 and len(spans) >= 3,
                               "the POST on relay A, the attempt and the GET on relay B")
        assert len(spans) == 3, spans
        check_ticket_trace(spans, trace_id, parent_id, ticket, done,
                           post_service_instance="relay-a", get_service_instance="relay-b")
        # The stream ran on relay B (its access log has the GET and the stream's protocol).
        assert any(line.get("path", "").startswith("/chat/stream/") for line in access_lines(relays[1]))
    finally:
        for relay in relays:  # before Redis goes away
            relay.stop_and_check()
        redis.kill()


# ---------------------------------------------------------------------------------------------
# 7. Collector headers and refused settings.

def test_collector_headers_reach_the_collector_and_no_log(receiver, start_relay):
    config_headers = [{"name": "Authorization", "value": "Bearer collector-config-token-5521"},
                      {"name": "X-Scope-OrgID", "value": "tenant-from-config"}]
    relay = start_relay(sim_config(receiver.url, tracing={"headers": config_headers}))
    assert httpx.get(f"{relay.base_url}/healthz", timeout=CLIENT_TIMEOUT).status_code == 200
    wait_for_spans(receiver, lambda spans: any(s["name"] == "GET /healthz" for s in spans), "the /healthz span")
    for headers, _ in receiver.requests:
        assert headers.get("authorization") == "Bearer collector-config-token-5521", headers
        assert headers.get("x-scope-orgid") == "tenant-from-config", headers
        assert headers.get("content-type") == "application/json", headers
    assert "collector-config-token-5521" not in relay.log_text()


def test_the_environments_collector_headers_win(receiver, start_relay):
    config_headers = [{"name": "Authorization", "value": "Bearer collector-config-token-5521"}]
    relay = start_relay(sim_config(receiver.url, tracing={"headers": config_headers}),
                        env={"SPARK_RELAY_TRACING_HEADERS": "authorization=Bearer collector-env-token-9034,x-tenant=t-env"})
    assert httpx.get(f"{relay.base_url}/healthz", timeout=CLIENT_TIMEOUT).status_code == 200
    wait_for_spans(receiver, lambda spans: any(s["name"] == "GET /healthz" for s in spans), "the /healthz span")
    for headers, _ in receiver.requests:
        assert headers.get("authorization") == "Bearer collector-env-token-9034", headers
        assert headers.get("x-tenant") == "t-env", headers
    log = relay.log_text()
    assert "collector-env-token-9034" not in log and "collector-config-token-5521" not in log


@pytest.mark.parametrize("tracing, env, setting", [
    ({"otlp_endpoint": "ftp://x"}, {}, "tracing.otlp_endpoint"),
    ({"otlp_endpoint": "http://127.0.0.1:4318", "headers": [{"name": "bad name", "value": "v"}]}, {}, "tracing.headers"),
    ({"otlp_endpoint": "http://127.0.0.1:4318"}, {"SPARK_RELAY_TRACING_HEADERS": "bad name=v"}, "SPARK_RELAY_TRACING_HEADERS"),
], ids=["ftp-endpoint", "header-name-with-space", "env-header-name-with-space"])
def test_an_invalid_tracing_setting_stops_the_relay_at_start(tmp_path, tracing, env, setting):
    relay = RelayProcess(write_config(tmp_path, {"tracing": tracing}), env=env)
    try:
        code = relay.wait(timeout=CLIENT_TIMEOUT)
    finally:
        relay.kill()
    assert code != 0, relay.log_text()
    assert setting in relay.log_text(), relay.log_text()
    assert "listening on" not in relay.log_text()


# ---------------------------------------------------------------------------------------------
# 8. SIGTERM flushes.

def test_sigterm_sends_the_queued_spans_before_exiting(receiver, start_relay):
    relay = start_relay(sim_config(receiver.url, tracing={"flush_interval": 60}))
    trace_id, parent_id = new_ids()
    chat_stream(relay.base_url, {"prompt": "flushed at exit"}, {"traceparent": traceparent(trace_id, parent_id)})
    wait_for_access_line(relay, lambda line: line.get("trace_id") == trace_id, "the stream")
    assert receiver.spans() == [], "spans left before the 60 s flush interval"
    assert trace_metrics(relay.base_url)["queued"] >= 2
    relay.send_signal(signal.SIGTERM)
    assert relay.wait(timeout=CLIENT_TIMEOUT) == 0, relay.log_tail()
    relay.stopped_by_fixture = True
    # The receiver answered each export only after recording it: everything is here already.
    spans = of_trace(receiver.spans(), trace_id)
    assert len(spans) == 2, spans
    check_child_within(server_span(spans, "POST /chat/stream"), one(spans, kind=SPAN_KIND_CLIENT))
    assert "trace spans lost" not in relay.log_text()
