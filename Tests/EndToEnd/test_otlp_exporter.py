"""The relay's OTLP/HTTP exporter (Sources/RelayTracing) against a receiver built on the official
opentelemetry-proto classes (otlp_receiver.py).

The receiver's own decoding is checked first on a hand-written OTLP/JSON document. Then the Swift
exporter runs: `swift test --skip-build --filter OTLPReceiverInteropTests` with
RELAY_TRACING_OTLP_RECEIVER_URL pointing at this receiver, and the spans it decoded are checked
here: parent/child links, the trace id of the incoming traceparent, the GenAI attributes, the
first-token event, the error status. It needs the debug build with tests (swift build --build-tests).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from otlp_receiver import OTLPReceiver, decode_json, spans_of

ROOT = Path(__file__).resolve().parents[2]
INCOMING_TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
INCOMING_PARENT_ID = "00f067aa0ba902b7"

SPAN_KIND_SERVER = 2
SPAN_KIND_CLIENT = 3
STATUS_CODE_UNSET = 0
STATUS_CODE_ERROR = 2


def _document(trace_id: str = INCOMING_TRACE_ID, extra_span_field: dict | None = None) -> bytes:
    span = {
        "traceId": trace_id, "spanId": "b7ad6b7169203331", "parentSpanId": INCOMING_PARENT_ID,
        "name": "chat", "kind": 3, "startTimeUnixNano": "1700000000000000000", "endTimeUnixNano": "1700000000500000000",
        "attributes": [
            {"key": "gen_ai.usage.input_tokens", "value": {"intValue": "12"}},
            {"key": "gen_ai.response.finish_reasons", "value": {"arrayValue": {"values": [{"stringValue": "stop"}]}}},
        ],
        "events": [{"timeUnixNano": "1700000000100000000", "name": "gen_ai.first_token"}],
        "status": {"code": 2, "message": "Spark error 10013"},
    }
    span.update(extra_span_field or {})
    return json.dumps({"resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "relay"}}]},
        "scopeSpans": [{"scope": {"name": "spark-relay"}, "spans": [span]}],
    }]}).encode()


def test_the_receiver_decodes_otlp_json_with_hex_ids():
    [span] = spans_of(decode_json(_document()))
    assert span["trace_id"] == INCOMING_TRACE_ID
    assert span["parent_span_id"] == INCOMING_PARENT_ID
    assert span["kind"] == SPAN_KIND_CLIENT
    assert span["start"] == 1700000000000000000
    assert span["attributes"] == {"gen_ai.usage.input_tokens": 12, "gen_ai.response.finish_reasons": ["stop"]}
    assert span["events"][0]["name"] == "gen_ai.first_token"
    assert span["status"] == {"code": STATUS_CODE_ERROR, "message": "Spark error 10013"}
    assert span["resource"] == {"service.name": "relay"}


@pytest.mark.parametrize("document", [
    _document(trace_id="S/kvNXezTaajzpKdDg5HNg=="),  # base64, as protobuf's plain JSON mapping would write it
    _document(trace_id=INCOMING_TRACE_ID.upper()),
    _document(trace_id=INCOMING_TRACE_ID[:30]),
    _document(extra_span_field={"spanKind": 3}),  # not an OTLP field
    _document(extra_span_field={"startTimeUnixNano": "soon"}),
])
def test_the_receiver_refuses_what_is_not_otlp_json(document):
    with pytest.raises(Exception):
        decode_json(document)


def _swift_exporter_spans(receiver: OTLPReceiver) -> list:
    swift = shutil.which("swift")
    if swift is None:
        pytest.skip("the Swift toolchain is not installed")
    if not (ROOT / ".build" / "debug").is_dir():
        pytest.skip("no debug build with tests: run swift build --build-tests first")
    env = dict(os.environ, RELAY_TRACING_OTLP_RECEIVER_URL=receiver.url)
    result = subprocess.run([swift, "test", "--skip-build", "--filter", "OTLPReceiverInteropTests"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, (result.stdout[-4000:], result.stderr[-4000:])
    assert "exportToTheReceiverOfThePytest() passed" in result.stdout + result.stderr
    spans = receiver.wait_for_spans(3)
    assert receiver.errors == []
    return spans


def test_the_swift_exporter_sends_spans_the_official_classes_decode():
    with OTLPReceiver() as receiver:
        spans = _swift_exporter_spans(receiver)
        headers = [headers for headers, _ in receiver.requests]

    assert all(h.get("content-type") == "application/json" for h in headers)
    assert all(h.get("authorization") == "Bearer collector-token" for h in headers)

    [server] = [s for s in spans if s["kind"] == SPAN_KIND_SERVER]
    attempts = [s for s in spans if s["kind"] == SPAN_KIND_CLIENT]
    assert len(attempts) == 2
    assert len({s["span_id"] for s in spans}) == 3

    # The server span is a child of the incoming traceparent; the attempts are children of it.
    assert server["trace_id"] == INCOMING_TRACE_ID
    assert server["parent_span_id"] == INCOMING_PARENT_ID
    assert server["trace_state"] == "congo=t61rcWkgMzE"
    for attempt in attempts:
        assert attempt["trace_id"] == INCOMING_TRACE_ID
        assert attempt["parent_span_id"] == server["span_id"]
        assert server["start"] <= attempt["start"] <= attempt["end"] <= server["end"]

    assert server["resource"]["service.name"] == "spark-relay-interop"
    assert server["attributes"] == {
        "http.request.method": "POST", "url.path": "/v1/chat/completions", "http.route": "/v1/chat/completions",
        "http.response.status_code": 200, "client.address": "127.0.0.1", "relay.key_name": "team-a",
    }

    [failed] = [a for a in attempts if a["status"]["code"] == STATUS_CODE_ERROR]
    assert failed["status"]["message"] == "Spark error 10013"
    assert failed["attributes"]["relay.failover_reason"] == "spark_error"
    assert failed["attributes"]["error.type"] == "10013"

    [streamed] = [a for a in attempts if a["status"]["code"] == STATUS_CODE_UNSET]
    assert streamed["attributes"] == {
        "gen_ai.operation.name": "chat", "gen_ai.request.model": "4.0Ultra", "gen_ai.request.temperature": 0.5,
        "gen_ai.request.max_tokens": 1024, "gen_ai.response.id": "cht000b7a2f@dx19", "gen_ai.usage.input_tokens": 12,
        "gen_ai.usage.output_tokens": 34, "gen_ai.response.finish_reasons": ["stop"],
        "relay.credential": "secondary", "relay.protocol": "websocket", "relay.handshake_ms": 42.5,
    }
    first_token, end = streamed["events"]
    assert first_token["name"] == "gen_ai.first_token"
    assert first_token["attributes"] == {"relay.time_to_first_token_ms": 180}
    assert end["name"] == "gen_ai.end"
    assert streamed["start"] <= first_token["time"] <= end["time"] <= streamed["end"]
