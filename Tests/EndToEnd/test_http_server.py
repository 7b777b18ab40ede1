"""End-to-end tests of the relay's HTTP/1.1 server core, against the real binary, with outside
clients: httpx (connection pooling, chunked uploads), h11 (a strict, independent HTTP/1.1 parser
over raw sockets, for keep-alive, pipelining and malformed input) and curl (curl_checks.sh)."""

from __future__ import annotations

import json
import os
import platform
import select
import signal
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import h11
import httpx
import pytest

from relay_harness import (
    REPO_ROOT, connect, h11_request, raw_request, read_until_eof, receive_response,
    relay_binary, relay_env, threads_that_could_lose, write_config,
)

HERE = Path(__file__).resolve().parent
INDEX_HTML = (REPO_ROOT / "Public" / "index.html").read_bytes()


def client(base_url: str) -> httpx.Client:
    # trust_env=False: never route 127.0.0.1 through a proxy from the environment.
    return httpx.Client(base_url=base_url, timeout=10.0, trust_env=False)


def assert_json_error(status: int, headers, body: bytes, expected_status: int, code: str = None) -> dict:
    """Every error is `{"error":{"type","code","message"}}` with Content-Type application/json."""
    assert status == expected_status, f"expected {expected_status}, got {status}: {body[:300]!r}"
    content_type = headers.get("content-type")
    assert content_type is not None and content_type.split(";")[0].strip() == "application/json", \
        f"error Content-Type is {content_type!r}"
    document = json.loads(body)
    assert isinstance(document, dict) and set(document) == {"error"}, document
    error = document["error"]
    assert isinstance(error, dict), document
    for key in ("type", "code", "message"):
        assert isinstance(error.get(key), str) and error[key], f"error.{key} missing or empty: {document}"
    if code is not None:
        assert error["code"] == code, document
    return error


def assert_still_serving(relay) -> None:
    with client(relay.base_url) as http:
        response = http.get("/healthz")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "ok"


def expect_cycle(conn: h11.Connection, method: str, target: str, body: bytes = b"") -> None:
    """Tells the parsing h11 connection which request the bytes already sent belong to
    (so it frames HEAD responses right and can start the next cycle); the output is discarded."""
    headers = [("Host", "127.0.0.1")]
    if body:
        headers.append(("Content-Length", str(len(body))))
    conn.send(h11.Request(method=method, target=target, headers=headers))
    if body:
        conn.send(h11.Data(data=body))
    conn.send(h11.EndOfMessage())


def next_cycle(conn: h11.Connection) -> None:
    assert conn.our_state is h11.DONE and conn.their_state is h11.DONE, (conn.our_state, conn.their_state)
    conn.start_next_cycle()


# ---------------------------------------------------------------------------------------------
# /healthz


def test_first_log_line_names_the_address(relay):
    assert relay.first_line is not None and "listening on http://127.0.0.1:" in relay.first_line, relay.first_line


def test_healthz_get(base_url):
    with client(base_url) as http:
        response = http.get("/healthz")
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == "application/json"
    body = response.json()
    assert body["status"] == "ok"
    assert body["auth"] == "off"
    assert isinstance(body["upstream"], str) and body["upstream"]
    assert isinstance(body["version"], str) and body["version"]
    assert {"status", "upstream", "auth", "version"} <= set(body)


def test_healthz_head_has_headers_and_no_body(relay):
    with client(relay.base_url) as http:
        get = http.get("/healthz")
        head = http.head("/healthz")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"].split(";")[0] == "application/json"
    if "content-length" in head.headers:
        assert int(head.headers["content-length"]) == len(get.content)
    # On one raw socket: if the server sent a body after the HEAD response, h11 would read it as
    # the start of the next response and fail.
    sock = connect(relay.address)
    try:
        conn = h11.Connection(our_role=h11.CLIENT)
        sock.sendall(conn.send(h11.Request(method="HEAD", target="/healthz", headers=[("Host", "127.0.0.1")])))
        sock.sendall(conn.send(h11.EndOfMessage()))
        response = receive_response(sock, conn)
        assert response.status == 200 and response.body == b""
        next_cycle(conn)
        sock.sendall(conn.send(h11.Request(method="GET", target="/healthz", headers=[("Host", "127.0.0.1")])))
        sock.sendall(conn.send(h11.EndOfMessage()))
        response = receive_response(sock, conn)
        assert response.status == 200 and response.json()["status"] == "ok"
    finally:
        sock.close()


# ---------------------------------------------------------------------------------------------
# Static files and conditional requests


def test_index_page(base_url):
    with client(base_url) as http:
        response = http.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == "text/html"
    assert response.headers.get("etag")
    assert response.headers.get("last-modified")
    assert response.content == INDEX_HTML


def test_conditional_get_if_none_match(base_url):
    with client(base_url) as http:
        first = http.get("/")
        etag = first.headers["etag"]
        second = http.get("/", headers={"If-None-Match": etag})
    assert second.status_code == 304
    assert second.content == b""
    assert second.headers.get("etag") == etag


def test_conditional_get_if_modified_since(base_url):
    with client(base_url) as http:
        first = http.get("/")
        second = http.get("/", headers={"If-Modified-Since": first.headers["last-modified"]})
    assert second.status_code == 304
    assert second.content == b""


def test_conditional_get_with_stale_etag_gets_the_page(base_url):
    with client(base_url) as http:
        response = http.get("/", headers={"If-None-Match": '"not-the-etag"'})
    assert response.status_code == 200
    assert response.content == INDEX_HTML


# ---------------------------------------------------------------------------------------------
# Errors: 404, 405


def test_unknown_path_is_json_404(base_url):
    with client(base_url) as http:
        response = http.get("/no/such/path")
    assert_json_error(response.status_code, response.headers, response.content, 404, "not_found")


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_wrong_method_on_healthz_is_405_with_allow(base_url, method):
    with client(base_url) as http:
        response = http.request(method, "/healthz", content=b"{}" if method != "DELETE" else None)
    assert_json_error(response.status_code, response.headers, response.content, 405)
    assert response.headers.get("allow") == "GET, HEAD"


# ---------------------------------------------------------------------------------------------
# Keep-alive and pipelining


def test_httpx_client_reuses_one_connection(base_url):
    local_addresses = set()
    with client(base_url) as http:
        for path in ["/healthz", "/", "/healthz", "/missing", "/healthz"]:
            response = http.get(path)
            assert response.status_code in (200, 404)
            stream = response.extensions["network_stream"]
            local_addresses.add(stream.get_extra_info("client_addr"))
    assert len(local_addresses) == 1, f"httpx opened {len(local_addresses)} connections: {local_addresses}"


def test_keep_alive_on_one_socket_with_h11(relay):
    sock = connect(relay.address)
    try:
        conn = h11.Connection(our_role=h11.CLIENT)
        for i, (method, target, status) in enumerate([
            ("GET", "/healthz", 200), ("GET", "/", 200), ("HEAD", "/", 200),
            ("GET", "/nope", 404), ("POST", "/healthz", 405), ("GET", "/healthz", 200),
        ]):
            if i:
                next_cycle(conn)
            headers = [("Host", "127.0.0.1")]
            if method == "POST":
                headers.append(("Content-Length", "0"))
            sock.sendall(conn.send(h11.Request(method=method, target=target, headers=headers)))
            sock.sendall(conn.send(h11.EndOfMessage()))
            response = receive_response(sock, conn)
            assert response.status == status, (method, target, response)
            assert (response.header("connection") or "").lower() != "close", response
            if method == "HEAD":
                assert response.body == b""
    finally:
        sock.close()


def test_pipelined_requests_answered_in_order(relay):
    requests = [("GET", "/healthz"), ("HEAD", "/"), ("GET", "/pipelined-missing"), ("GET", "/")]
    data = b"".join(h11_request(method, target)[1] for method, target in requests)
    sock = connect(relay.address)
    try:
        sock.sendall(data)  # all requests in one write
        conn = h11.Connection(our_role=h11.CLIENT)
        responses = []
        for i, (method, target) in enumerate(requests):
            if i:
                next_cycle(conn)
            expect_cycle(conn, method, target)
            responses.append(receive_response(sock, conn))
    finally:
        sock.close()
    assert [r.status for r in responses] == [200, 200, 404, 200], responses
    assert responses[0].json()["status"] == "ok"
    assert responses[1].body == b"" and responses[1].header("content-type").startswith("text/html")
    assert responses[2].json()["error"]["code"] == "not_found"
    assert responses[3].body == INDEX_HTML


def test_three_pipelined_healthz_in_one_sendall(relay):
    data = b"".join(h11_request("GET", "/healthz")[1] for _ in range(3))
    sock = connect(relay.address)
    try:
        sock.sendall(data)
        conn = h11.Connection(our_role=h11.CLIENT)
        for i in range(3):
            if i:
                next_cycle(conn)
            expect_cycle(conn, "GET", "/healthz")
            response = receive_response(sock, conn)
            assert response.status == 200
            assert response.json()["status"] == "ok"
    finally:
        sock.close()


# ---------------------------------------------------------------------------------------------
# HTTP/1.0


@pytest.mark.parametrize("request_bytes", [
    b"GET /healthz HTTP/1.0\r\n\r\n",
    b"GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n",
], ids=["no-host", "with-host"])
def test_http10_gets_connection_close_and_the_server_closes(relay, request_bytes):
    response, sock, conn = raw_request(relay.address, request_bytes)
    try:
        assert response.status == 200
        assert response.json()["status"] == "ok"
        assert (response.header("connection") or "").lower() == "close", response
        assert response.header("transfer-encoding") is None, response
        assert read_until_eof(sock) == b""
    finally:
        sock.close()


# ---------------------------------------------------------------------------------------------
# Chunked request body


def test_chunked_post_with_httpx_gets_405(base_url):
    def body():
        yield b'{"prompt":'
        yield b'"hello"}'

    with client(base_url) as http:
        response = http.post("/healthz", content=body(), headers={"Content-Type": "application/json"})
        assert response.request.headers.get("transfer-encoding") == "chunked"
    assert_json_error(response.status_code, response.headers, response.content, 405)
    assert response.headers.get("allow") == "GET, HEAD"


def test_chunked_post_on_raw_socket_gets_405(relay):
    data = (b"POST /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
            b"Content-Type: application/json\r\n\r\n"
            b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
    response, sock, _ = raw_request(relay.address, data)
    sock.close()
    assert_json_error(response.status, response.headers, response.body, 405)
    assert response.header("allow") == "GET, HEAD"
    assert_still_serving(relay)


# ---------------------------------------------------------------------------------------------
# Malformed and oversize requests on raw sockets

H = b"Host: 127.0.0.1\r\n"
BAD_REQUESTS = {
    "cl-and-te": (b"POST /healthz HTTP/1.1\r\n" + H + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
                  b"0\r\n\r\n", 400),
    "duplicate-content-length": (b"POST /healthz HTTP/1.1\r\n" + H + b"Content-Length: 5\r\nContent-Length: 5\r\n\r\n"
                                 b"hello", 400),
    "obs-fold": (b"GET /healthz HTTP/1.1\r\n" + H + b"X-Folded: a\r\n  b\r\n\r\n", 400),
    "space-before-colon": (b"GET /healthz HTTP/1.1\r\n" + H + b"X-Spaced : v\r\n\r\n", 400),
    "bare-lf": (b"GET /healthz HTTP/1.1\nHost: 127.0.0.1\n\n", 400),
    "missing-host": (b"GET /healthz HTTP/1.1\r\nAccept: */*\r\n\r\n", 400),
    "te-gzip": (b"POST /healthz HTTP/1.1\r\n" + H + b"Transfer-Encoding: gzip\r\n\r\n", 501),
    "te-gzip-chunked": (b"POST /healthz HTTP/1.1\r\n" + H + b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501),
    "http-2.0": (b"GET /healthz HTTP/2.0\r\n" + H + b"\r\n", 505),
    "target-over-8k": (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n" + H + b"\r\n", 414),
    "header-over-16k": (b"GET /healthz HTTP/1.1\r\n" + H + b"X-Big: " + b"b" * (16 * 1024 + 100) + b"\r\n\r\n", 431),
    "101-header-fields": (b"GET /healthz HTTP/1.1\r\n" + H
                          + b"".join(b"X-F-%d: v\r\n" % i for i in range(100)) + b"\r\n", 431),
    "content-length-over-1mib": (b"POST /healthz HTTP/1.1\r\n" + H + b"Content-Length: 1048577\r\n\r\n", 413),
    "nul-in-header-value": (b"GET /healthz HTTP/1.1\r\n" + H + b"X-Nul: a\x00b\r\n\r\n", 400),
}


@pytest.mark.parametrize("name", list(BAD_REQUESTS))
def test_bad_request_is_rejected_and_server_keeps_serving(relay, name):
    data, expected = BAD_REQUESTS[name]
    sock = connect(relay.address)
    try:
        try:
            sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer and close before reading everything; read what it sent
        conn = h11.Connection(our_role=h11.CLIENT)
        response = receive_response(sock, conn)
        assert_json_error(response.status, response.headers, response.body, expected)
        # The rest of the stream cannot be trusted after a rejected request: the server closes.
        rest = read_until_eof(sock)
        assert rest == b"", f"unexpected bytes after the error response: {rest[:200]!r}"
    finally:
        sock.close()
    assert_still_serving(relay)


def test_101_fields_is_the_limit_not_100(relay):
    """Control for the 431 case: exactly 100 fields (Host + 99) is accepted."""
    data = (b"GET /healthz HTTP/1.1\r\n" + H + b"".join(b"X-F-%d: v\r\n" % i for i in range(99)) + b"\r\n")
    response, sock, _ = raw_request(relay.address, data)
    sock.close()
    assert response.status == 200, response


# ---------------------------------------------------------------------------------------------
# Slow clients


SLOW_CONFIG = {"http": {"header_read_timeout": 0.5, "body_read_timeout": 0.5}}


def test_slowloris_partial_head_gets_408_then_close(start_relay):
    relay = start_relay(SLOW_CONFIG)
    sock = connect(relay.address, timeout=10.0)
    try:
        started = time.monotonic()
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        conn = h11.Connection(our_role=h11.CLIENT)
        response = receive_response(sock, conn)  # blocks on the socket (10 s timeout)
        elapsed = time.monotonic() - started
        assert_json_error(response.status, response.headers, response.body, 408)
        assert read_until_eof(sock, timeout=10.0) == b""
        assert elapsed >= 0.3, f"408 after only {elapsed:.2f}s, before the 0.5s timeout"
        assert elapsed < 8.0, f"408 took {elapsed:.2f}s with a 0.5s header timeout"
    finally:
        sock.close()
    assert_still_serving(relay)


def test_slowloris_trickling_bytes_still_times_out(start_relay):
    """A client that keeps sending a byte every 100 ms never finishes its head: the header timeout
    bounds the whole head, not the gap between bytes."""
    relay = start_relay(SLOW_CONFIG)
    sock = connect(relay.address, timeout=10.0)
    try:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        started = time.monotonic()
        while time.monotonic() - started < 8.0:
            readable, _, _ = select.select([sock], [], [], 0.1)
            if readable:
                break
            try:
                sock.sendall(b"a")
            except (BrokenPipeError, ConnectionResetError):
                break
        else:
            pytest.fail("no answer within 8s while trickling header bytes (header_read_timeout is 0.5s)")
        conn = h11.Connection(our_role=h11.CLIENT)
        response = receive_response(sock, conn)
        assert_json_error(response.status, response.headers, response.body, 408)
        read_until_eof(sock, timeout=10.0)
    finally:
        sock.close()
    assert_still_serving(relay)


def test_slow_body_gets_408_then_close(start_relay):
    """A GET whose announced body never fully arrives is answered 408 after body_read_timeout."""
    relay = start_relay(SLOW_CONFIG)
    sock = connect(relay.address, timeout=10.0)
    try:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10\r\n\r\nhalf!")
        conn = h11.Connection(our_role=h11.CLIENT)
        response = receive_response(sock, conn)
        assert_json_error(response.status, response.headers, response.body, 408)
        assert read_until_eof(sock, timeout=10.0) == b""
    finally:
        sock.close()
    assert_still_serving(relay)


# ---------------------------------------------------------------------------------------------
# Many clients at once


def test_concurrent_clients(base_url):
    def worker(n):
        with client(base_url) as http:
            for _ in range(10):
                response = http.get("/healthz" if n % 2 else "/")
                assert response.status_code == 200
        return n

    with ThreadPoolExecutor(max_workers=20) as pool:
        assert sorted(pool.map(worker, range(20))) == list(range(20))


# ---------------------------------------------------------------------------------------------
# Path traversal (raw, byte-exact targets; curl_checks.sh repeats these with curl --path-as-is)

PACKAGE_SWIFT = (REPO_ROOT / "Package.swift").read_bytes()


@pytest.mark.parametrize("target", [
    b"/../Package.swift", b"/%2e%2e/Package.swift", b"/%2E%2E/Package.swift", b"/.gitignore",
    b"/..%2fPackage.swift", b"/Public/../../Package.swift", b"/%2e%2e%2fPackage.swift",
])
def test_path_traversal_and_dotfiles_are_404(relay, target):
    response, sock, _ = raw_request(relay.address, b"GET " + target + b" HTTP/1.1\r\n" + H + b"\r\n")
    sock.close()
    assert_json_error(response.status, response.headers, response.body, 404)
    assert b"PackageDescription" not in response.body and b"swift-tools-version" not in response.body
    assert b".build" not in response.body


# ---------------------------------------------------------------------------------------------
# curl


def test_curl_checks(relay):
    script = HERE / "curl_checks.sh"
    result = subprocess.run(["bash", str(script), relay.base_url], cwd=str(REPO_ROOT), env=relay_env(),
                            capture_output=True, text=True, timeout=40)
    assert result.returncode == 0, f"curl_checks.sh failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"


# ---------------------------------------------------------------------------------------------
# Signals


def test_no_thread_can_receive_and_lose_a_shutdown_signal(relay):
    assert threads_that_could_lose(relay.proc.pid) == []


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_stops_cleanly_with_idle_keep_alive_connection(start_relay, sig):
    relay = start_relay()
    address = relay.address
    sock = connect(address)
    try:
        conn = h11.Connection(our_role=h11.CLIENT)
        sock.sendall(conn.send(h11.Request(method="GET", target="/healthz", headers=[("Host", "127.0.0.1")])))
        sock.sendall(conn.send(h11.EndOfMessage()))
        response = receive_response(sock, conn)
        assert response.status == 200
        # The connection is now idle and kept alive.
        relay.stopped_by_fixture = True
        relay.send_signal(sig)
        try:
            rc = relay.wait(timeout=5.0)
        except subprocess.TimeoutExpired:
            pytest.fail(f"relay still running 5s after {sig.name}:\n{relay.log_tail()}")
        assert rc == 0, f"exit status {rc} after {sig.name}:\n{relay.log_tail()}"
        # The idle connection was closed by the server (EOF or reset, not a hang).
        read_until_eof(sock, timeout=5.0)
    finally:
        sock.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(address, timeout=2.0).close()


WRITE_SYSCALL = {"x86_64": 1, "aarch64": 64}.get(platform.machine())


def test_sigterm_while_announcing_the_listening_line_exits_cleanly(tmp_path):
    """SIGTERM must be a graceful shutdown (exit 0) as soon as the relay listens, including while it
    is still writing its "listening on" line (a supervisor may signal at any moment).

    Deterministic: stderr is a pipe we have filled up, so the relay's first log write blocks. The
    relay has bound its socket by then (the line names the bound port). We wait until the relay is
    blocked in write(2) on fd 2, send SIGTERM, then drain the pipe."""
    if WRITE_SYSCALL is None or not Path("/proc/self/syscall").exists():
        pytest.skip("needs Linux /proc/PID/syscall on x86_64 or aarch64")
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    try:
        while True:
            os.write(write_end, b"x" * 4096)
    except BlockingIOError:
        pass
    os.set_blocking(write_end, True)
    config = write_config(tmp_path, {})
    proc = subprocess.Popen([str(relay_binary()), "--host", "127.0.0.1", "--port", "0", "--config", str(config)],
                            cwd=str(REPO_ROOT), env=relay_env(), stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=write_end)
    os.close(write_end)
    drained = bytearray()
    try:
        deadline = time.monotonic() + 15.0
        blocked = False
        while time.monotonic() < deadline and proc.poll() is None and not blocked:
            for task in Path(f"/proc/{proc.pid}/task").glob("*"):
                try:
                    fields = (task / "syscall").read_text().split()
                except OSError:
                    continue
                if len(fields) > 1 and fields[0] == str(WRITE_SYSCALL) and int(fields[1], 16) == 2:
                    blocked = True
                    break
            else:
                time.sleep(0.01)
        assert blocked, f"relay never blocked writing its first log line (status {proc.poll()})"
        proc.send_signal(signal.SIGTERM)
        os.set_blocking(read_end, False)
        deadline = time.monotonic() + 10.0
        while time.monotonic() < deadline:
            try:
                chunk = os.read(read_end, 65536)
            except BlockingIOError:
                if proc.poll() is not None:
                    continue
                time.sleep(0.01)
                continue
            if not chunk:
                break
            drained += chunk
        rc = proc.wait(timeout=5.0)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
        os.close(read_end)
    log = bytes(drained).lstrip(b"x").decode("utf-8", "replace")
    assert "listening on http://127.0.0.1:" in log, log
    outcome = f"killed by signal {-rc}" if rc < 0 else f"exit {rc}"
    assert rc == 0, f"SIGTERM while the relay announced it was listening: {outcome}; its log:\n{log}"


# ---------------------------------------------------------------------------------------------
# Bad start-up


def run_relay_expecting_failure(tmp_path, args):
    result = subprocess.run([str(relay_binary()), *args], cwd=str(REPO_ROOT), env=relay_env(),
                            capture_output=True, text=True, timeout=15)
    return result


def test_unknown_config_key_is_a_startup_error(tmp_path):
    config = write_config(tmp_path, {"server": {"prot": 1}})
    result = run_relay_expecting_failure(tmp_path, ["--host", "127.0.0.1", "--port", "0", "--config", str(config)])
    assert result.returncode != 0, f"started with an unknown key:\n{result.stderr}"
    assert "server.prot" in result.stderr, result.stderr
    assert "listening on" not in result.stderr


def test_port_out_of_range_is_a_startup_error(tmp_path):
    config = write_config(tmp_path, {})
    result = run_relay_expecting_failure(tmp_path, ["--host", "127.0.0.1", "--port", "70000", "--config", str(config)])
    assert result.returncode != 0, f"started with --port 70000:\n{result.stderr}"
    assert "listening on" not in result.stderr
