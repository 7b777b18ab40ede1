"""Harness for the scale-out tests (test_cluster.py): a real `redis-server`, the release
`spark-sim` as the one Spark all relays share (same app id, so per-app limits are comparable),
N release relays with `cluster.engine: "redis"`, and real nginx in front of them using the
project's nginx/upstream-cluster.conf (its `server` lines pointed at the relays).

Between nginx and each relay sits a small TCP forwarder (`Gate`) that the tests use to cut the
connections of one relay and refuse new ones for a while, as a network fault or a relay that
stopped answering would: the relay itself keeps running. Relays listen on fixed free ports so a
rolling restart brings each back where nginx expects it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Iterator, Optional

import httpx
import pytest

from nginx_harness import NGINX_DIR, NginxProcess, free_port
from relay_harness import RelayProcess, relay_binary, write_config
from spark_peers import CREDS, SimProcess
from tcp_proxy import TCPProxy

REDIS_BIN = os.environ.get("REDIS_SERVER_BIN", "/usr/bin/redis-server")
START_TIMEOUT = 15.0


def require_redis() -> str:
    if os.path.isfile(REDIS_BIN) and os.access(REDIS_BIN, os.X_OK):
        return REDIS_BIN
    message = f"{REDIS_BIN} not found (Debian package `redis-server`); bash Tests/EndToEnd/run.sh installs it as root"
    if os.geteuid() == 0:
        pytest.fail(message)
    pytest.skip(message + " — not root, cannot install it here")
    raise AssertionError("unreachable")


class RedisProcess:
    """redis-server on a free loopback port, no persistence; can be killed and restarted on the same port."""

    def __init__(self, directory: Path):
        self.binary = require_redis()
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.proc: Optional[subprocess.Popen] = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisProcess":
        self.proc = subprocess.Popen(
            [self.binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no",
             "--dir", str(self.directory), "--logfile", str(self.directory / "redis.log"), "--daemonize", "no"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"redis-server exited with {self.proc.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.02)
        raise AssertionError("redis-server did not listen in time")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)


class Gate(TCPProxy):
    """TCP forwarder 127.0.0.1:<port> -> relay. `cut()` closes every open connection and makes new
    ones fail (accepted and closed at once) until `reopen()`. Records the stream GETs it carried."""

    STREAM_REQUEST = re.compile(rb"^GET (/chat/stream/[0-9a-f]+) HTTP/1\.[01]\r\n", re.M)

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.stream_paths: list = []
        super().__init__(("127.0.0.1", target_port), backlog=512, half_close=False)

    def inspect_request(self, data: bytes, connection: dict) -> None:
        for match in self.STREAM_REQUEST.finditer(data):
            with self.lock:
                self.stream_paths.append(match.group(1).decode())


class Cluster:
    """spark-sim + redis-server + N relays (+ gates) + nginx. `close()` stops everything."""

    def __init__(self, directory: Path, relays: int = 3, relay_config: Optional[dict] = None,
                 sim_args: tuple = ("--chunk-delay", "0.01"), per_relay_config=None):
        self.directory = directory
        self.relay_config = relay_config or {}
        # index -> {section: {key: value}}, applied after relay_config (e.g. each relay's own usage file).
        self.per_relay_config = per_relay_config or (lambda index: {})
        self.sim = SimProcess(relay_binary().parent / "spark-sim", CREDS, *sim_args)
        self.redis = RedisProcess(directory / "redis").start()
        self.ports = [free_port() for _ in range(relays)]
        self.relays: list = [None] * relays
        self.generation = [0] * relays
        for index in range(relays):
            self.start_relay(index)
        self.gates = [Gate(port) for port in self.ports]
        self.nginx = self._start_nginx()

    def config(self, index: int) -> dict:
        base = {
            "server": {"drain_timeout": 30},
            "log": {"level": "info"},
            "upstream": {"mode": "spark", "spark_base_url": self.sim.url},
            "stream": {"retry_ms": 200, "reconnect_grace": 5},
            "cluster": {"engine": "redis", "redis_url": self.redis.url, "heartbeat_interval": 0.5},
        }
        for overrides in (self.relay_config, self.per_relay_config(index)):
            for section, values in overrides.items():
                base.setdefault(section, {}).update(values)
        return base

    def start_relay(self, index: int) -> RelayProcess:
        self.generation[index] += 1
        directory = self.directory / f"relay{index}-{self.generation[index]}"
        directory.mkdir(parents=True, exist_ok=True)
        path = write_config(directory, self.config(index))
        relay = RelayProcess(path, extra_args=("--port", str(self.ports[index])), env=CREDS)
        relay.wait_listening()
        assert relay.port == self.ports[index], (relay.port, self.ports[index])
        self.relays[index] = relay
        return relay

    def _start_nginx(self) -> NginxProcess:
        nginx = NginxProcess(self.directory / "nginx", ("127.0.0.1", self.gates[0].port))
        # nginx.conf includes DIR/upstream.conf: replace it with the cluster example, servers -> gates.
        text = (NGINX_DIR / "upstream-cluster.conf").read_text()
        lines = re.findall(r"^[ \t]*server\s+127\.0\.0\.1:\d+[^;]*;", text, re.M)
        assert len(lines) == 3, "nginx/upstream-cluster.conf: expected three example server lines"
        servers = "\n".join(f"    server 127.0.0.1:{gate.port} max_fails=1 fail_timeout=3s;" for gate in self.gates)
        text = text.replace(lines[0], servers, 1)
        for line in lines[1:]:
            text = text.replace(line, "", 1)
        (nginx.directory / "upstream.conf").write_text(text)
        return nginx.start()

    @property
    def base_url(self) -> str:
        return self.nginx.base_url

    def relay_url(self, index: int) -> str:
        return f"http://127.0.0.1:{self.ports[index]}"

    def close(self) -> None:
        self.nginx.stop()
        for gate in self.gates:
            gate.close()
        for relay in self.relays:
            if relay is not None and relay.alive():
                relay.send_signal(signal.SIGTERM)
                try:
                    relay.wait(15)
                except subprocess.TimeoutExpired:
                    relay.kill()
        self.redis.kill()
        self.sim.stop(check=False)


# ---------------------------------------------------------------------------------------------
# SSE over httpx, the way EventSource reads it.

def iter_events(response: httpx.Response) -> Iterator[dict]:
    """Yields each event of an SSE body as {"id","event","data"} as soon as its block ends (so a
    connection cut mid-stream keeps what came before). Multi-line data is joined with "\n"."""
    block: dict = {}
    for line in response.iter_lines():
        if line == "":
            if "data" in block:
                yield {"id": block.get("id", ""), "event": block.get("event", "message"), "data": block["data"]}
            block = {}
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if field == "data":
            block["data"] = block["data"] + "\n" + value if "data" in block else value
        elif field in ("id", "event"):
            block[field] = value


def read_events(response: httpx.Response, stop_after: Optional[int] = None) -> list:
    """Parses an SSE body into [{"id","event","data"}]; stops early after `stop_after` events."""
    events = []
    for event in iter_events(response):
        events.append(event)
        if stop_after is not None and len(events) >= stop_after:
            break
    return events


def sequence(event: dict) -> int:
    return int(event["id"].rsplit(":", 1)[1])


def make_ticket(client: httpx.Client, base_url: str, prompt: str) -> dict:
    response = client.post(base_url + "/chat", json={"prompt": prompt})
    assert response.status_code == 201, (response.status_code, response.text)
    return response.json()


def follow(client: httpx.Client, base_url: str, stream_url: str, last_event_id: Optional[str] = None,
           stop_after: Optional[int] = None) -> tuple:
    """GET the stream like EventSource; returns (status, events)."""
    headers = {"Accept": "text/event-stream"}
    if last_event_id:
        headers["Last-Event-ID"] = last_event_id
    with client.stream("GET", base_url + stream_url, headers=headers) as response:
        if response.status_code != 200:
            response.read()
            return response.status_code, []
        return 200, read_events(response, stop_after)


def health(url: str) -> dict:
    return httpx.get(url + "/healthz", timeout=5).json()


def wait_until(condition, timeout: float, what: str, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = condition()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")
