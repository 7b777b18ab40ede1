"""Start-up from anywhere: the log names the config file loaded (absolute) or says that built-in
defaults apply, and names the absolute directory served at `/`; a missing public directory is a
warning saying that `/` will answer 404 and which setting to change. The first line stays the
listening line.

Resolution rule (README, "Configuration"): --config FILE, else ./Config/relay.json, else
/etc/spark-relay/relay.json, else built-in defaults; relative paths resolve against the working
directory.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import httpx
import pytest

from relay_harness import REPO_ROOT, RelayProcess

SYSTEM_CONFIG = Path("/etc/spark-relay/relay.json")


@pytest.fixture
def run_relay():
    started: list[RelayProcess] = []

    def factory(config, cwd: Path, extra_args: tuple = ()) -> RelayProcess:
        relay = RelayProcess(config, extra_args, cwd=cwd)
        started.append(relay)
        relay.wait_listening()
        return relay

    yield factory
    try:
        for relay in started:
            relay.stop_and_check()
    finally:
        for relay in started:
            relay.kill()


def startup_lines(relay: RelayProcess, count: int) -> list[str]:
    """The first `count` stderr lines."""
    return relay.wait_for_lines(count)


def test_from_an_empty_directory_the_log_says_what_happened(run_relay, tmp_path):
    if SYSTEM_CONFIG.exists():
        pytest.skip(f"{SYSTEM_CONFIG} exists on this machine: the relay would (rightly) load it")
    empty = tmp_path / "empty"
    empty.mkdir()
    relay = run_relay(None, empty)
    first, config, public = startup_lines(relay, 3)
    assert "listening on http://127.0.0.1:" in first, first
    assert f"no config file found (looked for {empty}/Config/relay.json and {SYSTEM_CONFIG})" in config, config
    assert "built-in defaults apply" in config, config
    assert " warning " in public, public
    assert f"public directory {empty}/Public does not exist" in public, public
    assert "/ and every static file will answer 404" in public and "server.public_dir" in public, public
    response = httpx.get(relay.base_url + "/", timeout=10)
    assert response.status_code == 404
    assert httpx.get(relay.base_url + "/healthz", timeout=10).status_code == 200


def test_from_the_repository_root_the_repository_config_and_page_are_used(run_relay):
    """What `swift run spark-relay` does: ./Config/relay.json and ./Public."""
    relay = run_relay(None, REPO_ROOT)
    first, config, public = startup_lines(relay, 3)
    assert "listening on http://127.0.0.1:" in first, first
    assert config.endswith(f"config file {REPO_ROOT}/Config/relay.json config.file={REPO_ROOT}/Config/relay.json"), config
    assert f"serving {REPO_ROOT}/Public at /" in public and " notice " in public, public
    response = httpx.get(relay.base_url + "/", timeout=10)
    assert response.status_code == 200 and "<title>spark-relay" in response.text


def test_installed_layout_with_a_relative_config_path(run_relay, tmp_path):
    """An installed relay: config in etc/, the page in share/ (the working directory), `--config`
    given relative to it. Both are logged as absolute paths and `/` serves the page."""
    etc, share = tmp_path / "etc", tmp_path / "share"
    etc.mkdir()
    shutil.copytree(REPO_ROOT / "Public", share / "Public")
    (etc / "relay.json").write_text(json.dumps({"server": {"public_dir": "Public"}, "log": {"access_log": False}}))
    relay = run_relay(Path("../etc/relay.json"), share)
    _first, config, public = startup_lines(relay, 3)
    assert f"config file {etc}/relay.json" in config, config
    assert f"serving {share}/Public at /" in public, public
    response = httpx.get(relay.base_url + "/", timeout=10)
    assert response.status_code == 200 and "<title>spark-relay" in response.text


def test_public_directory_without_index_is_a_warning(run_relay, tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "other.html").write_text("<p>hi</p>")
    config = tmp_path / "relay.json"
    config.write_text(json.dumps({"server": {"public_dir": str(site)}}))
    relay = run_relay(config, tmp_path)
    _first, _config, public = startup_lines(relay, 3)
    assert f"public directory {site} has no index.html: / will answer 404" in public, public
    assert "relative to" not in public
    assert httpx.get(relay.base_url + "/", timeout=10).status_code == 404
    assert httpx.get(relay.base_url + "/other.html", timeout=10).status_code == 200


def test_a_missing_explicit_config_file_is_an_error_naming_it(tmp_path):
    missing = tmp_path / "nope.json"
    relay = RelayProcess(Path("nope.json"), cwd=tmp_path)
    try:
        status = relay.wait(10)
    finally:
        relay.kill()
    assert status != 0
    assert f"cannot read config file '{missing}'" in relay.log_text(), relay.log_text()
