"""Interop of the shipped binaries with Spark peers that no one here wrote.

Run against the RELEASE build (`SPARK_RELAY_BIN=.build/release/spark-relay`; `spark-sim` and
`spark-chat` are taken from beside it): a release-only miscompile of the WebSocket masking once
corrupted every client frame while the debug build and release-against-release both looked fine.

1. `spark-sim` serving clients it did not write: iFlytek's `spark-ai-python` (`ChatSparkLLM`
   generate and stream), LangChain's `ChatSparkLLM` (`invoke`, `stream`), raw `websocket-client` and
   raw `websockets` (URL signed here in Python). Requests in one frame of 200 B (16-bit length) and
   70 KB (64-bit), and fragmented into text + continuation frames of 100 B (7-bit), 300 B (16-bit)
   and 66 KB (64-bit) cut inside UTF-8 characters. A valid Spark request is at least ~130 B, so a
   7-bit request length only exists in fragments. A wrong secret gets HTTP 401 in every client.
2. The relay's Spark client against `FakeSpark` (the `websockets` server, spark_peers.py), which
   checks the signed URL, the request frame (70 KB CJK prompt, byte-exact), every pong and the
   close frame, and answers with 10 B, 200 B and 70 KB text pieces, fragmented, with pings: each
   Spark payload must reach the SSE client byte-exact, and `/v1/chat/completions` must carry the
   same text.
3. `spark-chat` (SparkKit) against the same server: stdout is exactly the answer.
"""

from __future__ import annotations

import asyncio
import json
import re
import ssl
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import websocket  # websocket-client
import websockets
from websockets.asyncio.client import connect as ws_connect

from relay_harness import relay_binary, threads_that_could_lose
from spark_peers import (API_SECRET, APP_ID, CREDS, SID, FakeSpark, SimProcess, answer_script, clean_env,
                         parse_sse, sign_url)

HERE = Path(__file__).resolve().parent
SDK_DRIVER = HERE / "spark_sdk_driver.py"
SDK_TIMEOUT = 90        # one SDK run, import included (langchain imports slowly)
CLIENT_TIMEOUT = 30     # one raw-client exchange or one relay request
CHAT_TIMEOUT = 60       # one spark-chat run
# Models by prompt size: Max (8K tokens) for small prompts, Pro-128K for the 70 KB ones (Spark and
# spark-sim answer 10907 to a prompt over the model's token limit).
SMALL_MODEL = ("generalv3.5", "/v3.5/chat")
LONG_MODEL = ("pro-128k", "/chat/pro-128k")
# spark-sim's scripted answer (Sources/SparkSimulator/SimulatorScript.swift): "You said: PROMPT. " + this.
SIM_SENTENCE = "这是讯飞星火模拟器的固定回答：流式分片、多字节字符与表情😀都会完整到达。"
SIM_BIG_FILLER = "星火模拟器大帧测试。" * 2600  # [[big]]: put before the first content piece
KB70 = 70 * 1024


def sim_answer(prompt_text: str) -> str:
    return f"You said: {prompt_text}. {SIM_SENTENCE}"


def exact_utf8(size: int, pattern: str = "星火互通：合肥🚀 \"q\" \\ tab\t;", in_json: bool = False) -> str:
    """A string of exactly `size` UTF-8 bytes (`in_json`: once escaped inside a JSON string):
    `pattern` repeated (multi-byte characters, quotes, a backslash, a tab), topped up with ASCII;
    it never starts or ends with whitespace."""
    out, used = [], 0
    while True:
        for char in pattern:
            width = len((json.dumps(char, ensure_ascii=False)[1:-1] if in_json else char).encode())
            if used + width > size - 1:
                return "".join(out) + "." * (size - used)
            out.append(char)
            used += width


def mid_char_cuts(data: bytes, near: list, window: int = 8) -> tuple:
    """For each offset in `near`: the first offset at most `window` bytes on that falls inside a
    multi-byte UTF-8 character, or the offset itself when there is none (ASCII)."""
    cuts = []
    for start in near:
        inside = [i for i in range(start, min(start + window, len(data))) if (data[i] & 0xC0) == 0x80]
        cuts.append(inside[0] if inside else start)
    return tuple(cuts)


def model_for(prompt: str) -> tuple:
    return LONG_MODEL if len(prompt.encode()) > 4096 else SMALL_MODEL


def sim_request(prompt: str, domain: str, app_id: str = APP_ID) -> str:
    return json.dumps({"header": {"app_id": app_id, "uid": "e2e"},
                       "parameter": {"chat": {"domain": domain, "max_tokens": 1024}},
                       "payload": {"message": {"text": [{"role": "user", "content": prompt}]}}},
                      ensure_ascii=False, separators=(",", ":"))


def sized_request(size: int, directives: str) -> tuple:
    """(request JSON of exactly `size` UTF-8 bytes, the prompt text the simulator will echo, model path)."""
    domain, path = LONG_MODEL if size > 4096 else SMALL_MODEL
    overhead = len(sim_request(f"{directives} ", domain).encode())
    body = exact_utf8(size - overhead, in_json=True)
    request = sim_request(f"{directives} {body}", domain)
    assert len(request.encode()) == size, (len(request.encode()), size)
    return request, body, path


def check_sim_frames(frames: list, expected_text: str) -> None:
    assert frames, "no answer frames"
    for index, frame in enumerate(frames):
        header = frame["header"]
        assert header["code"] == 0, header
        status = 2 if index == len(frames) - 1 else (0 if index == 0 else 1)
        assert header["status"] == status, (index, header)
        assert frame["payload"]["choices"]["seq"] == index
    assert "usage" in frames[-1]["payload"]
    text = "".join(frame["payload"]["choices"]["text"][0]["content"] for frame in frames)
    assert text == expected_text, f"answer differs: {len(text)} vs {len(expected_text)} chars, starts {text[:80]!r}"


# ---------------------------------------------------------------------------------------------
# 1. spark-sim with outside clients.

@pytest.fixture(scope="module")
def sim():
    process = SimProcess(relay_binary().parent / "spark-sim", CREDS, "--chunk-delay", "0")
    yield process
    process.stop()


@pytest.fixture
def live_sim(sim):
    assert sim.proc.poll() is None, "spark-sim died:\n" + "\n".join(sim.lines[-20:])
    yield sim
    assert sim.proc.poll() is None, "spark-sim died during the test:\n" + "\n".join(sim.lines[-20:])


# name → (request size in bytes, directives, fragment sizes or None for one frame)
RAW_CASES = {
    "one-frame-200B-16bit": (200, "[[big]] [[ping]]", None),
    "one-frame-70KB-64bit": (KB70, "[[chunks:6]] [[fragment]]", None),
    "fragmented-7-16-64bit": (KB70, "[[chunks:5]] [[ping]]", (100, 300, 66_000)),
}


def raw_fragments(data: bytes, sizes: tuple) -> list:
    """Pieces of `data` of about `sizes` bytes (each cut moved into a UTF-8 character), then the rest."""
    offsets, total = [], 0
    for size in sizes:
        total += size
        offsets.append(total)
    cuts = [0, *mid_char_cuts(data, offsets, window=4), len(data)]
    pieces = [data[a:b] for a, b in zip(cuts, cuts[1:])]
    assert len(pieces[0]) <= 125 < len(pieces[1]) <= 65535 < len(pieces[2]), [len(p) for p in pieces]
    return pieces


def expected_raw_answer(directives: str, body: str) -> str:
    text = sim_answer(body)
    return SIM_BIG_FILLER + text if "[[big]]" in directives else text


@pytest.mark.parametrize("case", RAW_CASES, ids=list(RAW_CASES))
def test_websocket_client_against_sim(live_sim, case):
    size, directives, fragments = RAW_CASES[case]
    request, body, path = sized_request(size, directives)
    ws = websocket.create_connection(sign_url(live_sim.url + path), timeout=CLIENT_TIMEOUT)
    try:
        if fragments is None:
            ws.send(request)
        else:
            pieces = raw_fragments(request.encode(), fragments)
            ws.send_frame(websocket.ABNF.create_frame(pieces[0], websocket.ABNF.OPCODE_TEXT, fin=0))
            for index, piece in enumerate(pieces[1:], start=1):
                ws.send_frame(websocket.ABNF.create_frame(piece, websocket.ABNF.OPCODE_CONT,
                                                          fin=int(index == len(pieces) - 1)))
        frames = []
        while True:
            opcode, data = ws.recv_data(control_frame=False)  # answers pings itself
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                code = int.from_bytes(data[:2], "big") if len(data) >= 2 else None
                break
            assert opcode == websocket.ABNF.OPCODE_TEXT, opcode
            frames.append(json.loads(data.decode("utf-8")))
    finally:
        ws.close(timeout=2)
    check_sim_frames(frames, expected_raw_answer(directives, body))
    assert code == 1000


async def websockets_exchange(url: str, request: str, fragments) -> tuple:
    frames = []
    async with ws_connect(url, max_size=None, open_timeout=CLIENT_TIMEOUT, close_timeout=5) as ws:
        if fragments is None:
            await ws.send(request)
        else:
            await ws.send(raw_fragments(request.encode(), fragments), text=True)
        try:
            async for message in ws:
                assert isinstance(message, str), "Spark answers in text messages"
                frames.append(json.loads(message))
        except websockets.ConnectionClosedError as error:
            raise AssertionError(f"closed abnormally: {error}")
        return frames, ws.close_code


@pytest.mark.parametrize("case", RAW_CASES, ids=list(RAW_CASES))
def test_websockets_client_against_sim(live_sim, case):
    size, directives, fragments = RAW_CASES[case]
    request, body, path = sized_request(size, directives)
    frames, code = asyncio.run(asyncio.wait_for(
        websockets_exchange(sign_url(live_sim.url + path), request, fragments), CLIENT_TIMEOUT))
    check_sim_frames(frames, expected_raw_answer(directives, body))
    assert code == 1000


def test_raw_clients_get_401_for_a_wrong_secret(live_sim):
    url = sign_url(live_sim.url + SMALL_MODEL[1], api_secret="not-the-secret")
    with pytest.raises(websocket.WebSocketBadStatusException) as caught:
        websocket.create_connection(url, timeout=CLIENT_TIMEOUT)
    assert caught.value.status_code == 401
    assert json.loads(caught.value.resp_body)["message"] == "HMAC signature does not match"

    async def attempt():
        async with ws_connect(url, open_timeout=CLIENT_TIMEOUT):
            pass

    with pytest.raises(websockets.InvalidStatus) as refused:
        asyncio.run(attempt())
    assert refused.value.response.status_code == 401
    assert json.loads(refused.value.response.body)["message"] == "HMAC signature does not match"


def run_sdk(sdk: str, mode: str, base_url: str, prompt: str, tmp_path: Path, env: dict = CREDS) -> dict:
    prompt_file = tmp_path / f"prompt-{sdk}-{mode}.txt"
    prompt_file.write_text(prompt, encoding="utf-8")
    domain, path = model_for(prompt)
    out = subprocess.run([sys.executable, str(SDK_DRIVER), sdk, mode, base_url + path, domain, str(prompt_file)],
                         env=clean_env(env), capture_output=True, text=True, encoding="utf-8", timeout=SDK_TIMEOUT)
    assert out.returncode == 0, f"{sdk} driver crashed ({out.returncode}):\n{out.stdout}\n{out.stderr[-3000:]}"
    lines = out.stdout.strip().splitlines()
    assert lines, f"{sdk} driver printed nothing:\n{out.stderr[-3000:]}"
    return json.loads(lines[-1])


SDK_PROMPTS = {
    # ~220 B request frames (16-bit length): the SDKs add their own uid, temperature, top_k, max_tokens.
    "small": "[[chunks:4]] [[ping]] [[fragment]] 你好，星火！",
    # ~70 KB request frames (64-bit length).
    "70KB": "[[chunks:6]] [[ping]] " + exact_utf8(KB70),
}


@pytest.mark.parametrize("sdk", ["sparkai", "langchain"])
@pytest.mark.parametrize("mode", ["invoke", "stream"])
@pytest.mark.parametrize("size", list(SDK_PROMPTS))
def test_spark_sdks_against_sim(live_sim, tmp_path, sdk, mode, size):
    prompt = SDK_PROMPTS[size]
    expected = sim_answer(prompt.split("]] ")[-1])
    result = run_sdk(sdk, mode, live_sim.url, prompt, tmp_path)
    assert "error" not in result, result
    assert result["text"] == expected, f"{sdk} {mode}: {result['text'][:120]!r}… ({len(result['text'])} chars)"
    if mode == "stream":
        pieces = [chunk for chunk in result["chunks"] if chunk]
        assert len(pieces) == (4 if size == "small" else 6), [len(chunk) for chunk in result["chunks"]]
    else:
        assert result["usage"]["total_tokens"] > 0, result["usage"]


@pytest.mark.parametrize("sdk,error_type", [("sparkai", "SparkAIConnectionError"), ("langchain", "ConnectionError")])
def test_spark_sdks_report_401_for_a_wrong_secret(live_sim, tmp_path, sdk, error_type):
    env = dict(CREDS, SPARK_API_SECRET="not-the-secret")
    result = run_sdk(sdk, "invoke", live_sim.url, "你好", tmp_path, env=env)
    assert result.get("error_type") == error_type, result
    # Both surface websocket-client's WebSocketBadStatusException text.
    assert "Handshake status 401" in result["error"], result["error"]


# ---------------------------------------------------------------------------------------------
# 2. and 3. Our Spark clients (relay, spark-chat) against a websockets server playing Spark.

PIECE_10B = "Hi 合肥!"                                          # 10 bytes
PIECE_200B = exact_utf8(200, "引号\"、反斜杠\\、换行\n、制表\t、😀、</script>\u2028;")
PIECE_70KB = exact_utf8(KB70, "长帧：讯飞星火😀🚀ÄÖü €;")
PIECE_LAST = "。完"


def spark_script() -> list:
    """10 B (escaped as \\uXXXX), 200 B (3 fragments), 70 KB (fragments of 7-, 16- and 64-bit length),
    a last frame with usage in loose (non-compact) JSON; pings before the 200 B and 70 KB messages and
    between their fragments."""
    script = answer_script([PIECE_10B, PIECE_200B, PIECE_70KB, PIECE_LAST], ping={1, 2}, ascii_={0}, loose={3})
    script[1].fragments = mid_char_cuts(script[1].encoded(), [60, 150])
    script[2].fragments = mid_char_cuts(script[2].encoded(), [100 - 3, 400, 66_400])
    return script


PIECES = [PIECE_10B, PIECE_200B, PIECE_70KB, PIECE_LAST]
ANSWER = "".join(PIECES)
SYSTEM_PROMPT = "你是一个测试助手。Answer \"exactly\" \\ as scripted.\n"
USER_PROMPT = exact_utf8(KB70, "请把这段长文原样发给星火：合肥、安徽😀 \"quote\" \\ back\tslash\u2028;")


@pytest.fixture
def fake_spark():
    servers = []

    def factory(script=None, ssl_context=None) -> FakeSpark:
        server = FakeSpark(script if script is not None else spark_script(), ssl_context=ssl_context)
        servers.append(server)
        return server

    yield factory
    for server in servers:
        server.stop()


def spark_relay(start_relay, server: FakeSpark):
    return start_relay({"stream": {"heartbeat_interval": 15}},
                       extra_args=("--upstream", "spark", "--spark-base-url", server.base_url), env=CREDS)


def check_request(server: FakeSpark, messages: list, model: tuple = LONG_MODEL) -> dict:
    assert len(server.sessions) == 1, f"{len(server.sessions)} connections, rejected: {server.rejected}"
    session = server.sessions[0]
    assert session.path == model[1]
    assert session.request is not None, f"no readable request: {server.problems()}"
    request = session.request
    assert request["header"]["app_id"] == APP_ID
    assert request["parameter"]["chat"]["domain"] == model[0]
    sent = request["payload"]["message"]["text"]
    assert [m["role"] for m in sent] == [m["role"] for m in messages]
    for got, want in zip(sent, messages):
        assert got["content"].encode() == want["content"].encode(), "message content changed on the way"
    return request


def test_relay_chat_stream_against_websockets_spark(start_relay, fake_spark):
    server = fake_spark()
    relay = spark_relay(start_relay, server)
    messages = [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": USER_PROMPT}]
    body = json.dumps({"messages": messages, "model": LONG_MODEL[0]}, ensure_ascii=False).encode()
    with httpx.Client(timeout=CLIENT_TIMEOUT) as client:
        with client.stream("POST", f"{relay.base_url}/chat/stream", content=body,
                           headers={"Content-Type": "application/json", "Accept": "text/event-stream"}) as response:
            assert response.status_code == 200, response.read()
            assert response.headers["content-type"].startswith("text/event-stream")
            stream_id = response.headers["x-stream-id"]
            raw = b"".join(response.iter_bytes())
    events, _ = parse_sse(raw)
    script = server.script
    data_events = [e for e in events if e.event == "message"]
    assert [e.event for e in events] == ["message"] * len(script) + ["done"], [(e.event, e.data[:100]) for e in events]
    for index, (event, message) in enumerate(zip(data_events, script)):
        assert event.id == f"{stream_id}:{index + 1}", event.id
        # The relay forwards Spark's payload object as it came (compacted when it was not compact).
        assert event.raw_data == message.payload_bytes(), f"frame {index} payload differs"
        payload = json.loads(event.data)
        assert payload == message.frame["payload"]
        assert payload["choices"]["text"][0]["content"] == PIECES[index]
    done = json.loads(events[-1].data)
    assert done["sid"] == SID
    assert done["usage"]["total_tokens"] == script[-1].frame["payload"]["usage"]["text"]["total_tokens"]
    check_request(server, messages)
    assert server.problems() == []
    # One Ping before the 200 B and 70 KB messages and one between every two of their fragments.
    assert server.sessions[0].pongs == sum(1 + len(m.fragments) for m in script if m.ping_before) == 7
    assert API_SECRET not in relay.log_text() and "authorization=" not in relay.log_text()


@pytest.mark.parametrize("version", ["TLSv1_3", "TLSv1_2"])
def test_relay_resumes_upstream_tls_sessions_with_pythons_ssl_server(start_relay, fake_spark, certificates, version):
    """Every stream opens its own wss:// connection; after the first full handshake the relay resumes
    the session Python's ssl server issued (seen by the server itself), and says so in /metrics. TLS
    1.3 tickets are used once each (the server sends new ones); a TLS 1.2 session is resumed again."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificates / "server.pem", certificates / "server.key")
    context.minimum_version = context.maximum_version = getattr(ssl.TLSVersion, version)
    server = fake_spark(answer_script(["加密的", "第一块。"]), ssl_context=context)
    assert server.base_url.startswith("wss://")
    relay = start_relay({}, extra_args=("--upstream", "spark", "--spark-base-url", server.base_url,
                                        "--ca-file", str(certificates / "ca.pem")), env=CREDS)
    with httpx.Client(timeout=CLIENT_TIMEOUT) as client:
        for prompt in ("一", "二", "三"):
            response = client.post(f"{relay.base_url}/chat/stream", json={"messages": [{"role": "user", "content": prompt}]})
            assert response.status_code == 200, response.text
            events, _ = parse_sse(response.content)
            assert [e.event for e in events] == ["message", "message", "done"], [(e.event, e.data[:80]) for e in events]
        metrics = client.get(f"{relay.base_url}/metrics").text
    assert server.problems() == []
    assert [session.tls_resumed for session in server.sessions] == [False, True, True]
    counts = dict(re.findall(r'^relay_upstream_tls_handshakes_total\{resumed="(true|false)"\} (\S+)$', metrics, re.M))
    assert float(counts["false"]) == 1 and float(counts["true"]) == 2, counts


def test_relay_openai_stream_against_websockets_spark(start_relay, fake_spark):
    server = fake_spark()
    relay = spark_relay(start_relay, server)
    messages = [{"role": "user", "content": USER_PROMPT}]
    body = {"model": LONG_MODEL[0], "messages": messages, "stream": True}
    with httpx.Client(timeout=CLIENT_TIMEOUT) as client:
        with client.stream("POST", f"{relay.base_url}/v1/chat/completions", json=body) as response:
            assert response.status_code == 200, response.read()
            raw = b"".join(response.iter_bytes())
    events, _ = parse_sse(raw)
    assert events and events[-1].data == "[DONE]", [e.data[:100] for e in events[-3:]]
    chunks = [json.loads(e.data) for e in events[:-1]]
    contents = [c["choices"][0]["delta"].get("content") for c in chunks if c["choices"]]
    assert [c for c in contents if c] == PIECES
    assert [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]][-1] == "stop"
    check_request(server, messages)
    assert server.problems() == []


def test_spark_chat_against_websockets_spark(fake_spark):
    server = fake_spark()
    prompt = USER_PROMPT
    out = subprocess.run([str(relay_binary().parent / "spark-chat"), "--base-url", server.base_url,
                          "--model", LONG_MODEL[0], prompt],
                         env=clean_env(CREDS), capture_output=True, timeout=CHAT_TIMEOUT)
    assert out.returncode == 0, out.stderr.decode("utf-8", "replace")[-2000:]
    assert out.stdout == (ANSWER + "\n").encode(), f"stdout differs ({len(out.stdout)} bytes)"
    check_request(server, [{"role": "user", "content": prompt}])
    # spark-chat exits once the answer is complete: it may drop TCP before the closing handshake.
    assert server.problems(close_frame_required=False) == []
    assert SID in out.stderr.decode()


def test_spark_sim_never_loses_a_shutdown_signal():
    """Every thread of spark-sim blocks SIGINT and SIGTERM (its main thread takes them with sigwait),
    so none can receive one and discard it; and SIGTERM then stops it with status 0."""
    sim = SimProcess(relay_binary().parent / "spark-sim", CREDS)
    try:
        assert threads_that_could_lose(sim.proc.pid) == []
    finally:
        sim.stop()
