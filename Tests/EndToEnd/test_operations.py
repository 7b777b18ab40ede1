"""Operating the relay for real: running out of file descriptors, request metrics read
by Prometheus's own parser, clients behind nginx (`server.trusted_proxies`).

Runs the real relay binary ($SPARK_RELAY_BIN) with the built-in simulator."""

from __future__ import annotations

import math
import os
import resource
import socket
import time

import httpx
import pytest

FD_LIMIT = 256
HELD_CONNECTIONS = 400
HOLD_SECONDS = 3.0


def cpu_seconds(pid: int) -> float:
    """utime + stime of the process, from /proc/PID/stat (fields 14 and 15, in clock ticks)."""
    with open(f"/proc/{pid}/stat") as handle:
        text = handle.read()
    # The command name (field 2) is in parentheses and may contain spaces: split after it.
    fields = text[text.rindex(")") + 2:].split()
    utime, stime = int(fields[11]), int(fields[12])
    return (utime + stime) / os.sysconf("SC_CLK_TCK")


def wait_for_log(relay, text: str, timeout: float = 5.0) -> str:
    """The relay's log once it contains `text` (fails after `timeout`)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        log = relay.log_text()
        if text in log:
            return log
        time.sleep(0.02)
    raise AssertionError(f"{text!r} not logged within {timeout}s:\n{relay.log_tail()}")


def limit_descriptors() -> None:
    """preexec_fn: soft AND hard limit, so that the relay cannot raise it at start."""
    resource.setrlimit(resource.RLIMIT_NOFILE, (FD_LIMIT, FD_LIMIT))


def test_descriptor_exhaustion_backs_off_quietly_and_recovers(start_relay):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = HELD_CONNECTIONS + 128
    if soft < needed:
        if hard != resource.RLIM_INFINITY and hard < needed:
            pytest.skip(f"this test process may only open {hard} files; it needs {needed}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))
    relay = start_relay({"log": {"access_log": True}}, preexec_fn=limit_descriptors)
    pid = relay.proc.pid
    limits = open(f"/proc/{pid}/limits").read()
    assert any(line.startswith("Max open files") and line.split()[3:5] == [str(FD_LIMIT)] * 2
               for line in limits.splitlines()), limits
    # The start-up lines say what the limit is, and that the configured bounds do not fit in it.
    start_text = wait_for_log(relay, "below what the configured bounds can use")
    assert "open-file limit" in start_text and f"limit={FD_LIMIT}" in start_text, start_text
    assert "below what the configured bounds can use" in start_text, start_text

    lines_before = len(relay.lines)
    cpu_before = cpu_seconds(pid)
    started = time.monotonic()
    sockets = []
    try:
        for _ in range(HELD_CONNECTIONS):
            sockets.append(socket.create_connection(relay.address, timeout=5))
        time.sleep(HOLD_SECONDS)
        elapsed = time.monotonic() - started
        cpu = cpu_seconds(pid) - cpu_before
        new_lines = relay.lines[lines_before:]
        assert relay.alive(), relay.log_tail()
        assert cpu / elapsed < 0.05, f"relay used {cpu:.3f} s of CPU in {elapsed:.2f} s (busy loop?)"
        assert len(new_lines) < 10, "\n".join(new_lines[:20])
        assert any("accept failed: pausing new connections" in line for line in new_lines), "\n".join(new_lines)
    finally:
        for sock in sockets:
            sock.close()
    closed = time.monotonic()
    response = httpx.get(f"{relay.base_url}/healthz", timeout=1.0)
    assert response.status_code == 200
    assert time.monotonic() - closed < 1.0
    # Nothing else broke: a chat stream runs, and the refusals were counted.
    with httpx.Client(base_url=relay.base_url, timeout=10) as client:
        stream = client.post("/chat/stream", json={"prompt": "after the storm"})
        assert stream.status_code == 200
        assert "event: done" in stream.text
        metrics = client.get("/metrics").text
    count = [line for line in metrics.splitlines() if line.startswith("relay_accept_errors_total ")]
    assert count and float(count[0].split()[1]) >= 1, metrics


# ---------------------------------------------------------------------------------------------
# Metrics, read by Prometheus's own text parser (prometheus_client).

def scrape(client: httpx.Client) -> dict:
    """{(sample name, frozenset of labels): value} of one /metrics answer, parsed by prometheus_client."""
    from prometheus_client.parser import text_string_to_metric_families

    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: dict, name: str, **labels) -> float:
    key = (name, frozenset(labels.items()))
    assert key in samples, f"{name}{labels} is not exposed; have: " + ", ".join(
        sorted(f"{n}{dict(l)}" for n, l in samples if n == name))
    return samples[key]


def sse_events(text: str) -> list:
    """(event type, data) of every event of an SSE body."""
    events = []
    for block in text.split("\n\n"):
        kind, data = "message", []
        for line in block.split("\n"):
            if line.startswith("event:"):
                kind = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].lstrip())
        if data:
            events.append((kind, "\n".join(data)))
    return events


def test_metrics_count_requests_durations_outcomes_and_tokens(start_relay):
    import json

    relay = start_relay({"upstream": {"simulator_chunk_delay": 0.001}})
    with httpx.Client(base_url=relay.base_url, timeout=15) as client:
        fresh = scrape(client)
        # Counters with fixed label sets are there at zero before anything happened.
        assert value(fresh, "relay_accept_errors_total") == 0
        assert value(fresh, "relay_streams_finished_total", outcome="done") == 0
        assert value(fresh, "relay_streams_finished_total", outcome="client_disconnected") == 0
        for kind in ("prompt", "completion"):
            assert value(fresh, "relay_tokens_total", model="lite", kind=kind) == 0
        assert value(fresh, "relay_http_request_duration_seconds_count", route="/chat/stream") == 0

        prompt_tokens = completion_tokens = 0
        for index in range(3):
            answer = client.post("/chat/stream", json={"model": "lite", "prompt": f"metrics {index}"})
            assert answer.status_code == 200
            kind, data = sse_events(answer.text)[-1]
            assert kind == "done"
            usage = json.loads(data)["usage"]
            prompt_tokens += usage["prompt_tokens"]
            completion_tokens += usage["completion_tokens"]
        failed = client.post("/chat/stream", json={"model": "lite", "prompt": "x [[error:10013]]"})
        assert sse_events(failed.text)[-1][0] == "stream-error"
        # It reached Spark, so it counts as its usage record has it: Spark sent no usage, so the
        # relay's estimate of the prompt (README, "Usage records": 0.8 English words per token,
        # i.e. 1.25 tokens per word, rounded up; two words here) and nothing streamed.
        prompt_tokens += math.ceil(len("x [[error:10013]]".split()) * 1.25)
        completion = client.post("/v1/chat/completions",
                                 json={"model": "lite", "messages": [{"role": "user", "content": "tokens"}]})
        assert completion.status_code == 200
        prompt_tokens += completion.json()["usage"]["prompt_tokens"]
        completion_tokens += completion.json()["usage"]["completion_tokens"]
        for _ in range(2):
            assert client.get("/healthz").status_code == 200
        assert client.get("/no/such/thing/42").status_code == 404

        # The last response may still be finishing its bookkeeping when the client has it: await it.
        deadline = time.monotonic() + 5
        while True:
            samples = scrape(client)
            done = samples.get(("relay_http_requests_total", frozenset(
                {"route": "/*", "method": "GET", "status": "404"}.items())), 0)
            if done == 1 or time.monotonic() > deadline:
                break
            time.sleep(0.02)

    assert value(samples, "relay_http_requests_total", route="/chat/stream", method="POST", status="200") == 4
    assert value(samples, "relay_http_requests_total", route="/v1/chat/completions", method="POST", status="200") == 1
    assert value(samples, "relay_http_requests_total", route="/healthz", method="GET", status="200") == 2
    assert value(samples, "relay_http_requests_total", route="/*", method="GET", status="404") == 1
    # Durations are observed when the head is written: every request so far (scrapes before this one).
    assert value(samples, "relay_http_request_duration_seconds_count", route="/chat/stream") == 4
    assert value(samples, "relay_http_request_duration_seconds_bucket", route="/chat/stream", le="+Inf") == 4
    assert value(samples, "relay_http_request_duration_seconds_count", route="/healthz") == 2
    assert value(samples, "relay_http_request_duration_seconds_count", route="/v1/chat/completions") == 1
    assert value(samples, "relay_http_request_duration_seconds_count", route="/metrics") >= 1
    assert value(samples, "relay_http_request_duration_seconds_sum", route="/healthz") < 1.0
    assert value(samples, "relay_streams_finished_total", outcome="done") == 4
    assert value(samples, "relay_streams_finished_total", outcome="10013") == 1
    assert value(samples, "relay_tokens_total", model="lite", kind="prompt") == prompt_tokens
    assert value(samples, "relay_tokens_total", model="lite", kind="completion") == completion_tokens
    assert completion_tokens > 0
    assert value(samples, "relay_accept_errors_total") == 0
    # Bounded labels: no raw path, no stream id.
    assert not any("/no/such" in str(labels) for _, labels in samples)


# ---------------------------------------------------------------------------------------------
# Clients behind the shipped nginx config (server.trusted_proxies).

def models_status(base_url: str, source: str, headers: dict = None) -> int:
    """GET /v1/models from the loopback address `source` (the client socket is bound to it)."""
    transport = httpx.HTTPTransport(local_address=source)
    with httpx.Client(transport=transport, timeout=10) as client:
        return client.get(f"{base_url}/v1/models", headers=headers or {}).status_code


def test_clients_behind_nginx_are_limited_separately(start_relay, tmp_path):
    from nginx_harness import start_nginx

    limits = {"requests_per_minute": 1, "burst": 2}
    relay = start_relay({"server": {"trusted_proxies": ["127.0.0.1", "::1"]}, "limits": limits})
    nginx = start_nginx(tmp_path / "nginx", relay.address)
    try:
        # Two users on two addresses, both through nginx (whose peer address is 127.0.0.1).
        assert [models_status(nginx.base_url, "127.0.0.2") for _ in range(2)] == [200, 200]
        assert models_status(nginx.base_url, "127.0.0.2") == 429
        assert [models_status(nginx.base_url, "127.0.0.3") for _ in range(2)] == [200, 200]
        # Claiming another address in X-Forwarded-For gains nothing: nginx appends the real one.
        assert models_status(nginx.base_url, "127.0.0.3", {"X-Forwarded-For": "198.51.100.77"}) == 429
        assert nginx.alive(), nginx.error_log()
    finally:
        nginx.stop()
    access = [line for line in relay.lines if " access " in line and "/v1/models" in line]
    assert sum("client=127.0.0.2" in line for line in access) == 3, "\n".join(access)
    assert sum("client=127.0.0.3" in line for line in access) == 3, "\n".join(access)
    assert not any("198.51.100.77" in line for line in access)


def test_forwarded_for_to_a_relay_that_does_not_trust_the_peer_gains_nothing(start_relay):
    relay = start_relay({"limits": {"requests_per_minute": 1, "burst": 2}})
    statuses = [models_status(relay.base_url, "127.0.0.2", {"X-Forwarded-For": f"198.51.100.{n}"}) for n in range(3)]
    assert statuses == [200, 200, 429]
    assert not any("198.51.100." in line for line in relay.lines)
    assert any("client=127.0.0.2" in line for line in relay.lines)
