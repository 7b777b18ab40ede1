"""The shipped nginx configuration (nginx/*.conf) in front of a real relay: streams are not
buffered, errors keep the relay's JSON shape, resume headers pass through.

Runs a real nginx (nginx_harness.py) and measures with curl, an independent client."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest

from nginx_harness import free_port, nginx_binary, start_nginx
from relay_harness import RelayProcess, write_config

CHUNK_DELAY = 0.25          # the simulator's pause before each frame
CHUNKS = 6
MIN_GAP = 0.15              # consecutive events must arrive at least this far apart (unbuffered)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """A relay (simulator, 0.25 s between chunks) and nginx in front of it."""
    nginx_binary()  # skip / fail before starting anything
    curl = shutil.which("curl")
    if curl is None:
        pytest.fail("curl is required (run.sh installs it)")
    directory = tmp_path_factory.mktemp("nginx-stack")
    relay = RelayProcess(write_config(directory, {"upstream": {"simulator_chunk_delay": CHUNK_DELAY}}))
    nginx = None
    try:
        relay.wait_listening()
        nginx = start_nginx(directory / "nginx", relay.address)
        yield relay, nginx
        assert nginx.alive(), f"nginx died during the tests:\n{nginx.error_log()}"
        nginx.stop()
        relay.stop_and_check()
    finally:
        if nginx is not None:
            nginx.kill()
        relay.kill()


def curl_stream(args: list, timeout: float = 20.0) -> tuple:
    """Runs `curl -N` and timestamps every line as it arrives on its stdout.
    Returns (lines as [(monotonic time, text)], response head text, curl's exit status)."""
    head_file = Path(os.environ.get("TMPDIR", "/tmp")) / f"curl-head-{os.getpid()}-{threading.get_ident()}"
    cmd = ["curl", "-sS", "-N", "--no-buffer", "--max-time", str(timeout), "-D", str(head_file), *args]
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0,
                            env={**os.environ, "NO_PROXY": "*", "no_proxy": "*"})
    lines = []
    try:
        # readline on the unbuffered pipe returns as soon as curl writes a line.
        for raw in iter(proc.stdout.readline, b""):
            lines.append((time.monotonic() - start, raw.decode("utf-8").rstrip("\r\n")))
        rc = proc.wait(timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
    head = head_file.read_text() if head_file.exists() else ""
    head_file.unlink(missing_ok=True)
    assert rc == 0, f"curl failed ({rc}): {proc.stderr.read().decode()}\n{lines}"
    return lines, head


def assert_streamed_unbuffered(lines: list, head: str) -> None:
    data = [(t, line) for t, line in lines if line.startswith("data:")]
    assert lines and any(line == "event: done" for _, line in lines), f"no done event: {lines}"
    # CHUNKS content frames, then the done event's data.
    assert len(data) == CHUNKS + 1, data
    times = [t for t, _ in data]
    gaps = [b - a for a, b in zip(times, times[1:CHUNKS])]
    assert all(gap >= MIN_GAP for gap in gaps), \
        f"events arrived in bursts (buffered?): gaps {[round(g, 3) for g in gaps]}"
    # The first event arrives long before the stream ends (a buffering proxy delivers it at the end).
    assert times[CHUNKS - 1] - times[0] >= (CHUNKS - 1) * MIN_GAP, times
    text = "".join(json.loads(line[5:])["choices"]["text"][0]["content"] for _, line in data[:CHUNKS])
    assert text.startswith("You said: through nginx. ") and "讯飞星火模拟器" in text, text
    lowered = head.lower()
    assert "content-type: text/event-stream" in lowered, head
    # nginx passes the relay's X-Accel-Buffering on (proxy_pass_header), for proxies in front of it.
    assert "x-accel-buffering: no" in lowered, head


def test_post_stream_is_not_buffered_by_nginx(stack):
    _relay, nginx = stack
    lines, head = curl_stream(["-X", "POST", "-H", "Content-Type: application/json",
                               "--data-binary", json.dumps({"prompt": f"through nginx [[chunks:{CHUNKS}]]"}),
                               f"{nginx.base_url}/chat/stream"])
    assert head.startswith("HTTP/1.1 200"), head
    assert_streamed_unbuffered(lines, head)


def test_ticket_stream_is_not_buffered_by_nginx(stack):
    _relay, nginx = stack
    ticket = httpx.post(f"{nginx.base_url}/chat", json={"prompt": f"through nginx [[chunks:{CHUNKS}]]"}, timeout=10)
    assert ticket.status_code == 201, ticket.text
    body = ticket.json()
    lines, head = curl_stream(["-H", "Accept: text/event-stream", nginx.base_url + body["stream_url"]])
    assert_streamed_unbuffered(lines, head)
    ids = [line[4:] for _, line in lines if line.startswith("id: ")]
    assert ids == [f"{body['id']}:{n}" for n in range(1, CHUNKS + 2)], ids


def test_resume_with_last_event_id_through_nginx(stack):
    """A reconnect through nginx carries Last-Event-ID and gets exactly the missed events."""
    _relay, nginx = stack
    ticket = httpx.post(f"{nginx.base_url}/chat", json={"prompt": "resume via nginx [[chunks:4]] [[delay:50]]"},
                        timeout=10).json()
    url = nginx.base_url + ticket["stream_url"]
    # First attach: read two events, then hang up.
    seen = []
    with httpx.stream("GET", url, headers={"Accept": "text/event-stream"}, timeout=10) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            if line.startswith("id: "):
                seen.append(line[4:])
            if len(seen) == 2:
                break
    assert seen == [f"{ticket['id']}:1", f"{ticket['id']}:2"], seen
    # Reattach: the rest, in order, nothing twice.
    rest = []
    with httpx.stream("GET", url, headers={"Accept": "text/event-stream", "Last-Event-ID": seen[-1]},
                      timeout=10) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            if line.startswith("id: "):
                rest.append(line[4:])
    assert rest == [f"{ticket['id']}:{n}" for n in (3, 4, 5)], rest


def close_wait_sockets(port: int) -> int:
    """How many TCP sockets on local `port` are in CLOSE-WAIT (the peer closed, we did not)."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "08":
                count += 1
    return count


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="needs Linux /proc/net/tcp")
def test_client_leaving_mid_stream_releases_the_relay_connection(stack):
    """A browser that leaves mid-stream: nginx closes its connection to the relay (its default
    proxy_ignore_client_abort off), and the relay must close its side promptly — not keep a
    CLOSE-WAIT socket (which also blocks its graceful shutdown)."""
    relay, nginx = stack
    with httpx.stream("POST", f"{nginx.base_url}/chat/stream", json={"prompt": "leave early [[chunks:30]]"},
                      timeout=10) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            if line.startswith("data: "):
                break
    deadline = time.monotonic() + 5
    while close_wait_sockets(relay.port) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert close_wait_sockets(relay.port) == 0, \
        "the relay kept a socket in CLOSE-WAIT after its client (nginx) closed the connection mid-stream"


def test_healthz_through_nginx(stack):
    _relay, nginx = stack
    response = httpx.get(f"{nginx.base_url}/healthz", timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    health = response.json()
    assert health["status"] == "ok" and health["upstream"] == "simulator", health


def assert_json_error(response: httpx.Response, status: int, code=None) -> dict:
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/json"), response.headers
    error = response.json()["error"]
    assert set(error) >= {"type", "code", "message"}, error
    if code is not None:
        assert error["code"] == code, error
    return error


def test_relay_errors_keep_their_json_shape_through_nginx(stack):
    _relay, nginx = stack
    assert_json_error(httpx.get(f"{nginx.base_url}/no/such/path", timeout=10), 404, "not_found")
    response = httpx.request("DELETE", f"{nginx.base_url}/chat", timeout=10)
    assert_json_error(response, 405)
    assert response.headers.get("allow") == "POST", response.headers
    assert_json_error(httpx.post(f"{nginx.base_url}/chat", content=b"{not json", timeout=10,
                                 headers={"Content-Type": "application/json"}), 400)
    # An unknown ticket: 204, so EventSource stops reconnecting.
    response = httpx.get(f"{nginx.base_url}/chat/stream/00000000000000000000000000000000", timeout=10)
    assert response.status_code == 204, response


def test_demo_page_served_through_nginx(stack):
    _relay, nginx = stack
    page = httpx.get(f"{nginx.base_url}/", timeout=10)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert 'id="prompt"' in page.text
    for asset, kind in (("app.js", "javascript"), ("style.css", "text/css")):
        response = httpx.get(f"{nginx.base_url}/{asset}", timeout=10)
        assert response.status_code == 200, asset
        assert kind in response.headers["content-type"], (asset, response.headers)


def test_relay_down_gives_json_error(tmp_path):
    """nginx's own failure (nobody listening upstream) uses the relay's JSON error shape too."""
    nginx = start_nginx(tmp_path / "nginx-down", ("127.0.0.1", free_port()))
    try:
        error = assert_json_error(httpx.get(f"{nginx.base_url}/healthz", timeout=10), 502, "relay_unavailable")
        assert error["type"] == "upstream_error"
        assert_json_error(httpx.post(f"{nginx.base_url}/chat/stream", json={"prompt": "x"}, timeout=10),
                          502, "relay_unavailable")
    finally:
        nginx.stop()
        nginx.kill()
