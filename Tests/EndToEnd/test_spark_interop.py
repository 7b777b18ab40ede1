"""Spark-side end-to-end checks with independent peers:

* `spark-relay sign-url` against every vector in
  Tests/SparkCodecTests/Fixtures/auth-vectors.json;
* the Python `websockets` package as a CLIENT of `spark-sim` (Tests/SparkSimulatorTests/Interop);
* the Python `websockets` package as a SERVER speaking Spark's protocol, reached by the relay's own
  WebSocket client through `spark-relay check --spark-base-url ws://…` (fragmented messages and
  pings included), plus a 401 from that server and its diagnosis;
* `spark-relay check` against `spark-sim` over wss with a CA made at test time (`--ca-file`).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import websockets
from websockets.asyncio.server import serve
from websockets.http11 import Response
from websockets.datastructures import Headers

from relay_harness import REPO_ROOT, relay_binary

FIXTURES = REPO_ROOT / "Tests" / "SparkCodecTests" / "Fixtures" / "auth-vectors.json"
INTEROP_CLIENT = REPO_ROOT / "Tests" / "SparkSimulatorTests" / "Interop" / "websockets_client.py"
SIM_CREDS = {"SPARK_APP_ID": "app00001", "SPARK_API_KEY": "0123456789abcdef0123456789abcdef",
             "SPARK_API_SECRET": "interop-secret-never-printed"}


def sim_binary() -> Path:
    return relay_binary().parent / "spark-sim"


def clean_env(extra: dict | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPARK_")}
    env.update(extra or {})
    return env


@pytest.mark.parametrize("vector", json.loads(FIXTURES.read_text())["vectors"], ids=lambda v: v["name"])
def test_sign_url_matches_every_vector(vector):
    inputs = vector["inputs"]
    env = clean_env({"SPARK_API_KEY": inputs["api_key"], "SPARK_API_SECRET": inputs["api_secret"]})
    url = f"{inputs['scheme']}://{inputs['host']}{inputs['path']}"
    out = subprocess.run([str(relay_binary()), "sign-url", url, "--date", inputs["date"]],
                         env=env, capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == vector["expected"]["url"]


def test_sign_url_without_credentials_says_what_is_missing():
    out = subprocess.run([str(relay_binary()), "sign-url", "wss://spark-api.xf-yun.com/v3.5/chat"],
                         env=clean_env(), capture_output=True, text=True, timeout=30)
    assert out.returncode != 0
    assert "SPARK_API_KEY" in out.stderr


class SimProcess:
    """A running spark-sim (port 0), its address read from the first line it prints."""

    def __init__(self, *args: str, env: dict | None = None):
        self.proc = subprocess.Popen([str(sim_binary()), "--host", "127.0.0.1", "--port", "0", *args],
                                     env=clean_env(env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.url = None
        for _ in range(50):
            line = self.proc.stdout.readline()
            if not line:
                break
            match = re.search(r"listening on (wss?://[^\s]+)", line)
            if match:
                self.url = match.group(1).rstrip("/")
                break
        assert self.url, "spark-sim did not start"
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()

    def stop(self):
        self.proc.terminate()
        assert self.proc.wait(timeout=10) == 0


def test_websockets_client_against_spark_sim():
    sim = SimProcess("--chunk-delay", "0.005")
    try:
        out = subprocess.run([sys.executable, str(INTEROP_CLIENT), sim.url], capture_output=True, text=True,
                             timeout=60, env=clean_env())
        assert out.returncode == 0, out.stdout + out.stderr
    finally:
        sim.stop()


class FakeSpark:
    """A Spark look-alike built on the `websockets` server: answers the request frame in several
    fragmented messages, pings the client, ends with a status-2 frame and closes with 1000."""

    def __init__(self, reject_with: int | None = None):
        self.reject_with = reject_with
        self.requests: list[dict] = []
        self.port = None
        self._ready = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        assert self._ready.wait(10)

    def _run(self):
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._main())

    async def _main(self):
        self._stop = asyncio.Event()

        def process_request(connection, request):
            if self.reject_with:
                body = json.dumps({"message": "HMAC signature does not match"}).encode()
                return Response(self.reject_with, "Unauthorized", Headers([("Content-Type", "application/json"),
                                                                             ("Content-Length", str(len(body)))]), body)
            assert request.path.startswith("/v1.1/chat?authorization=")
            return None

        async with serve(self._handle, "127.0.0.1", 0, process_request=process_request, ping_interval=None) as server:
            self.port = server.sockets[0].getsockname()[1]
            self._ready.set()
            await self._stop.wait()

    async def _handle(self, ws):
        request = json.loads(await ws.recv())
        self.requests.append(request)
        await ws.ping(b"fake-spark")
        sid = "cht000fake@dx0000000000000001"
        parts = ["合肥", "是安徽", "的省会。"]
        for index, text in enumerate(parts):
            status = 2 if index == len(parts) - 1 else (0 if index == 0 else 1)
            frame = {"header": {"code": 0, "message": "Success", "sid": sid, "status": status},
                     "payload": {"choices": {"status": status, "seq": index,
                                             "text": [{"content": text, "role": "assistant", "index": 0}]}}}
            if status == 2:
                frame["payload"]["usage"] = {"text": {"question_tokens": 1, "prompt_tokens": 1,
                                                      "completion_tokens": 3, "total_tokens": 4}}
            raw = json.dumps(frame, ensure_ascii=False)
            # Fragment every message mid-way (websockets sends an iterable as continuation frames).
            encoded = raw.encode()
            middle = len(raw) // 2
            await ws.send([raw[:middle], raw[middle:]])
        await ws.close(1000)

    def stop(self):
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)


def run_check(base_url: str, *extra: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(relay_binary()), "check", "--spark-base-url", base_url, "--model", "lite", *extra],
                          env=clean_env(SIM_CREDS if env is None else env), capture_output=True, text=True, timeout=60, cwd=REPO_ROOT)


def test_relay_client_against_websockets_server():
    server = FakeSpark()
    try:
        out = run_check(f"ws://127.0.0.1:{server.port}")
        assert out.returncode == 0, out.stdout + out.stderr
        assert "OK" in out.stdout
        assert "cht000fake@dx0000000000000001" in out.stdout
        request = server.requests[0]
        assert request["header"]["app_id"] == "app00001"
        assert request["parameter"]["chat"]["domain"] == "lite"
        assert request["payload"]["message"]["text"][-1]["role"] == "user"
        assert SIM_CREDS["SPARK_API_SECRET"] not in out.stdout + out.stderr
    finally:
        server.stop()


def test_relay_client_diagnoses_a_401_from_websockets_server():
    server = FakeSpark(reject_with=401)
    try:
        out = run_check(f"ws://127.0.0.1:{server.port}")
        assert out.returncode == 1
        assert "401" in out.stdout and "SPARK_API_SECRET" in out.stdout
        assert SIM_CREDS["SPARK_API_SECRET"] not in out.stdout + out.stderr
        assert "authorization=" not in out.stdout + out.stderr
    finally:
        server.stop()


def test_check_over_wss_with_ca_file_and_without(certificates):
    sim = SimProcess("--tls-cert", str(certificates / "server.pem"), "--tls-key", str(certificates / "server.key"),
                     "--chunk-delay", "0", env=SIM_CREDS)
    try:
        assert sim.url.startswith("wss://")
        trusted = run_check(sim.url, "--ca-file", str(certificates / "ca.pem"))
        assert trusted.returncode == 0, trusted.stdout + trusted.stderr
        untrusted = run_check(sim.url)
        assert untrusted.returncode == 1
        assert "certificate verification failed" in untrusted.stdout
    finally:
        sim.stop()


def test_check_without_credentials_names_the_missing_setting():
    out = run_check("ws://127.0.0.1:9", env={})
    assert out.returncode == 1
    assert "upstream.app_id" in out.stdout and "SPARK_APP_ID" in out.stdout


def test_check_honours_upstream_simulator():
    """`check --upstream simulator` checks the built-in simulator (it used to check Spark with
    whatever credentials were set, or fail for want of them), and says so."""
    out = subprocess.run([str(relay_binary()), "check", "--upstream", "simulator"], env=clean_env(), capture_output=True,
                         text=True, timeout=60, cwd=REPO_ROOT)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "BUILT-IN SPARK SIMULATOR" in out.stdout
    assert "OK: ws://127.0.0.1:" in out.stdout
    # The explicit mode wins over credentials in the environment, as it does for serve.
    out = subprocess.run([str(relay_binary()), "check", "--upstream", "simulator"], env=clean_env(SIM_CREDS),
                         capture_output=True, text=True, timeout=60, cwd=REPO_ROOT)
    assert out.returncode == 0 and "BUILT-IN SPARK SIMULATOR" in out.stdout, out.stdout + out.stderr


def test_curl_streams_the_readme_example(start_relay):
    relay = start_relay({"upstream": {"simulator_chunk_delay": 0.01}})
    out = subprocess.run(["curl", "-sS", "-N", "-d", '{"prompt":"你好"}', f"{relay.base_url}/chat/stream"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("retry: 3000\n\n")
    assert "event: done" in out.stdout
    texts = [json.loads(line[6:])["choices"]["text"][0]["content"]
             for line in out.stdout.splitlines() if line.startswith("data: {\"choices\"")]
    assert "".join(texts).startswith("You said: 你好. ")


def test_second_signal_during_the_drain_exits_at_once(tmp_path):
    import signal
    import socket
    import time
    from relay_harness import RelayProcess, write_config
    relay = RelayProcess(write_config(tmp_path, {"upstream": {"simulator_chunk_delay": 0.05}}, "drain.json"))
    try:
        relay.wait_listening()
        body = b'{"prompt":"long [[chunks:2000]]"}'
        stream = socket.create_connection(("127.0.0.1", relay.port), timeout=10)
        stream.sendall(b"POST /chat/stream HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                       + str(len(body)).encode() + b"\r\n\r\n" + body)
        assert b"200 OK" in stream.recv(4096)
        relay.proc.send_signal(signal.SIGTERM)
        # The in-flight stream keeps the process draining (drain_timeout is 30 s) ...
        time.sleep(0.5)
        assert relay.proc.poll() is None, "the first signal must drain, not exit"
        # ... and a second signal ends it at once.
        started = time.monotonic()
        relay.proc.send_signal(signal.SIGTERM)
        assert relay.proc.wait(timeout=5) == 1
        assert time.monotonic() - started < 5
        stream.close()
    finally:
        relay.kill()
