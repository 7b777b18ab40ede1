#!/usr/bin/env python3
"""The outside harness: CPU of spark-relay against the nginx worker in front of it, measured the way
a deployment runs them, with nothing of the project's own load generator or simulator.

    client (asyncio, raw sockets) → nginx (the project's nginx/ config) → spark-relay
        → spark_ws_peer.py (Python `websockets`, Spark-shaped frames of realistic size)

Every chunk is checked (once, in order, the right text) and every stream must end with
`event: done`. CPU is read for the relay process and for the nginx workers (not the master) over
the very same chunks, two ways: `/proc/PID/stat` utime + stime (10 ms ticks) and the first field
of every thread's `/proc/PID/task/TID/schedstat` (nanoseconds on the CPU).

Shapes (a "run" is one of each, the order alternating between runs):
  - paced 100: STREAMS concurrent streams × 100 chunks, DELAY ms apart;
  - paced 400: the same with 400 chunks;
  - per stream: PER_STREAM_COUNT one-chunk streams, PER_STREAM_CONCURRENCY at a time.
Per chunk with the per-stream part removed = (cpu(400) − cpu(100)) / (300 × STREAMS), per run.

    python3 Tests/Performance/outside_harness.py [--relay .build/release/spark-relay] [--runs 3]
        [--pin] [--json FILE] [--quick]

`--quick` (a few short streams) checks correctness only and prints no goal verdicts. README.md
beside this file explains the method and each figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Optional

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO_ROOT / "Tests" / "EndToEnd"))

import spark_ws_peer  # noqa: E402
from nginx_harness import NginxProcess  # noqa: E402

TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")
START_TIMEOUT = 20.0
# The goals of the Performance table in the top-level README (relay ÷ nginx worker).
GOAL_PER_CHUNK = 1.2
GOAL_PER_STREAM = 2.0


# ---------------------------------------------------------------------------------------------
# CPU readings.

def _children(pid: int) -> list:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                stat = handle.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[1]) == pid:
            found.append(int(entry))
    return sorted(found)


@dataclass
class CPUReading:
    """CPU seconds of a set of processes at one moment: from /proc/PID/stat ticks and from the
    schedstat of every thread alive then."""
    ticks_seconds: float = 0.0
    sched_seconds: float = 0.0
    threads: int = 0

    def __sub__(self, other: "CPUReading") -> "CPUReading":
        return CPUReading(self.ticks_seconds - other.ticks_seconds, self.sched_seconds - other.sched_seconds,
                          self.threads)


def read_cpu(pids: list) -> CPUReading:
    reading = CPUReading()
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as handle:
                stat = handle.read()
            fields = stat[stat.rindex(")") + 2:].split()
            # fields[11], fields[12]: utime, stime (fields 14 and 15 of proc(5), counted from 1).
            reading.ticks_seconds += (int(fields[11]) + int(fields[12])) / TICKS_PER_SECOND
            for task in os.listdir(f"/proc/{pid}/task"):
                try:
                    with open(f"/proc/{pid}/task/{task}/schedstat") as handle:
                        reading.sched_seconds += int(handle.read().split()[0]) / 1e9
                    reading.threads += 1
                except OSError:
                    pass  # a thread that just exited
        except OSError:
            pass
    return reading


def pin(pids: list, cpu: int) -> None:
    """Every thread of every pid on `cpu` alone (sched_setaffinity is per thread)."""
    for pid in pids:
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                os.sched_setaffinity(int(task), {cpu})
            except OSError:
                pass


# ---------------------------------------------------------------------------------------------
# The processes.

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_port(port: int, process: subprocess.Popen, what: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{what} exited with {process.returncode}:\n{log.read_text(errors='replace')[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.02)
    raise SystemExit(f"{what} did not listen on 127.0.0.1:{port} within {START_TIMEOUT} s")


def clean_environment(extra: dict) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SPARK_", "IFLYTEK_"))}
    env.update(extra)
    return env


class Stack:
    """The peer, the relay and nginx, started in that order and stopped in reverse."""

    def __init__(self, relay_binary: Path, work: Path, pinned: bool):
        self.work = work
        self.pinned = pinned
        self.processes: list = []
        self.nginx: Optional[NginxProcess] = None
        # The peer.
        peer_log = work / "peer.log"
        self.peer = subprocess.Popen([sys.executable, str(HERE / "spark_ws_peer.py"), "--port", "0"],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=open(peer_log, "w"),
                                     text=True, cwd=str(HERE))
        self.processes.append(self.peer)
        line = self.peer.stdout.readline()
        if not line.startswith("listening on ws://127.0.0.1:"):
            self.stop()
            raise SystemExit(f"the peer did not start: {line!r}\n{peer_log.read_text(errors='replace')}")
        self.peer_port = int(line.rsplit(":", 1)[1])
        # The relay: Config/relay.json as shipped, plus the trusted proxy nginx is.
        config = json.loads((REPO_ROOT / "Config" / "relay.json").read_text())
        config.setdefault("server", {})["trusted_proxies"] = ["127.0.0.1", "::1"]
        config_path = work / "relay.json"
        config_path.write_text(json.dumps(config, indent=2))
        self.relay_port = free_port()
        relay_log = work / "relay.log"
        self.relay = subprocess.Popen(
            [str(relay_binary), "--config", str(config_path), "--host", "127.0.0.1", "--port", str(self.relay_port),
             "--upstream", "spark", "--spark-base-url", f"ws://127.0.0.1:{self.peer_port}"],
            cwd=str(REPO_ROOT), env=clean_environment(spark_ws_peer.CREDENTIALS), stdin=subprocess.DEVNULL,
            stdout=open(relay_log, "w"), stderr=subprocess.STDOUT)
        self.processes.append(self.relay)
        wait_port(self.relay_port, self.relay, "spark-relay", relay_log)
        # nginx with the project's nginx/ files, rewritten only for ports and paths.
        self.nginx = NginxProcess(work / "nginx", ("127.0.0.1", self.relay_port))
        self.nginx.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self.nginx_workers() and time.monotonic() < deadline:
            time.sleep(0.02)
        if not self.nginx_workers():
            self.stop()
            raise SystemExit("nginx started no worker process")
        self.apply_pinning()

    @property
    def nginx_port(self) -> int:
        return self.nginx.port

    def nginx_master(self) -> int:
        return self.nginx.proc.pid

    def nginx_workers(self) -> list:
        return _children(self.nginx.proc.pid)

    def apply_pinning(self) -> None:
        """`--pin`: relay and nginx on core 1; the peer, the client and this harness on core 0."""
        if not self.pinned:
            return
        pin([self.relay.pid, self.nginx_master(), *self.nginx_workers()], 1)
        pin([self.peer.pid, os.getpid()], 0)

    def alive(self) -> list:
        """The names of the processes that are not running."""
        dead = []
        if self.peer.poll() is not None:
            dead.append("peer")
        if self.relay.poll() is not None:
            dead.append("spark-relay")
        if self.nginx is not None and not self.nginx.alive():
            dead.append("nginx")
        return dead

    def stop(self) -> None:
        if self.nginx is not None:
            self.nginx.stop()
        for process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(5)


# ---------------------------------------------------------------------------------------------
# The client.

@dataclass
class StreamResult:
    tag: str
    chunks: int = 0
    problems: list = field(default_factory=list)
    done: bool = False

    @property
    def clean(self) -> bool:
        return self.done and not self.problems


async def one_stream(port: int, tag: str, chunks: int, delay_ms: int, timeout: float) -> StreamResult:
    """POST /chat/stream through nginx; reads the chunked SSE and checks each event."""
    result = StreamResult(tag)
    expected = spark_ws_peer.expected_pieces(tag, chunks)
    body = json.dumps({"prompt": spark_ws_peer.prompt_text(tag, chunks, delay_ms)}, ensure_ascii=False).encode()
    request = (f"POST /chat/stream HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
               f"Accept: text/event-stream\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body
    writer = None
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), timeout)
        writer.write(request)
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
        status_line, _, header_text = head.decode("latin-1").partition("\r\n")
        if status_line.split()[1] != "200":
            rest = await asyncio.wait_for(reader.read(2000), timeout)
            result.problems.append(f"{status_line}: {rest[:300]!r}")
            return result
        if "transfer-encoding: chunked" not in header_text.lower():
            result.problems.append("response not chunked")
            return result
        events = b""
        finished = False
        deadline = asyncio.get_running_loop().time() + timeout
        while not finished:
            size_line = await asyncio.wait_for(reader.readuntil(b"\r\n"), deadline - asyncio.get_running_loop().time())
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                break
            events += (await reader.readexactly(size + 2))[:-2]
            while True:
                end = events.find(b"\n\n")
                if end < 0:
                    break
                block, events = events[:end], events[end + 2:]
                finished = check_event(block, expected, result) or finished
        if not result.done:
            result.problems.append("no `event: done`")
        if result.chunks != chunks:
            result.problems.append(f"{result.chunks} of {chunks} chunks")
    except (asyncio.TimeoutError, asyncio.IncompleteReadError, ConnectionError, ValueError, IndexError) as error:
        result.problems.append(f"{type(error).__name__}: {error}")
    finally:
        if writer is not None:
            writer.close()
    return result


def check_event(block: bytes, expected: list, result: StreamResult) -> bool:
    """One SSE event: a content chunk (checked against `expected`), `done` (returns True), or the
    `retry:` preamble and comments (ignored)."""
    event_type, data = None, None
    for line in block.split(b"\n"):
        if line.startswith(b"data:"):
            data = line[5:].lstrip(b" ")
        elif line.startswith(b"event:"):
            event_type = line[6:].strip()
    if data is None:
        return False
    if event_type == b"done":
        result.done = True
        return True
    if event_type is not None:
        result.problems.append(f"event {event_type.decode(errors='replace')}: {data[:200]!r}")
        return event_type == b"stream-error"
    try:
        choices = json.loads(data)["choices"]
        seq, content = choices["seq"], choices["text"][0]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        result.problems.append(f"unreadable chunk {data[:120]!r}")
        return False
    if seq != result.chunks:
        result.problems.append(f"seq {seq} where {result.chunks} was due")
    elif content != expected[seq]:
        result.problems.append(f"seq {seq}: wrong text {content!r}")
    result.chunks += 1
    return False


async def run_batch(port: int, label: str, streams: int, chunks: int, delay_ms: int, concurrency: int,
                    ramp_ms: float) -> list:
    """`streams` streams, at most `concurrency` at once; the first `concurrency` start `ramp_ms /
    concurrency` apart (phases spread over one frame interval, as independent users are)."""
    gate = asyncio.Semaphore(concurrency)
    timeout = 30 + chunks * delay_ms / 1000 * 2

    async def start(index: int) -> StreamResult:
        if index < concurrency and ramp_ms > 0:
            await asyncio.sleep(index * ramp_ms / concurrency / 1000)
        async with gate:
            return await one_stream(port, f"{label}-{index}", chunks, delay_ms, timeout)

    return await asyncio.gather(*(start(index) for index in range(streams)))


# ---------------------------------------------------------------------------------------------
# Measuring.

@dataclass
class BatchFigures:
    shape: str
    run: int
    streams: int
    chunks_per_stream: int
    delay_ms: int
    concurrency: int
    seconds: float
    chunks: int
    clean_streams: int
    problems: list
    relay_ticks_seconds: float
    relay_sched_seconds: float
    nginx_ticks_seconds: float
    nginx_sched_seconds: float
    nginx_master_sched_seconds: float
    nginx_workers: int
    relay_threads: int
    # Wall time the batch should take if every frame went out on time, and whether it did (within
    # 10 % + 0.5 s): when the peer or the client is starved, frames bunch up, each read carries
    # several, and the per-chunk figures fall (nginx's most: it copies many chunks per read).
    ideal_seconds: float = 0.0
    pacing_held: bool = True


def measure(stack: Stack, shape: str, run: int, streams: int, chunks: int, delay_ms: int, concurrency: int,
            ramp_ms: float, label: str) -> BatchFigures:
    stack.apply_pinning()
    relay_pids, workers, master = [stack.relay.pid], stack.nginx_workers(), [stack.nginx_master()]
    relay0, nginx0, master0 = read_cpu(relay_pids), read_cpu(workers), read_cpu(master)
    began = time.monotonic()
    results = asyncio.run(run_batch(stack.nginx_port, label, streams, chunks, delay_ms, concurrency, ramp_ms))
    seconds = time.monotonic() - began
    relay = read_cpu(relay_pids) - relay0
    nginx = read_cpu(workers) - nginx0
    master_cpu = read_cpu(master) - master0
    problems = [f"{r.tag}: {p}" for r in results for p in r.problems][:20]
    if workers != stack.nginx_workers():
        problems.append(f"nginx workers changed during the batch: {workers} → {stack.nginx_workers()}")
    dead = stack.alive()
    if dead:
        problems.append(f"exited during the batch: {', '.join(dead)}")
    waves = -(-streams // max(1, concurrency))
    ideal = waves * chunks * delay_ms / 1000 + ramp_ms / 1000
    pacing_held = chunks <= 1 or seconds <= ideal * 1.1 + 0.5  # one-chunk streams measure set-up, not pacing
    if not pacing_held:
        problems_note = f"pacing not held: {seconds:.1f} s against {ideal:.1f} s (the peer or the client was starved)"
        print(f"outside_harness: {shape} run {run}: {problems_note}; its per-chunk figures are too low", file=sys.stderr)
    return BatchFigures(ideal_seconds=ideal, pacing_held=pacing_held,
                        shape=shape, run=run, streams=streams, chunks_per_stream=chunks, delay_ms=delay_ms,
                        concurrency=concurrency, seconds=seconds, chunks=sum(r.chunks for r in results),
                        clean_streams=sum(r.clean for r in results), problems=problems,
                        relay_ticks_seconds=relay.ticks_seconds, relay_sched_seconds=relay.sched_seconds,
                        nginx_ticks_seconds=nginx.ticks_seconds, nginx_sched_seconds=nginx.sched_seconds,
                        nginx_master_sched_seconds=master_cpu.sched_seconds, nginx_workers=len(workers),
                        relay_threads=relay.threads)


def per_unit(batches: list, unit: str, clock: str) -> dict:
    """relay and nginx µs per chunk (or per stream), and the ratio, for each batch."""
    rows = []
    for b in batches:
        count = b.chunks if unit == "chunk" else b.streams
        relay = getattr(b, f"relay_{clock}_seconds") / max(1, count) * 1e6
        nginx = getattr(b, f"nginx_{clock}_seconds") / max(1, count) * 1e6
        rows.append({"run": b.run, "relay_us": relay, "nginx_us": nginx, "ratio": relay / nginx if nginx > 0 else None})
    return {"unit": unit, "clock": clock, "runs": rows}


def marginal(long: list, short: list, streams: int, extra_chunks: int, clock: str) -> dict:
    """(cpu(long) − cpu(short)) / (extra_chunks × streams), run by run."""
    rows = []
    for a, b in zip(long, short):
        count = extra_chunks * streams
        relay = (getattr(a, f"relay_{clock}_seconds") - getattr(b, f"relay_{clock}_seconds")) / count * 1e6
        nginx = (getattr(a, f"nginx_{clock}_seconds") - getattr(b, f"nginx_{clock}_seconds")) / count * 1e6
        rows.append({"run": a.run, "relay_us": relay, "nginx_us": nginx, "ratio": relay / nginx if nginx > 0 else None})
    return {"unit": "chunk, per-stream part removed", "clock": clock, "runs": rows}


def span(values: list, digits: int = 1) -> str:
    values = [v for v in values if v is not None]
    if not values:
        return "—"
    low, high = min(values), max(values)
    text = f"{low:.{digits}f}" if abs(high - low) < 10 ** -digits else f"{low:.{digits}f}–{high:.{digits}f}"
    return text + (f" (median {statistics.median(values):.{digits}f})" if len(values) > 2 else "")


def main() -> int:
    parser = argparse.ArgumentParser(description="spark-relay's CPU against nginx's, outside the project's own bench.")
    parser.add_argument("--relay", default=str(REPO_ROOT / ".build" / "release" / "spark-relay"),
                        help="the spark-relay binary (default .build/release/spark-relay)")
    parser.add_argument("--runs", type=int, default=3, help="runs of every shape (default 3)")
    parser.add_argument("--streams", type=int, default=50, help="concurrent paced streams (default 50)")
    parser.add_argument("--short-chunks", type=int, default=100)
    parser.add_argument("--long-chunks", type=int, default=400)
    parser.add_argument("--delay-ms", type=int, default=20, help="ms between frames (default 20)")
    parser.add_argument("--ramp-ms", type=float, default=None,
                        help="spread the paced streams' starts over this many ms (default: one frame interval)")
    parser.add_argument("--per-stream-count", type=int, default=400, help="one-chunk streams (default 400)")
    parser.add_argument("--per-stream-concurrency", type=int, default=20)
    parser.add_argument("--pin", action="store_true", help="relay and nginx on core 1; peer, client, harness on core 0")
    parser.add_argument("--json", help="write every figure to this file")
    parser.add_argument("--quick", action="store_true", help="a few short streams: correctness only, no goal verdicts")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs, configs)")
    args = parser.parse_args()

    relay_binary = Path(args.relay)
    if not os.access(relay_binary, os.X_OK):
        print(f"outside_harness: no spark-relay at {relay_binary} (build it, or pass --relay)", file=sys.stderr)
        return 2
    if args.quick:
        args.runs, args.streams, args.short_chunks, args.long_chunks = 1, 4, 5, 10
        args.per_stream_count, args.per_stream_concurrency = 8, 4
    ramp_ms = args.delay_ms if args.ramp_ms is None else args.ramp_ms
    if args.pin:
        if (os.cpu_count() or 1) < 2:
            print("outside_harness: --pin needs 2 cores", file=sys.stderr)
            return 2
        os.sched_setaffinity(0, {0})

    work = Path(tempfile.mkdtemp(prefix="outside-harness-"))
    stack = Stack(relay_binary, work, args.pin)
    batches: list = []
    try:
        log = lambda text: print(f"outside_harness: {text}", file=sys.stderr, flush=True)  # noqa: E731
        log(f"peer :{stack.peer_port}, relay :{stack.relay_port} (pid {stack.relay.pid}), nginx :{stack.nginx_port} "
            f"(master {stack.nginx_master()}, workers {stack.nginx_workers()}); work directory {work}")
        # Warm-up, not counted: first connections, nginx's keep-alive pool, the relay's first pages.
        warm = asyncio.run(run_batch(stack.nginx_port, "warm", min(args.streams, 20), 5, args.delay_ms,
                                     min(args.streams, 20), ramp_ms))
        if not all(r.clean for r in warm):
            log(f"warm-up not clean: {[p for r in warm for p in r.problems][:5]}")
        shapes = [("paced-short", args.streams, args.short_chunks, args.delay_ms, args.streams),
                  ("paced-long", args.streams, args.long_chunks, args.delay_ms, args.streams),
                  ("per-stream", args.per_stream_count, 1, args.delay_ms, args.per_stream_concurrency)]
        for run in range(args.runs):
            order = shapes if run % 2 == 0 else list(reversed(shapes))
            for name, streams, chunks, delay, concurrency in order:
                figures = measure(stack, name, run, streams, chunks, delay, concurrency,
                                  ramp_ms if name != "per-stream" else 0, f"r{run}-{name}")
                batches.append(figures)
                log(f"run {run} {name}: {figures.clean_streams}/{streams} streams clean, {figures.chunks} chunks in "
                    f"{figures.seconds:.1f} s; relay {figures.relay_sched_seconds * 1e3:.0f} ms, "
                    f"nginx workers {figures.nginx_sched_seconds * 1e3:.0f} ms (schedstat)")
                for problem in figures.problems[:5]:
                    log(f"  {problem}")
    finally:
        stack.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    short = [b for b in batches if b.shape == "paced-short"]
    long = [b for b in batches if b.shape == "paced-long"]
    single = [b for b in batches if b.shape == "per-stream"]
    figures = {
        "paced_short_per_chunk": {c: per_unit(short, "chunk", c) for c in ("ticks", "sched")},
        "paced_long_per_chunk": {c: per_unit(long, "chunk", c) for c in ("ticks", "sched")},
        "per_chunk_without_stream_part": {c: marginal(long, short, args.streams, args.long_chunks - args.short_chunks, c)
                                          for c in ("ticks", "sched")},
        "per_stream": {c: per_unit(single, "stream", c) for c in ("ticks", "sched")},
    }
    correct = all(not b.problems and b.clean_streams == b.streams for b in batches)
    report = {
        "tool": "Tests/Performance/outside_harness.py",
        "relay": str(relay_binary),
        "machine": f"{platform.node()} {platform.machine()}, {os.cpu_count()} cores",
        "started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "quick": args.quick, "pinned": args.pin, "runs": args.runs, "streams": args.streams,
        "short_chunks": args.short_chunks, "long_chunks": args.long_chunks, "delay_ms": args.delay_ms,
        "ramp_ms": ramp_ms, "per_stream_count": args.per_stream_count,
        "per_stream_concurrency": args.per_stream_concurrency,
        "all_streams_correct": correct,
        "pacing_held": all(b.pacing_held for b in batches),
        "streams_checked": sum(b.streams for b in batches), "chunks_checked": sum(b.chunks for b in batches),
        "batches": [asdict(b) for b in batches],
        "figures": figures,
    }
    print(render(report))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
    return 0 if correct else 1


def render(report: dict) -> str:
    f = report["figures"]
    lines = [f"outside harness — {report['machine']}" + (", relay and nginx pinned to core 1" if report["pinned"] else ""),
             f"client → nginx (nginx/ config) → spark-relay → websockets peer; {report['streams']} streams, "
             f"{report['delay_ms']} ms between frames; {report['runs']} run(s)",
             "",
             f"{'CPU (µs), relay vs nginx workers':58} {'relay':>20} {'nginx':>20} {'relay ÷ nginx':>22}"]

    def add(title: str, block: dict) -> None:
        runs = block["runs"]
        lines.append(f"{title:58} {span([r['relay_us'] for r in runs]):>20} {span([r['nginx_us'] for r in runs]):>20} "
                     f"{span([r['ratio'] for r in runs], 2):>22}")

    s, l = report["short_chunks"], report["long_chunks"]
    for clock, name in (("ticks", "/proc ticks"), ("sched", "schedstat")):
        add(f"per chunk, {s} chunks per stream ({name})", f["paced_short_per_chunk"][clock])
        add(f"per chunk, {l} chunks per stream ({name})", f["paced_long_per_chunk"][clock])
        add(f"per chunk, per-stream part removed ({name})", f["per_chunk_without_stream_part"][clock])
        add(f"per stream, {report['per_stream_count']} one-chunk streams ({name})", f["per_stream"][clock])
    lines.append("")
    lines.append(f"correctness: {report['streams_checked']} streams, {report['chunks_checked']} chunks checked: "
                 + ("every chunk once, in order, right text, `event: done`" if report["all_streams_correct"] else "FAILED"))
    late = [f"{b['shape']} run {b['run']}" for b in report["batches"] if not b["pacing_held"]]
    if late:
        lines.append(f"PACING NOT HELD in {', '.join(late)}: frames bunched up (peer or client starved); "
                     "those per-chunk figures are too low, nginx's most — rerun on a quieter machine")
    if not report["quick"]:
        marginal_ratios = [r["ratio"] for r in f["per_chunk_without_stream_part"]["sched"]["runs"] if r["ratio"]]
        stream_ratios = [r["ratio"] for r in f["per_stream"]["sched"]["runs"] if r["ratio"]]
        if marginal_ratios and stream_ratios:
            chunk_ratio, stream_ratio = statistics.median(marginal_ratios), statistics.median(stream_ratios)
            lines.append("goals (README.md, Performance), medians of the schedstat figures:")
            lines.append(f"  [{'met' if chunk_ratio <= GOAL_PER_CHUNK else 'MISSED'}] CPU per paced chunk ≤ "
                         f"{GOAL_PER_CHUNK}× nginx's (per-stream part removed): {chunk_ratio:.2f}×")
            lines.append(f"  [{'met' if stream_ratio <= GOAL_PER_STREAM else 'MISSED'}] CPU per stream ≤ "
                         f"{GOAL_PER_STREAM}× nginx's: {stream_ratio:.2f}×")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
