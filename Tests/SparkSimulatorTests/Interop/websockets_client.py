#!/usr/bin/env python3
"""Interop check: the `websockets` package (an independent RFC 6455 client) against a running spark-sim.

Signs the URL in Python exactly as Sources/SparkCodec/README.md §3.1 describes (HMAC-SHA256 over
"host: …\\ndate: …\\nGET <path> HTTP/1.1", base64, authorization_origin, base64, urlencode), then:
  1. a plain answer: frames decode, seq counts from 0, statuses 0..2, usage on the last, text matches
     SimulatorScript.answer, then the server closes with 1000;
  2. [[fragment]]: the websockets client reassembles the split-mid-UTF-8 message byte-exactly;
  3. [[ping]]: websockets answers the pings itself and the answer still completes;
  4. [[big]]: a > 65535-byte frame (64-bit length) arrives whole;
  5. a bad signature gets HTTP 401 with Spark's JSON body and a Date header;
  6. [[error:10013]]: one error frame, then close 1000.

Usage: spark-sim --port 9443 &  then
  python3 websockets_client.py ws://127.0.0.1:9443
With no SPARK_* variables set both sides use the simulator's public fake default credentials.
Exit status 0 when every check passes. Needs `pip install websockets` (tested with 12+).
"""
import asyncio
import base64
import hashlib
import hmac
import json
import os
import sys
from email.utils import formatdate
from urllib.parse import urlencode, urlparse

import websockets

APP_ID = os.environ.get("SPARK_APP_ID", "sim00001")
API_KEY = os.environ.get("SPARK_API_KEY", "addd2272b6d8b7c8abdd79531420ca3b")
API_SECRET = os.environ.get("SPARK_API_SECRET", "MjlmNzkzNmZkMDQ2OTc0ZDdmNGE2ZTZi")
FIXED = "这是讯飞星火模拟器的固定回答：流式分片、多字节字符与表情😀都会完整到达。"
PATH, DOMAIN = "/v3.5/chat", "generalv3.5"


def sign(base: str, path: str, secret: str = API_SECRET) -> str:
    parsed = urlparse(base)
    host = parsed.netloc  # includes :port, as Python clients send it
    date = formatdate(usegmt=True)
    origin = f"host: {host}\ndate: {date}\nGET {path} HTTP/1.1"
    signature = base64.b64encode(hmac.new(secret.encode(), origin.encode(), hashlib.sha256).digest()).decode()
    authorization_origin = (f'api_key="{API_KEY}", algorithm="hmac-sha256", '
                            f'headers="host date request-line", signature="{signature}"')
    authorization = base64.b64encode(authorization_origin.encode()).decode()
    return f"{parsed.scheme}://{host}{path}?" + urlencode({"authorization": authorization, "date": date, "host": host})


def request(prompt: str) -> str:
    return json.dumps({"header": {"app_id": APP_ID, "uid": "interop"},
                       "parameter": {"chat": {"domain": DOMAIN, "temperature": 0.5, "max_tokens": 1024}},
                       "payload": {"message": {"text": [{"role": "user", "content": prompt}]}}}, ensure_ascii=False)


async def collect(base: str, prompt: str, **kwargs):
    frames = []
    async with websockets.connect(sign(base, PATH), max_size=None, **kwargs) as ws:
        await ws.send(request(prompt))
        try:
            async for message in ws:
                assert isinstance(message, str), "Spark sends text messages only"
                frames.append(json.loads(message))
        except websockets.ConnectionClosedError as error:
            raise AssertionError(f"connection closed abnormally: {error}")
        code = ws.close_code
    return frames, code


def check_answer(frames, expected_text):
    assert frames, "no frames"
    for index, frame in enumerate(frames):
        header = frame["header"]
        assert header["code"] == 0, header
        assert header["sid"].startswith("cht000sim@dx"), header["sid"]
        choices = frame["payload"]["choices"]
        assert choices["seq"] == index, (index, choices["seq"])
        expected_status = 2 if index == len(frames) - 1 else (0 if index == 0 else 1)
        assert header["status"] == choices["status"] == expected_status, (index, header["status"])
    text = "".join(f["payload"]["choices"]["text"][0]["content"] for f in frames)
    assert text == expected_text, text
    usage = frames[-1]["payload"]["usage"]["text"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"], usage
    assert len({f["header"]["sid"] for f in frames}) == 1


async def main(base: str) -> None:
    frames, code = await collect(base, "你好 [[delay:0]]")
    check_answer(frames, f"You said: 你好. {FIXED}")
    assert len(frames) >= 3 and code == 1000, (len(frames), code)
    print(f"ok   plain answer: {len(frames)} frames, close {code}")

    frames, code = await collect(base, "分片测试 [[fragment]] [[delay:0]]")
    check_answer(frames, f"You said: 分片测试. {FIXED}")
    print(f"ok   [[fragment]] reassembled: {len(frames)} messages, close {code}")

    frames, code = await collect(base, "ping [[ping]] [[delay:0]]")
    check_answer(frames, f"You said: ping. {FIXED}")
    print(f"ok   [[ping]] answered by websockets, close {code}")

    frames, code = await collect(base, "big [[big]] [[delay:0]]")
    assert len(json.dumps(frames[0], ensure_ascii=False).encode()) > 65535
    assert "".join(f["payload"]["choices"]["text"][0]["content"] for f in frames).endswith(f"You said: big. {FIXED}")
    print(f"ok   [[big]] frame of > 65535 bytes, close {code}")

    bad = sign(base, PATH, secret="wrong-secret")
    try:
        async with websockets.connect(bad):
            raise AssertionError("bad signature was accepted")
    except websockets.InvalidStatus as error:
        response = error.response
        assert response.status_code == 401, response.status_code
        assert json.loads(response.body) == {"message": "HMAC signature does not match"}, response.body
        assert response.headers.get("Date"), "Date header missing"
    print("ok   bad signature → 401 with Spark's body and a Date header")

    frames, code = await collect(base, "[[error:10013]]")
    assert len(frames) == 1 and frames[0]["header"]["code"] == 10013 and frames[0]["header"]["status"] == 2, frames
    assert code == 1000, code
    print("ok   [[error:10013]] → one error frame, close 1000")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "ws://127.0.0.1:9443"))
    print("websockets interop: all checks passed")
