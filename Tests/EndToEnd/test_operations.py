"""Operating the relay for real (issue 14): running out of file descriptors, request metrics read
by Prometheus's own parser, clients behind nginx (`server.trusted_proxies`).

Runs the real relay binary ($SPARK_RELAY_BIN) with the built-in simulator."""

from __future__ import annotations

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
