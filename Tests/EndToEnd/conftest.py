"""Fixtures for the end-to-end tests (the harness itself is in relay_harness.py)."""

from __future__ import annotations

import os
import subprocess
import time
from typing import Iterator, Optional

import pytest

from relay_harness import RelayProcess, write_config

# relay_harness hands relays the environment without the WebSocket credentials; the HTTP protocol's
# APIPassword must not reach them either (a developer's real one would send tests to Spark).
# Tests that want one pass it explicitly.
os.environ.pop("SPARK_API_PASSWORD", None)


@pytest.fixture
def start_relay(tmp_path) -> Iterator:
    """Factory: `start_relay({"http": {...}})` starts a relay with that config and returns it.
    Every relay started here is checked (not crashed, clean SIGTERM exit) and stopped at teardown."""
    started: list[RelayProcess] = []
    counter = [0]

    def factory(config: Optional[dict] = None, extra_args: tuple = (), env: Optional[dict] = None,
                preexec_fn=None) -> RelayProcess:
        counter[0] += 1
        path = write_config(tmp_path, config, f"relay-{counter[0]}.json")
        relay = RelayProcess(path, extra_args, env=env, preexec_fn=preexec_fn)
        started.append(relay)
        relay.wait_listening()
        return relay

    yield factory
    errors = []
    for relay in started:
        try:
            relay.stop_and_check()
        except BaseException as exc:  # pytest.fail raises an OutcomeException
            errors.append(str(exc))
        finally:
            relay.kill()
    if errors:
        pytest.fail("\n\n".join(errors))


@pytest.fixture(scope="session")
def _shared_relay(tmp_path_factory) -> Iterator[RelayProcess]:
    directory = tmp_path_factory.mktemp("relay")
    # Default limits (the contract's numbers), a short header timeout so that nothing waits long.
    path = write_config(directory, {"http": {"header_read_timeout": 5}})
    relay = RelayProcess(path)
    try:
        relay.wait_listening()
        yield relay
        relay.stop_and_check()
    finally:
        relay.kill()


@pytest.fixture
def relay(_shared_relay) -> Iterator[RelayProcess]:
    """The shared relay (default limits); each test fails if the relay died during it."""
    if not _shared_relay.alive():
        pytest.fail(f"shared relay is not running (status {_shared_relay.proc.returncode}):\n{_shared_relay.log_tail()}")
    yield _shared_relay
    if not _shared_relay.alive():
        time.sleep(0.1)
        pytest.fail(f"relay died during this test (status {_shared_relay.proc.returncode}):\n{_shared_relay.log_tail()}")


@pytest.fixture
def base_url(relay) -> str:
    return relay.base_url


@pytest.fixture
def certificates(tmp_path):
    """A throw-away CA (`ca.pem`) and a server certificate for 127.0.0.1 and localhost
    (`server.pem`, `server.key`) in `tmp_path`, made with the openssl CLI."""
    (tmp_path / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    def ossl(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=tmp_path)
    ossl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=e2e CA")
    ossl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost")
    ossl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
         "-out", "server.pem", "-days", "2", "-extfile", "san.ext")
    return tmp_path
