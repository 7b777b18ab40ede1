"""The usage file (`log.usage_file`) of the real relay binary ($SPARK_RELAY_BIN, built-in simulator):
JSON lines Python's own parser reads, totals equal to Prometheus's `relay_tokens_total` (read with
`prometheus_client`'s parser), a client that leaves mid-answer recorded with an estimate, and SIGHUP
starting a new file after logrotate moved the old one."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

TIMEOUT = 20.0


def read_records(path: Path, count: int, timeout: float = TIMEOUT) -> list:
    """The file's records once it holds `count` (they are written off the event loops)."""
    deadline = time.monotonic() + timeout
    records: list = []
    while time.monotonic() < deadline:
        if path.exists():
            records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
            if len(records) >= count:
                return records
        time.sleep(0.05)
    return records


def stream(base_url: str, prompt: str, stop_after: int | None = None) -> None:
    with httpx.Client(timeout=TIMEOUT) as client:
        with client.stream("POST", f"{base_url}/chat/stream", json={"prompt": prompt}) as response:
            assert response.status_code == 200
            seen = 0
            for line in response.iter_lines():
                if line.startswith("data:"):
                    seen += 1
                    if stop_after is not None and seen >= stop_after:
                        return


def test_usage_file_matches_the_metrics_and_reopens_on_sighup(start_relay, tmp_path):
    path = tmp_path / "usage.jsonl"
    relay = start_relay({"log": {"usage_file": str(path)}, "upstream": {"simulator_chunk_delay": 0.01}})
    stream(relay.base_url, "完整的回答")
    stream(relay.base_url, "leave early [[chunks:30]] [[delay:100]]", stop_after=3)
    records = read_records(path, 2)
    assert [r["outcome"] for r in records] == ["done", "client_gone"], records
    assert records[0]["usage"] == "spark" and records[1]["usage"] == "estimate"
    assert all(r["route"] == "/chat/stream" and r["client"] == "127.0.0.1" and r["key"] is None for r in records)
    assert all(set(r) >= {"time", "request_id", "model", "protocol", "prompt_tokens", "completion_tokens",
                          "total_tokens", "duration_ms", "ttft_ms", "sid"} for r in records)

    metrics = httpx.get(f"{relay.base_url}/metrics", timeout=TIMEOUT).text
    counted = sum(sample.value for family in text_string_to_metric_families(metrics)
                  if family.name == "relay_tokens" for sample in family.samples if sample.name == "relay_tokens_total")
    assert counted == sum(r["prompt_tokens"] + r["completion_tokens"] for r in records)

    # logrotate moves the file, then signals: the next record starts a new file.
    path.rename(tmp_path / "usage.jsonl.1")
    relay.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + TIMEOUT
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert path.exists(), relay.log_tail()
    stream(relay.base_url, "after the rotation")
    assert [r["outcome"] for r in read_records(path, 1)] == ["done"]
    assert len(read_records(tmp_path / "usage.jsonl.1", 2)) == 2
    assert relay.alive(), relay.log_tail()


def test_an_unwritable_usage_file_stops_the_relay_at_start(tmp_path):
    from relay_harness import RelayProcess, write_config
    config = write_config(tmp_path, {"log": {"usage_file": str(tmp_path / "missing-dir" / "usage.jsonl")}})
    relay = RelayProcess(config)
    try:
        code = relay.wait(timeout=TIMEOUT)
    finally:
        relay.kill()
    assert code != 0
    assert "log.usage_file" in relay.log_text(), relay.log_text()


def test_a_budget_refuses_with_insufficient_quota_and_survives_a_restart(start_relay, tmp_path):
    """A key with a 2-request daily budget: the openai SDK sees RateLimitError with OpenAI's
    `insufficient_quota` body and `Retry-After`; a new relay on the same usage file still refuses;
    `/v1/usage` reports the key's own use."""
    import hashlib
    import openai

    key = "e2e-budget-key-7"
    config = {
        "log": {"usage_file": str(tmp_path / "usage.jsonl")},
        "upstream": {"simulator_chunk_delay": 0.005},
        "auth": {"enabled": True, "budget_utc_offset": "+08:00", "keys": [{
            "name": "team-e2e", "sha256": hashlib.sha256(key.encode()).hexdigest(),
            "budget": {"requests": 2, "period": "day"}}]},
    }
    relay = start_relay(config)
    client = openai.OpenAI(base_url=f"{relay.base_url}/v1", api_key=key, max_retries=0, timeout=TIMEOUT)
    for index in range(2):
        answer = client.chat.completions.create(model="lite", messages=[{"role": "user", "content": f"spend {index}"}])
        assert answer.choices[0].message.content
    try:
        client.chat.completions.create(model="lite", messages=[{"role": "user", "content": "one too many"}])
        raise AssertionError("the third request was answered")
    except openai.RateLimitError as error:
        body = error.response.json()["error"]
        assert body["type"] == "insufficient_quota" and body["code"] == "budget_exceeded", body
        assert body["message"].startswith("key 'team-e2e' used 2 of 2 requests today; resets at "), body
        assert body["message"].endswith("T00:00:00+08:00"), body
        assert int(error.response.headers["retry-after"]) > 0
    usage = httpx.get(f"{relay.base_url}/v1/usage", headers={"Authorization": f"Bearer {key}"}, timeout=TIMEOUT).json()
    assert usage["key"] == "team-e2e" and usage["requests"] == {"used": 2, "limit": 2, "remaining": 0}, usage
    assert read_records(tmp_path / "usage.jsonl", 2)

    relay.send_signal(signal.SIGTERM)
    assert relay.wait(timeout=TIMEOUT) == 0
    relay.stopped_by_fixture = True  # stopped here, cleanly: nothing left for the fixture to check
    again = start_relay(config)
    refused = httpx.post(f"{again.base_url}/v1/chat/completions", headers={"Authorization": f"Bearer {key}"},
                         json={"model": "lite", "messages": [{"role": "user", "content": "after restart"}]}, timeout=TIMEOUT)
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "budget_exceeded", refused.text
