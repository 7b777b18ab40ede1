"""Config/spark-relay.service, checked with systemd's own tools (no running systemd is needed):
`systemd-analyze verify` in a scratch root that holds the release binary at the unit's ExecStart
path, `systemd-analyze security --offline=true` rating the exposure 2.5 or lower, the settings the
README promises, the relay started exactly as the unit starts it (its working directory and
command line, under a scratch root), and the relay starting when the rlimit system calls fail with
EPERM (what `SystemCallErrorNumber=EPERM` does to a filtered call)."""

from __future__ import annotations

import ctypes
import json
import os
import platform
import re
import shlex
import shutil
import struct
import subprocess
from pathlib import Path

import httpx
import pytest

from relay_harness import REPO_ROOT, RelayProcess, relay_binary

UNIT = REPO_ROOT / "Config" / "spark-relay.service"
SYSTEM_UNITS = Path("/usr/lib/systemd/system")
MAX_EXPOSURE = 2.5


def systemd_analyze() -> str:
    path = shutil.which("systemd-analyze")
    if path is None:
        message = "systemd-analyze is missing (Debian package systemd; Tests/EndToEnd/run.sh installs it as root)"
        if os.geteuid() == 0:
            pytest.fail(message)
        pytest.skip(message)
    return path


def unit_settings() -> dict:
    """Section.Key -> list of values, in file order."""
    settings: dict = {}
    section = ""
    for raw in UNIT.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        settings.setdefault(f"{section}.{key.strip()}", []).append(value.strip())
    return settings


def one(settings: dict, key: str) -> str:
    values = settings.get(key)
    assert values, f"{UNIT.name} has no {key}"
    return values[-1]


def seconds(value: str) -> float:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(s|sec|min|m)?", value)
    assert match, value
    return float(match.group(1)) * (60 if match.group(2) in ("min", "m") else 1)


def test_unit_has_the_promised_settings():
    settings = unit_settings()
    assert one(settings, "Service.DynamicUser") == "yes" or one(settings, "Service.User")
    assert one(settings, "Service.WorkingDirectory").startswith("/")
    assert one(settings, "Service.EnvironmentFile").startswith("/etc/spark-relay/")
    assert int(one(settings, "Service.LimitNOFILE")) >= 32768
    assert one(settings, "Service.Restart") == "on-failure"
    drain = json.loads((REPO_ROOT / "Config" / "relay.json").read_text())["server"]["drain_timeout"]
    assert seconds(one(settings, "Service.TimeoutStopSec")) > drain
    if "Service.SystemCallFilter" in settings:
        assert one(settings, "Service.SystemCallErrorNumber") == "EPERM"
    command = shlex.split(one(settings, "Service.ExecStart"))
    assert command[0] == "/usr/local/bin/spark-relay" and "--config" in command
    assert not any(word.startswith("SPARK_") for word in command), "credentials belong in the EnvironmentFile"


def scratch_root(tmp_path: Path) -> Path:
    """A file system root with systemd's own units, the unit, and the relay at its ExecStart path."""
    root = tmp_path / "root"
    shutil.copytree(SYSTEM_UNITS, root / SYSTEM_UNITS.relative_to("/"), symlinks=True)
    (root / "etc/systemd/system").mkdir(parents=True)
    shutil.copy(UNIT, root / "etc/systemd/system" / UNIT.name)
    executable = shlex.split(one(unit_settings(), "Service.ExecStart"))[0]
    target = root / executable.lstrip("/")
    target.parent.mkdir(parents=True)
    shutil.copy(relay_binary(), target)
    return root


def test_unit_verifies(tmp_path):
    analyze = systemd_analyze()
    root = scratch_root(tmp_path)
    result = subprocess.run([analyze, "verify", f"--root={root}", f"/etc/systemd/system/{UNIT.name}"],
                            capture_output=True, text=True, timeout=60)
    output = (result.stdout + result.stderr).strip()
    # verify exits 0 on unknown keys and bad values too: any message about the unit is a failure.
    assert result.returncode == 0 and UNIT.name not in output and "spark-relay" not in output, output

    # The check can fail: the same unit with a misspelt key is reported.
    broken = root / "etc/systemd/system" / UNIT.name
    broken.write_text(broken.read_text().replace("Restart=on-failure", "Restrat=on-failure"))
    result = subprocess.run([analyze, "verify", f"--root={root}", f"/etc/systemd/system/{UNIT.name}"],
                            capture_output=True, text=True, timeout=60)
    assert "Restrat" in result.stdout + result.stderr


def test_unit_security_exposure_is_at_most_2_5():
    analyze = systemd_analyze()
    result = subprocess.run([analyze, "security", "--offline=true", "--no-pager", str(UNIT)],
                            capture_output=True, text=True, timeout=60)
    match = re.search(r"Overall exposure level for spark-relay\.service: (\d+(?:\.\d+)?)", result.stdout)
    assert match, result.stdout + result.stderr
    exposure = float(match.group(1))
    assert exposure <= MAX_EXPOSURE, f"exposure {exposure} > {MAX_EXPOSURE}:\n{result.stdout}"


def test_relay_starts_as_the_unit_starts_it(tmp_path):
    """ExecStart's command line (paths moved under a scratch root, --port 0 added by the harness)
    in the unit's WorkingDirectory, with the shipped config and Public/ installed as the README says."""
    settings = unit_settings()
    root = tmp_path / "root"
    command = shlex.split(one(settings, "Service.ExecStart"))
    config = Path(command[command.index("--config") + 1])
    workdir = root / one(settings, "Service.WorkingDirectory").lstrip("/")
    shutil.copytree(REPO_ROOT / "Public", workdir / "Public")
    (root / config.parent.relative_to("/")).mkdir(parents=True)
    shipped = json.loads((REPO_ROOT / "Config" / "relay.json").read_text())
    shipped["log"]["access_log"] = False
    (root / config.relative_to("/")).write_text(json.dumps(shipped))
    # The unit's arguments, with the config path moved under the scratch root; the harness puts
    # --host 127.0.0.1 --port 0 in front.
    arguments = tuple(str(root / config.relative_to("/")) if word == str(config) else word for word in command[1:])
    relay = RelayProcess(None, arguments, cwd=workdir)
    try:
        relay.wait_listening()
        text = "\n".join(relay.wait_for_lines(3))
        assert f"config file {root}{config}" in text, text
        assert f"serving {workdir}/Public at /" in text, text
        response = httpx.get(relay.base_url + "/", timeout=10)
        assert response.status_code == 200 and "<title>spark-relay" in response.text
        relay.stop_and_check()
    finally:
        relay.kill()


# ---------------------------------------------------------------------------------------------
# A seccomp filter like systemd's: the rlimit calls fail with EPERM, everything else is allowed.

_SYSCALLS = {  # (AUDIT_ARCH, setrlimit, prlimit64)
    "x86_64": (0xC000003E, 160, 302),
    "aarch64": (0xC00000B7, 164, 261),
}


def _deny_rlimit_calls() -> None:
    arch, setrlimit, prlimit64 = _SYSCALLS[platform.machine()]
    ld_abs, jeq, ret = 0x20, 0x15, 0x06
    allow, errno_eperm = 0x7FFF0000, 0x00050000 | 1
    program = [
        (ld_abs, 0, 0, 4),          # seccomp_data.arch
        (jeq, 1, 0, arch),
        (ret, 0, 0, allow),         # another ABI: leave it alone
        (ld_abs, 0, 0, 0),          # seccomp_data.nr
        (jeq, 2, 0, setrlimit),
        (jeq, 1, 0, prlimit64),
        (ret, 0, 0, allow),
        (ret, 0, 0, errno_eperm),
    ]
    raw = ctypes.create_string_buffer(b"".join(struct.pack("HBBI", *op) for op in program))

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    libc = ctypes.CDLL(None, use_errno=True)
    fprog = SockFprog(len(program), ctypes.cast(raw, ctypes.c_void_p))
    PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 or \
            libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        os._exit(97)


def test_relay_starts_when_rlimit_calls_fail_with_eperm(tmp_path):
    if platform.machine() not in _SYSCALLS:
        pytest.skip(f"no syscall numbers for {platform.machine()}")
    # The filter works: Python's own setrlimit gets EPERM under it.
    probe = subprocess.run(
        ["python3", "-c", "import resource,sys\ntry: resource.setrlimit(resource.RLIMIT_NOFILE, resource.getrlimit(resource.RLIMIT_NOFILE))\n"
         "except PermissionError: sys.exit(0)\nsys.exit(1)"], preexec_fn=_deny_rlimit_calls, timeout=30)
    assert probe.returncode == 0, "the seccomp filter did not refuse the rlimit calls"
    config = tmp_path / "relay.json"
    config.write_text(json.dumps({"upstream": {"simulator_chunk_delay": 0}}))
    relay = RelayProcess(config, preexec_fn=_deny_rlimit_calls)
    try:
        relay.wait_listening()
        with httpx.Client(base_url=relay.base_url, timeout=10) as client:
            assert client.get("/healthz").status_code == 200
            answer = client.post("/chat/stream", json={"prompt": "still works [[chunks:2]]"})
            assert answer.status_code == 200 and "event: done" in answer.text
        relay.stop_and_check()
    finally:
        relay.kill()
