"""`log.format: json`: every line the relay writes is one JSON object (timestamp, level, logger,
message, metadata as fields), access lines included, and no secret reaches the log."""

from __future__ import annotations

import hashlib
import json
import signal

import httpx

KEY = "sk-relay-json-log-test-5b1f0c"


def test_every_line_of_a_json_run_parses(start_relay):
    relay = start_relay({
        "log": {"format": "json", "level": "debug"},
        "auth": {"enabled": True, "api_key_hashes": [hashlib.sha256(KEY.encode()).hexdigest()]},
        "upstream": {"simulator_chunk_delay": 0},
    })
    headers = {"Authorization": f"Bearer {KEY}"}
    with httpx.Client(base_url=relay.base_url, timeout=10) as client:
        assert client.get("/healthz").json()["auth"] == "on"
        streamed = client.post("/chat/stream", json={"prompt": 'quote " backslash \\ newline\n tab\t [[chunks:3]]'},
                               headers=headers)
        assert streamed.status_code == 200 and "event: done" in streamed.text
        ticket = client.post("/chat", json={"prompt": "ticket [[chunks:2]]"}, headers=headers).json()
        assert "event: done" in client.get(ticket["stream_url"]).text
        assert client.post("/chat", json={"prompt": "x"}, headers={"Authorization": "Bearer wrong-key"}).status_code == 401
        assert client.get("/no/such/path?q=1").status_code == 404
    relay.send_signal(signal.SIGTERM)
    assert relay.wait(10) == 0
    relay.stopped_by_fixture = True

    lines = [line for line in relay.lines if not line.startswith("[stdout] ")]
    assert len(lines) >= 8, lines
    records = []
    for line in lines:
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise AssertionError(f"not a JSON line: {line!r} ({exc})")
        assert isinstance(record, dict), line
        assert list(record)[:4] == ["timestamp", "level", "logger", "message"], line
        assert record["timestamp"].endswith("Z") and record["level"] in {
            "trace", "debug", "info", "notice", "warning", "error", "critical"}, line
        records.append(record)

    assert records[0]["message"].startswith(f"listening on http://127.0.0.1:{relay.port}"), records[0]
    assert records[0]["level"] == "notice" and records[0]["upstream"] == "simulator"
    assert any(r["message"].startswith("config file ") and r.get("config.file") for r in records[1:3]), records[:3]
    access = [r for r in records if r["message"] == "access"]
    paths = {(r["method"], r["path"], r["status"]) for r in access}
    assert ("GET", "/healthz", "200") in paths and ("POST", "/chat/stream", "200") in paths, paths
    assert ("POST", "/chat", "401") in paths and ("GET", "/no/such/path", "404") in paths, paths
    assert all("duration_ms" in r and "request.id" in r for r in access)
    assert any(r["message"] == "signal received, shutting down" for r in records)
    # The client key (and its Authorization header) never reach the log.
    whole = "\n".join(lines)
    assert KEY not in whole and "wrong-key" not in whole and "Bearer" not in whole
