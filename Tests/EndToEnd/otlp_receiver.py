"""A small OTLP/HTTP traces receiver for tests, independent of the relay's code: every
POST /v1/traces is decoded with the official opentelemetry-proto classes and its spans are kept.

JSON bodies (application/json) are read with protobuf's own JSON parser,
google.protobuf.json_format.Parse, strict about field names and types. OTLP/JSON differs from
protobuf's canonical JSON mapping in one place: trace and span ids are hex strings, not base64
(opentelemetry-proto, "JSON Protobuf Encoding"). Like a collector, the receiver turns those ids into
base64 before parsing, and refuses a body whose ids are not hex of the right length. Protobuf bodies
(application/x-protobuf) are parsed with ParseFromString.

Run as a program, it listens on 127.0.0.1 (an ephemeral port), prints the port on the first line,
then one JSON line per decoded span (see span_view) or {"error": ...} per refused body.
"""

from __future__ import annotations

import base64
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Optional

from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

ID_LENGTHS = {"traceId": 16, "spanId": 8, "parentSpanId": 8}


def _hex_ids_to_base64(node) -> None:
    """Rewrites the hex trace and span ids of an OTLP/JSON document in place as base64."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ID_LENGTHS and isinstance(value, str):
                raw = bytes.fromhex(value)  # ValueError when not hex
                if len(raw) != ID_LENGTHS[key] or value != value.lower():
                    raise ValueError(f"{key} {value!r} is not {ID_LENGTHS[key]} bytes of lowercase hex")
                node[key] = base64.b64encode(raw).decode("ascii")
            else:
                _hex_ids_to_base64(value)
    elif isinstance(node, list):
        for item in node:
            _hex_ids_to_base64(item)


def decode_json(body: bytes) -> ExportTraceServiceRequest:
    """An OTLP/HTTP JSON body as the official message; raises on anything malformed."""
    document = json.loads(body)
    _hex_ids_to_base64(document)
    return json_format.Parse(json.dumps(document), ExportTraceServiceRequest())


def any_value(value):
    """An AnyValue as a plain Python value (arrays as lists)."""
    which = value.WhichOneof("value")
    if which == "array_value":
        return [any_value(item) for item in value.array_value.values]
    if which is None:
        return None
    return getattr(value, which)


def attributes(key_values) -> dict:
    return {kv.key: any_value(kv.value) for kv in key_values}


def span_view(resource, scope, span) -> dict:
    """One decoded span as a dict of plain values, ids in hex."""
    return {
        "resource": attributes(resource.attributes),
        "scope": scope.name,
        "trace_id": span.trace_id.hex(),
        "span_id": span.span_id.hex(),
        "parent_span_id": span.parent_span_id.hex(),
        "trace_state": span.trace_state,
        "name": span.name,
        "kind": span.kind,
        "start": span.start_time_unix_nano,
        "end": span.end_time_unix_nano,
        "attributes": attributes(span.attributes),
        "dropped_attributes_count": span.dropped_attributes_count,
        "events": [{"name": e.name, "time": e.time_unix_nano, "attributes": attributes(e.attributes)} for e in span.events],
        "links": [{"trace_id": l.trace_id.hex(), "span_id": l.span_id.hex(), "attributes": attributes(l.attributes)} for l in span.links],
        "status": {"code": span.status.code, "message": span.status.message},
    }


def spans_of(request: ExportTraceServiceRequest) -> list:
    return [span_view(rs.resource, ss.scope, span)
            for rs in request.resource_spans for ss in rs.scope_spans for span in ss.spans]


class OTLPReceiver:
    """An OTLP/HTTP receiver on 127.0.0.1 in a background thread. `status` is what it answers;
    `on_span` is called with each decoded span's view."""

    def __init__(self, status: int = 200, on_span: Optional[Callable[[dict], None]] = None):
        self.status = status
        self.on_span = on_span
        self.requests: list = []  # (headers as a dict with lowercase names, ExportTraceServiceRequest)
        self.errors: list = []
        self._lock = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
                code = receiver.status
                try:
                    if self.path != "/v1/traces":
                        code = 404
                        raise ValueError(f"unexpected path {self.path}")
                    if content_type == "application/json":
                        request = decode_json(body)
                    elif content_type == "application/x-protobuf":
                        request = ExportTraceServiceRequest()
                        request.ParseFromString(body)
                    else:
                        code = 415
                        raise ValueError(f"unexpected content type {content_type!r}")
                    receiver._received({k.lower(): v for k, v in self.headers.items()}, request)
                except Exception as error:  # noqa: BLE001 - every refusal is reported to the test
                    code = code if code != receiver.status else 400
                    receiver._refused(str(error))
                answer = b"{}"
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _received(self, headers: dict, request: ExportTraceServiceRequest) -> None:
        with self._lock:
            self.requests.append((headers, request))
            self._lock.notify_all()
        if self.on_span:
            for view in spans_of(request):
                self.on_span(view)

    def _refused(self, error: str) -> None:
        with self._lock:
            self.errors.append(error)
            self._lock.notify_all()

    def spans(self) -> list:
        with self._lock:
            return [view for _, request in self.requests for view in spans_of(request)]

    def wait_for_spans(self, count: int, timeout: float = 30) -> list:
        deadline = time.monotonic() + timeout
        with self._lock:
            while sum(len(spans_of(r)) for _, r in self.requests) < count and not self.errors:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._lock.wait(remaining)
        return self.spans()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> "OTLPReceiver":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def main() -> None:
    def emit(line: dict) -> None:
        sys.stdout.write(json.dumps(line) + "\n")
        sys.stdout.flush()

    receiver = OTLPReceiver(on_span=emit)
    original_refused = receiver._refused

    def refused(error: str) -> None:
        original_refused(error)
        emit({"error": error})

    receiver._refused = refused
    print(receiver.port, flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
