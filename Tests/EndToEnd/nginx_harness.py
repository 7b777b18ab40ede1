"""Harness for the nginx end-to-end tests: run a real nginx (Debian's `nginx` package) with the
project's own `nginx/` configuration in front of a relay.

The instance is self-contained under one directory: `nginx -p DIR -e DIR/error.log -c
DIR/nginx.conf -g "daemon off;"`, with pid, logs and temp files under DIR, run as a child process
of the test. DIR/nginx.conf is the project's nginx/nginx.conf with only these rewrites:

- `listen 8081;`                       -> `listen 127.0.0.1:<free port>;`
- `include upstream.conf;`             -> DIR/upstream.conf: the project's upstream.conf with
                                          `server 127.0.0.1:8080` pointed at the relay under test
- `include spark-relay.conf;`          -> the project's nginx/spark-relay.conf, unchanged (absolute path)
- `pid`, `error_log`, `access_log`     -> files under DIR
- `user ...;`                          -> `user root;` when the tests run as root (workers must
                                          read DIR), dropped otherwise (nginx runs as the current user)
- temp paths (client body, proxy, ...) -> DIR/tmp/*, inserted at the top of `http { }`

Each rewrite must match exactly once, so a change to the shipped config that would make the
tests silently test something else fails loudly instead.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Optional

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
NGINX_DIR = REPO_ROOT / "nginx"
DEFAULT_NGINX = "/usr/sbin/nginx"
STARTUP_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0
INSTALL_HINT = ("bash Tests/EndToEnd/run.sh installs it as root "
                "(apt-get install -y nginx chromium chromium-driver)")


def require_executable(path: str, package: str) -> str:
    """Returns `path` when it is an executable. Otherwise skips the test when we are not root
    (nothing can be installed), and fails it when we are root (run.sh installs it: in CI these
    tests must run, never be skipped)."""
    if os.path.isfile(path) and os.access(path, os.X_OK):
        return path
    message = f"{path} not found (Debian package `{package}`); {INSTALL_HINT}"
    if os.geteuid() == 0:
        pytest.fail(message)
    pytest.skip(message + " — not root, cannot install it here")
    raise AssertionError("unreachable")


def nginx_binary() -> str:
    return require_executable(os.environ.get("NGINX_BIN", DEFAULT_NGINX), "nginx")


def free_port() -> int:
    """A currently free TCP port on 127.0.0.1 (bound and released; the race is acceptable here)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _replace_once(pattern: str, replacement: str, text: str, what: str, flags: int = re.M) -> str:
    """Replaces the one match of `pattern` (whose group 1, when present, is kept: indentation)."""
    def substitute(match: re.Match) -> str:
        return (match.group(1) if match.re.groups else "") + replacement
    new, count = re.subn(pattern, substitute, text, flags=flags)
    if count != 1:
        raise AssertionError(f"nginx/{what}: expected exactly one match of {pattern!r}, found {count}")
    return new


def render_config(directory: Path, upstream: tuple, listen_port: int) -> Path:
    """Writes DIR/nginx.conf and DIR/upstream.conf from the project's nginx/ files."""
    host, port = upstream
    (directory / "tmp").mkdir(parents=True, exist_ok=True)

    upstream_conf = (NGINX_DIR / "upstream.conf").read_text()
    upstream_conf = _replace_once(r"server\s+127\.0\.0\.1:8080\b", f"server {host}:{port}",
                                  upstream_conf, "upstream.conf")
    (directory / "upstream.conf").write_text(upstream_conf)

    conf = (NGINX_DIR / "nginx.conf").read_text()
    conf = _replace_once(r"^([ \t]*)listen\s+(?:[0-9.]+:)?8081\s*;", f"listen 127.0.0.1:{listen_port};",
                         conf, "nginx.conf")
    conf = _replace_once(r"^([ \t]*)include\s+upstream\.conf\s*;", f"include {directory / 'upstream.conf'};",
                         conf, "nginx.conf")
    # The server block's include (the commented-out TLS block's line starts with `#`: no match).
    conf = _replace_once(r"^([ \t]*)include\s+spark-relay\.conf\s*;",
                         f"include {NGINX_DIR / 'spark-relay.conf'};", conf, "nginx.conf")
    conf = _replace_once(r"^([ \t]*)pid\s+[^;]+;", f"pid {directory / 'nginx.pid'};", conf, "nginx.conf")
    conf = _replace_once(r"^([ \t]*)error_log\s+[^\s;]+", f"error_log {directory / 'error.log'}", conf, "nginx.conf")
    conf = _replace_once(r"^([ \t]*)access_log\s+(?!off\b)[^\s;]+", f"access_log {directory / 'access.log'}",
                         conf, "nginx.conf")
    user = "user root;" if os.geteuid() == 0 else "# user: nginx runs as the current user"
    conf = _replace_once(r"^([ \t]*)user\s+[^;]+;", user, conf, "nginx.conf")
    temp_paths = "".join(
        f"\n    {name}_temp_path {directory / 'tmp' / name};"
        for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    conf = _replace_once(r"^http\s*\{", "http {" + temp_paths, conf, "nginx.conf")
    path = directory / "nginx.conf"
    path.write_text(conf)
    return path


class NginxProcess:
    """One nginx master (plus workers) in the foreground, as a child of the test process."""

    def __init__(self, directory: Path, upstream: tuple, listen_port: Optional[int] = None):
        self.binary = nginx_binary()
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = listen_port or free_port()
        self.config = render_config(self.directory, upstream, self.port)
        self.base_args = [self.binary, "-p", str(self.directory), "-e", str(self.directory / "error.log"),
                          "-c", str(self.config)]
        self.proc: Optional[subprocess.Popen] = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "NginxProcess":
        check = subprocess.run(self.base_args + ["-t", "-q"], capture_output=True, text=True, timeout=30)
        if check.returncode != 0:
            raise AssertionError(f"nginx -t rejected the generated config {self.config}:\n{check.stderr}\n"
                                 f"--- config ---\n{self.config.read_text()}")
        self.proc = subprocess.Popen(self.base_args + ["-g", "daemon off;"],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"nginx exited with status {self.proc.returncode}:\n{self.error_log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.05)
        self.kill()
        raise AssertionError(f"nginx did not listen on 127.0.0.1:{self.port} within {STARTUP_TIMEOUT}s:\n"
                             f"{self.error_log()}")

    def stop(self) -> None:
        """`nginx -s stop` (SIGTERM via the pid file); kills the master if that fails."""
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            subprocess.run(self.base_args + ["-s", "stop"], capture_output=True, timeout=STOP_TIMEOUT)
            self.proc.wait(STOP_TIMEOUT)
        except (subprocess.TimeoutExpired, OSError):
            self.kill()

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def error_log(self) -> str:
        path = self.directory / "error.log"
        return path.read_text(errors="replace") if path.exists() else "(no error.log)"

    def access_log(self) -> str:
        path = self.directory / "access.log"
        return path.read_text(errors="replace") if path.exists() else ""


def start_nginx(directory: Path, upstream: tuple) -> NginxProcess:
    """Starts nginx in front of `upstream` (host, port); the caller stops it (`stop()`)."""
    nginx = NginxProcess(directory, upstream)
    try:
        return nginx.start()
    except BaseException:
        nginx.kill()
        raise
