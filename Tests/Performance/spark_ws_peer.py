"""An independent Spark peer for the outside harness: a Spark WebSocket gateway look-alike written
with Python's `websockets` library (asyncio), never from the relay's or the simulator's sources.

It accepts the relay's signed GET upgrade on any path (the URL signature is checked with the
end-to-end suite's `verify_signed_target`, written from iFlytek's documentation), reads the one
request frame, and answers with Spark-shaped frames, one every `delay` milliseconds:

    {"header":{"code":0,"message":"Success","sid":"cht000…","status":S},
     "payload":{"choices":{"status":S,"seq":N,"text":[{"content":"…","role":"assistant","index":0}]}}}

statuses 0, 1, …, 2, the last one with `payload.usage.text`. Each content is one clause of Chinese
text of 8 to 14 characters (24 to 42 bytes of UTF-8), as in the example answer of
Sources/SparkCodec/README.md §5.1: frames of 200 to 230 bytes, like Spark's.

The prompt (the last user message) says what to send: `stream-TAG chunks=N delay=MS`; without
those words the command-line defaults apply. `expected_pieces(tag, n)` gives the contents a client
must receive, in order; the offset into the clause list depends on TAG, so a stream that received
another stream's text is caught.

Run as a program it serves on 127.0.0.1 and prints `listening on ws://127.0.0.1:PORT` once ready:

    python3 spark_ws_peer.py --port 0 [--chunks 10] [--delay-ms 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import time
import zlib
from pathlib import Path

from websockets.asyncio.server import serve
from websockets.datastructures import Headers
from websockets.http11 import Response

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "EndToEnd"))
from spark_peers import APP_ID, API_KEY, API_SECRET, verify_signed_target  # noqa: E402

CREDENTIALS = {"SPARK_APP_ID": APP_ID, "SPARK_API_KEY": API_KEY, "SPARK_API_SECRET": API_SECRET}

# Clauses of an ordinary answer, 8 to 14 characters each: the size of the deltas Spark streams.
CLAUSES = (
    "合肥是安徽省的省会，", "地处江淮之间、环抱巢湖，", "以科教资源密集、", "科技创新活跃著称，",
    "是长三角城市群的副中心城市。", "这座城市有两千多年的历史，", "三国时期的古战场遗迹众多，",
    "如今已是重要的制造业基地，", "新能源汽车和集成电路产业", "近年来发展得尤其迅速。",
    "中国科学技术大学坐落于此，", "量子信息研究处于世界前列。", "城市绿化覆盖率较高，", "环城公园串起了老城区，",
    "包公园和逍遥津都值得一游。", "当地美食以徽菜为主，",
)
PROMPT_WORDS = re.compile(r"stream-(\S+)|chunks=(\d+)|delay=(\d+)")
REQUEST_TIMEOUT = 30.0


def expected_pieces(tag: str, chunks: int) -> list:
    """The content of each frame of the answer to stream TAG, by seq."""
    offset = zlib.crc32(tag.encode()) % len(CLAUSES)
    return [CLAUSES[(offset + seq) % len(CLAUSES)] for seq in range(chunks)]


def prompt_text(tag: str, chunks: int, delay_ms: int) -> str:
    """The prompt a client sends to get `chunks` frames, `delay_ms` apart, for stream TAG."""
    return f"请介绍一下合肥。stream-{tag} chunks={chunks} delay={delay_ms}"


def parse_prompt(text: str, default_chunks: int, default_delay_ms: int) -> tuple:
    """(tag, chunks, delay_ms) from a prompt written by `prompt_text`."""
    tag, chunks, delay = "", default_chunks, default_delay_ms
    for match in PROMPT_WORDS.finditer(text):
        if match.group(1):
            tag = match.group(1)
        elif match.group(2):
            chunks = max(1, int(match.group(2)))
        elif match.group(3):
            delay = int(match.group(3))
    return tag, chunks, delay


def frame(sid: str, seq: int, status: int, content: str, usage: dict = None) -> str:
    """One response frame, compact JSON with raw UTF-8, as Spark sends it."""
    message = {"header": {"code": 0, "message": "Success", "sid": sid, "status": status},
               "payload": {"choices": {"status": status, "seq": seq,
                                       "text": [{"content": content, "role": "assistant", "index": 0}]}}}
    if usage is not None:
        message["payload"]["usage"] = {"text": usage}
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"))


def answer_frames(sid: str, pieces: list, prompt_tokens: int) -> list:
    """Every frame of one answer: status 0 first, 1 between, 2 last with usage."""
    completion = sum(len(piece) for piece in pieces)
    usage = {"question_tokens": prompt_tokens, "prompt_tokens": prompt_tokens,
             "completion_tokens": completion, "total_tokens": prompt_tokens + completion}
    frames = []
    for seq, content in enumerate(pieces):
        last = seq == len(pieces) - 1
        status = 2 if last else (0 if seq == 0 else 1)
        frames.append(frame(sid, seq, status, content, usage if last else None))
    return frames


class SparkPeer:
    """The gateway: one answer per connection, frames paced on a fixed schedule (frame k is sent
    `(k + 1) × delay` after the request arrived, so pacing does not drift with the peer's load)."""

    def __init__(self, default_chunks: int, default_delay_ms: int):
        self.default_chunks = default_chunks
        self.default_delay_ms = default_delay_ms
        self.connections = 0
        self.rejected = 0
        self.failures = 0

    def process_request(self, connection, request):
        reason = verify_signed_target(request.path, request.headers.get("Host"))
        if reason is None:
            return None
        self.rejected += 1
        print(f"spark_ws_peer: handshake refused: {reason}", file=sys.stderr, flush=True)
        body = json.dumps({"message": "HMAC signature does not match"}).encode()
        return Response(401, "Unauthorized", Headers([("Content-Type", "application/json"),
                                                      ("Content-Length", str(len(body)))]), body)

    async def handle(self, ws) -> None:
        self.connections += 1
        sid = f"cht{self.connections:06x}@dx{int(time.time() * 1000):x}c0a8"
        try:
            request = json.loads(await asyncio.wait_for(ws.recv(), REQUEST_TIMEOUT))
            messages = request["payload"]["message"]["text"]
            prompt = next(m["content"] for m in reversed(messages) if m.get("role") == "user")
            tag, chunks, delay_ms = parse_prompt(prompt, self.default_chunks, self.default_delay_ms)
            frames = answer_frames(sid, expected_pieces(tag, chunks), prompt_tokens=max(1, len(prompt) // 2))
            loop = asyncio.get_running_loop()
            start = loop.time()
            for index, text in enumerate(frames):
                due = start + (index + 1) * delay_ms / 1000
                wait = due - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                await ws.send(text)
            await ws.close(1000)
        except Exception as error:  # the relay left, or sent something that is not a Spark request
            self.failures += 1
            print(f"spark_ws_peer: connection {self.connections}: {type(error).__name__}: {error}",
                  file=sys.stderr, flush=True)

    async def serve_forever(self, port: int) -> None:
        async with serve(self.handle, "127.0.0.1", port, process_request=self.process_request, ping_interval=None,
                         compression=None, max_size=2 * 1024 * 1024, open_timeout=REQUEST_TIMEOUT,
                         backlog=1024) as server:
            bound = server.sockets[0].getsockname()[1]
            print(f"listening on ws://127.0.0.1:{bound}", flush=True)
            await asyncio.Future()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--chunks", type=int, default=10, help="frames per answer when the prompt does not say")
    parser.add_argument("--delay-ms", type=int, default=20, help="ms between frames when the prompt does not say")
    args = parser.parse_args()
    try:
        asyncio.run(SparkPeer(args.chunks, args.delay_ms).serve_forever(args.port))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
