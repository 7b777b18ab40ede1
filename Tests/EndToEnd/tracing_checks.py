"""Helpers for test_tracing.py: W3C trace context values, waiting for spans at the OTLP receiver
(otlp_receiver.py, which decodes them with the official opentelemetry-proto classes), picking
spans out of what arrived, reading the relay's access log, usage file and /metrics, and a
recording Spark WebSocket peer.

`SparkWSRecorder` is a tiny Spark gateway stand-in on the `websockets` server, written here
because spark_peers.FakeSpark does not keep the upgrade request's headers: it checks the signed
URL with spark_peers.verify_signed_target (iFlytek's documented signing, computed in Python),
records the path and every header of each upgrade request, reads the request frame and answers
with spark_peers.answer_script's frames (status 0, 1…, 2 with usage), then closes with 1000.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import threading
import time
from pathlib import Path
from typing import Callable, Iterable, Optional

import httpx
from prometheus_client.parser import text_string_to_metric_families
from websockets.asyncio.server import serve
from websockets.datastructures import Headers
from websockets.http11 import Response

from spark_peers import answer_script, verify_signed_target

SPAN_KIND_SERVER = 2
SPAN_KIND_CLIENT = 3
STATUS_UNSET = 0
STATUS_ERROR = 2

TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
SPAN_WAIT = 15.0   # the longest a test waits for spans to reach the receiver (flush_interval is 0.1 s)


# ---------------------------------------------------------------------------------------------
# Trace context values.

def new_ids() -> tuple:
    """A fresh (trace id, parent span id) pair, lowercase hex, never all zeros."""
    return "7" + secrets.token_hex(15) + "e", "5" + secrets.token_hex(7) + "a"


def traceparent(trace_id: str, parent_id: str, sampled: bool = True) -> str:
    return f"00-{trace_id}-{parent_id}-{'01' if sampled else '00'}"


def parse_traceparent(value: Optional[str]) -> tuple:
    """(trace id, parent id, flags) of a valid version-00 traceparent; fails on anything else."""
    match = TRACEPARENT.match(value or "")
    assert match, f"not a valid W3C traceparent: {value!r}"
    trace_id, parent_id, flags = match.groups()
    assert trace_id != "0" * 32 and parent_id != "0" * 16, f"all-zero id in traceparent {value!r}"
    return trace_id, parent_id, flags


def tracing_section(endpoint: str, **overrides) -> dict:
    """A `tracing` config section exporting to `endpoint` every 0.1 s (spans arrive quickly)."""
    return {"otlp_endpoint": endpoint, "flush_interval": 0.1, **overrides}


# ---------------------------------------------------------------------------------------------
# Spans at the receiver.

def summary(spans: Iterable[dict]) -> list:
    return [(s["trace_id"], s["span_id"], s["parent_span_id"], s["name"]) for s in spans]


def wait_for_spans(receiver, condition: Callable[[list], bool], what: str, timeout: float = SPAN_WAIT) -> list:
    """Polls the receiver until `condition(all spans so far)` holds; returns the spans. Fails on a
    body the receiver refused (the relay must only send valid OTLP/JSON)."""
    deadline = time.monotonic() + timeout
    while True:
        assert receiver.errors == [], f"the receiver refused export bodies: {receiver.errors}"
        spans = receiver.spans()
        if condition(spans):
            return spans
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}; spans so far: {summary(spans)}")
        time.sleep(0.02)


def wait_for_trace(receiver, trace_id: str, count: int, timeout: float = SPAN_WAIT) -> list:
    """The spans of trace `trace_id`, once at least `count` arrived."""
    spans = wait_for_spans(receiver, lambda spans: len(of_trace(spans, trace_id)) >= count,
                           f"{count} span(s) of trace {trace_id}", timeout)
    return of_trace(spans, trace_id)


def of_trace(spans: Iterable[dict], trace_id: str) -> list:
    return [s for s in spans if s["trace_id"] == trace_id]


def one(spans: Iterable[dict], **fields) -> dict:
    """The one span whose fields equal `fields` (e.g. kind=2, name="POST /chat")."""
    spans = list(spans)
    found = [s for s in spans if all(s[k] == v for k, v in fields.items())]
    assert len(found) == 1, f"expected one span with {fields}, found {len(found)} among {summary(spans)}"
    return found[0]


def server_span(spans: Iterable[dict], name: str) -> dict:
    return one(spans, kind=SPAN_KIND_SERVER, name=name)


def attempt_spans(spans: Iterable[dict]) -> list:
    return [s for s in spans if s["kind"] == SPAN_KIND_CLIENT]


def event_names(span: dict) -> list:
    return [e["name"] for e in span["events"]]


def check_events_within(span: dict) -> None:
    """Event times never go backwards and lie inside the span."""
    times = [e["time"] for e in span["events"]]
    assert times == sorted(times), f"{span['name']}: events out of order {span['events']}"
    assert all(span["start"] <= t <= span["end"] for t in times), \
        f"{span['name']}: an event outside [{span['start']}, {span['end']}]: {span['events']}"


def check_child_within(parent: dict, child: dict, ends_inside: bool = True) -> None:
    """`child` is `parent`'s child in the same trace, started (and, with `ends_inside`, ended) inside it."""
    assert child["trace_id"] == parent["trace_id"], (child["trace_id"], parent["trace_id"])
    assert child["parent_span_id"] == parent["span_id"], (child["parent_span_id"], parent["span_id"])
    end = parent["end"] if ends_inside else child["end"]
    assert parent["start"] <= child["start"] <= child["end"] <= end and child["start"] <= parent["end"], \
        f"{child['name']} [{child['start']}, {child['end']}] is not inside {parent['name']} [{parent['start']}, {parent['end']}]"


def _strings(value) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)
    elif value is not None:
        yield str(value)


def every_string(span: dict) -> list:
    """Every text a span carries: name, trace state, attribute keys and values, events, links,
    status message, resource."""
    return list(_strings([span["name"], span["trace_state"], span["attributes"], span["events"], span["links"],
                          span["status"]["message"], span["resource"]]))


def every_attribute_key(span: dict) -> list:
    keys = list(span["attributes"]) + list(span["resource"])
    for item in span["events"] + span["links"]:
        keys += list(item["attributes"])
    return keys


def assert_nothing_leaks(spans: Iterable[dict], forbidden: Iterable[str]) -> None:
    """No text of any span contains one of `forbidden`, and no attribute is named like a secret."""
    forbidden = [f for f in forbidden if f]
    for span in spans:
        for text in every_string(span):
            for secret in forbidden:
                assert secret not in text, f"span {span['name']!r} carries {secret[:12]!r}…: {text[:200]!r}"
        for key in every_attribute_key(span):
            lowered = key.lower()
            assert not any(word in lowered for word in ("secret", "api_key", "apikey", "password", "authorization")), \
                f"span {span['name']!r} has an attribute named {key!r}"


# ---------------------------------------------------------------------------------------------
# The relay's other outputs.

ACCESS_FIELD = re.compile(r"(\S+?)=(\S+)")


def access_lines(relay) -> list:
    """The relay's access log lines as dicts of their key=value fields."""
    return [dict(ACCESS_FIELD.findall(line.split(" access ", 1)[1]))
            for line in relay.log_text().splitlines() if " access " in line]


def wait_for_access_line(relay, condition: Callable[[dict], bool], what: str, timeout: float = SPAN_WAIT) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        found = [line for line in access_lines(relay) if condition(line)]
        if found:
            assert len(found) == 1, f"more than one access line for {what}: {found}"
            return found[0]
        if time.monotonic() >= deadline:
            raise AssertionError(f"no access line for {what} within {timeout}s:\n{relay.log_tail()}")
        time.sleep(0.02)


def read_usage_records(path: Path, count: int, timeout: float = SPAN_WAIT) -> list:
    """The usage file's records once it holds `count` (they are written off the event loops)."""
    deadline = time.monotonic() + timeout
    records: list = []
    while time.monotonic() < deadline:
        if path.exists():
            records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
            if len(records) >= count:
                return records
        time.sleep(0.02)
    raise AssertionError(f"{path} holds {len(records)} record(s), expected {count}: {records}")


# Sent with every /metrics request of the tests: a caller that does not sample, so reading the
# counts adds no span of its own to what is counted (the relay follows the caller's decision).
UNSAMPLED_OBSERVER = {"traceparent": "00-0b5e4e40b5e4e40b5e4e40b5e4e40b5e-0b5e4e40b5e4e40b-00"}


def trace_metrics(base_url: str) -> dict:
    """The relay's relay_trace_* samples from /metrics (read with prometheus_client's parser):
    {"exported"|"dropped"|"failed": spans, "exports_ok"|"exports_failed": requests, "queued": spans}."""
    text = httpx.get(f"{base_url}/metrics", headers=UNSAMPLED_OBSERVER, timeout=10).text
    values = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "relay_trace_spans_total":
                values[sample.labels["outcome"]] = sample.value
            elif sample.name == "relay_trace_exports_total":
                values["exports_" + sample.labels["result"]] = sample.value
            elif sample.name == "relay_trace_queued_spans":
                values["queued"] = sample.value
    assert set(values) == {"exported", "dropped", "failed", "exports_ok", "exports_failed", "queued"}, values
    return values


def wait_for_metrics(base_url: str, condition: Callable[[dict], bool], what: str, timeout: float = SPAN_WAIT) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        values = trace_metrics(base_url)
        if condition(values):
            return values
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}; /metrics has {values}")
        time.sleep(0.05)


# ---------------------------------------------------------------------------------------------
# A Spark WebSocket peer that records the upgrade request's headers.

class SparkWSRecorder:
    """Spark's WebSocket gateway, minimal: signed URL checked (401 when wrong), request frame read,
    `pieces` answered as Spark frames, close 1000. `upgrades` lists (path, {lowercase name: value},
    why it was refused or None) per upgrade request; `rejected` the refusals; `requests` the parsed
    request frames."""

    def __init__(self, pieces: list):
        self.pieces = pieces
        self.upgrades: list = []
        self.requests: list = []
        self.rejected: list = []
        self.errors: list = []
        self.port: Optional[int] = None
        self._ready = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._stop: Optional[asyncio.Event] = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise AssertionError("the recording WebSocket peer did not start")

    @property
    def base_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._main())
        self._loop.close()

    async def _main(self) -> None:
        self._stop = asyncio.Event()

        def process_request(connection, request):
            reason = verify_signed_target(request.path, request.headers.get("Host"))
            self.upgrades.append((request.path.split("?", 1)[0],
                                  {name.lower(): value for name, value in request.headers.raw_items()}, reason))
            if reason is None:
                return None
            self.rejected.append(reason)
            body = b'{"message":"HMAC signature does not match"}'
            return Response(401, "Unauthorized", Headers([("Content-Type", "application/json"),
                                                          ("Content-Length", str(len(body)))]), body)

        async with serve(self._handle, "127.0.0.1", 0, process_request=process_request, ping_interval=None,
                         compression=None) as server:
            self.port = server.sockets[0].getsockname()[1]
            self._ready.set()
            await self._stop.wait()

    async def _handle(self, ws) -> None:
        try:
            self.requests.append(json.loads(await asyncio.wait_for(ws.recv(), 10)))
            for message in answer_script(self.pieces):
                await ws.send(message.encoded().decode())
            await ws.close(1000)
        except Exception as error:  # reported through `errors`
            self.errors.append(f"{type(error).__name__}: {error}")

    def stop(self) -> None:
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)
