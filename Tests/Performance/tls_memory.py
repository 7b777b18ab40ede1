#!/usr/bin/env python3
"""Relay memory per open stream against an upstream that is not our own code: a Spark stand-in on
Python's `ssl` (OpenSSL as most TLS servers run it: TLS 1.3, two session tickets per full handshake,
one per resumption) and the `websockets` server.

It makes a throw-away CA with the openssl CLI, starts the peer (`wss://`, or `ws://` with
`--scheme ws`) and a fresh release relay trusting the CA (`--ca-file`), reads the relay's VmRSS
from /proc, then opens `--streams` chat streams whose answers stay open after their first frame,
reads VmRSS with all of them open and prints (peak − before) / streams. `before` is the idle relay
(as `relay-bench --scenarios memory` counts it); with `--warm` one stream runs to its end first, so
the first stream's code pages and the TLS context's set-up are left out. The peer reports how many
connections resumed a TLS session.

    python3 Tests/Performance/tls_memory.py --relay .build/release/spark-relay [--streams 1000]
        [--scheme wss|ws] [--key ec|rsa] [--warm] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed

# Fake credentials: they open nothing but this local peer.
CREDS = {"SPARK_APP_ID": "app00042", "SPARK_API_KEY": "f00dfeedf00dfeedf00dfeedf00dfeed",
         "SPARK_API_SECRET": "tls-memory-secret-never-shown"}


def frame(status: int, text: str) -> str:
    payload = {"choices": {"status": status, "seq": 0, "text": [{"content": text, "role": "assistant", "index": 0}]}}
    if status == 2:
        payload["usage"] = {"text": {"question_tokens": 0, "prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}
    return json.dumps({"header": {"code": 0, "message": "Success", "sid": "cht000mem", "status": status}, "payload": payload})


def make_certificates(directory: Path, key: str) -> None:
    new_key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"] if key == "ec" else ["-newkey", "rsa:2048"]
    (directory / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    for args in (["req", "-x509", *new_key, "-nodes", "-days", "2", "-subj", "/CN=tls-memory CA", "-keyout", "ca.key", "-out", "ca.pem"],
                 ["req", *new_key, "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", "server.key", "-out", "server.csr"],
                 ["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
                  "-extfile", "san.ext", "-out", "server.pem"]):
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=directory)


class Peer:
    """The Spark stand-in in a thread: each connection gets one frame, then waits for `release()`."""

    def __init__(self, ssl_context):
        self.ssl_context = ssl_context
        self.connections = 0
        self.resumed = 0
        self.port = 0
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        threading.Thread(target=self.loop.run_until_complete, args=(self.main(),), daemon=True).start()
        if not self.ready.wait(15):
            raise SystemExit("the peer did not start")

    async def main(self) -> None:
        self.released = asyncio.Event()
        self.stopped = asyncio.Event()
        async with serve(self.handle, "127.0.0.1", 0, ssl=self.ssl_context, ping_interval=None, compression=None,
                         backlog=4096, open_timeout=60) as server:
            self.port = server.sockets[0].getsockname()[1]
            self.ready.set()
            await self.stopped.wait()

    async def handle(self, ws) -> None:
        self.connections += 1
        ssl_object = ws.transport.get_extra_info("ssl_object")
        if ssl_object is not None and ssl_object.session_reused:
            self.resumed += 1
        try:
            await ws.recv()
            await ws.send(frame(0, "open"))
            await self.released.wait()
            await ws.send(frame(2, "."))
            await ws.close()
        except ConnectionClosed:
            pass  # the relay went away first

    def release(self) -> None:
        self.loop.call_soon_threadsafe(self.released.set)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.stopped.set)


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


async def open_stream(port: int, index: int):
    """POSTs a chat and reads until the first SSE data event; returns the open connection."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    body = json.dumps({"messages": [{"role": "user", "content": f"stream {index}"}]}).encode()
    writer.write(b"POST /chat/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                 b"Accept: text/event-stream\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
    seen = b""
    while b"\ndata:" not in seen and not seen.startswith(b"data:"):
        chunk = await asyncio.wait_for(reader.read(65536), 60)
        if not chunk:
            raise RuntimeError(f"stream {index} ended early: {seen[:300]!r}")
        seen += chunk
        if not seen.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(f"stream {index}: {seen[:300]!r}")
    return writer


async def relay_handshakes(port: int) -> dict:
    """The relay's `relay_upstream_tls_handshakes_total` by `resumed`."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    text = (await reader.read()).decode()
    writer.close()
    return {resumed: int(float(count)) for resumed, count in
            re.findall(r'^relay_upstream_tls_handshakes_total\{resumed="(true|false)"\} (\S+)$', text, re.M)}


async def hold_streams(port: int, count: int, parallel: int) -> list:
    gate = asyncio.Semaphore(parallel)

    async def one(index: int):
        async with gate:
            return await open_stream(port, index)

    return await asyncio.gather(*(one(i) for i in range(count)))


def run_round(args, directory: Path) -> dict:
    context = None
    if args.scheme == "wss":
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(directory / "server.pem", directory / "server.key")
    peer = Peer(context)
    relay = subprocess.Popen([*args.wrap.split(), args.relay, "--host", "127.0.0.1", "--port", "0", "--upstream", "spark",
                              "--spark-base-url", f"{args.scheme}://127.0.0.1:{peer.port}", "--ca-file", str(directory / "ca.pem")],
                             env={**{k: v for k, v in os.environ.items() if not k.startswith("SPARK_")}, **CREDS},
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        line = ""
        for _ in range(20):  # a wrapper may print first
            line = relay.stdout.readline()
            if not line or "listening on http://" in line:
                break
        if "listening on http://" not in line:
            raise SystemExit(f"the relay did not start: {line}")
        threading.Thread(target=lambda: [None for _ in relay.stdout], daemon=True).start()
        port = int(line.split("listening on http://")[1].split()[0].rsplit(":", 1)[1].rstrip("/"))
        time.sleep(0.5)
        if args.warm:
            peer.release()
            asyncio.run(hold_streams(port, 1, 1))
            time.sleep(1)
            asyncio.run_coroutine_threadsafe(reset(peer), peer.loop).result()
        before = rss_kib(relay.pid)

        async def measure():
            writers = await hold_streams(port, args.streams, args.parallel)
            await asyncio.sleep(1)
            peak = rss_kib(relay.pid)
            handshakes = await relay_handshakes(port)
            if args.hold:
                print(f"holding {len(writers)} streams open for {args.hold} s", file=sys.stderr, flush=True)
                await asyncio.sleep(args.hold)
            peer.release()
            for writer in writers:
                writer.close()
            return peak, handshakes

        peak, handshakes = asyncio.run(measure())
        return {"before_kib": before, "open_kib": peak, "streams": args.streams,
                "kib_per_stream": (peak - before) / args.streams, "connections": peer.connections,
                "resumed_at_peer": peer.resumed, "relay_tls_handshakes": handshakes}
    finally:
        relay.terminate()
        try:
            relay.wait(10)
        except subprocess.TimeoutExpired:
            relay.kill()
        peer.stop()


async def reset(peer: Peer) -> None:
    peer.released = asyncio.Event()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--relay", default=".build/release/spark-relay")
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--parallel", type=int, default=100, help="streams being opened at once")
    parser.add_argument("--scheme", choices=("wss", "ws"), default="wss")
    parser.add_argument("--key", choices=("ec", "rsa"), default="ec")
    parser.add_argument("--warm", action="store_true", help="run one stream to its end before the idle reading")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--hold", type=float, default=0, help="seconds to keep the streams open after the reading")
    parser.add_argument("--wrap", default="", help="a command to run the relay under (heaptrack); RSS is then the wrapper's")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tls-memory-") as name:
        directory = Path(name)
        make_certificates(directory, args.key)
        for _ in range(args.rounds):
            result = run_round(args, directory)
            print(json.dumps({"scheme": args.scheme, "key": args.key, "warm": args.warm, **result,
                              "kib_per_stream": round(result["kib_per_stream"], 2)}), flush=True)


if __name__ == "__main__":
    sys.exit(main())
