"""Smoke test of the outside performance harness (Tests/Performance/outside_harness.py): its quick
mode on $SPARK_RELAY_BIN, through real nginx with the project's config, to the independent
`websockets` Spark peer. Correctness only: every stream checked chunk by chunk, and the JSON holds
every figure the full run reports (no timing is judged here)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from nginx_harness import nginx_binary
from relay_harness import REPO_ROOT, relay_binary

HARNESS = REPO_ROOT / "Tests" / "Performance" / "outside_harness.py"
FIGURES = ("paced_short_per_chunk", "paced_long_per_chunk", "per_chunk_without_stream_part", "per_stream")


def test_quick_run_checks_every_stream_and_writes_every_figure(tmp_path: Path) -> None:
    nginx_binary()  # fails (root) or skips (not root) with the install hint when nginx is missing
    out = tmp_path / "outside.json"
    env = {**os.environ, "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"}
    done = subprocess.run([sys.executable, str(HARNESS), "--quick", "--relay", str(relay_binary()), "--json", str(out)],
                          capture_output=True, text=True, timeout=180, env=env, cwd=str(REPO_ROOT))
    assert done.returncode == 0, f"harness exited {done.returncode}\n{done.stdout}\n{done.stderr}"
    report = json.loads(out.read_text())

    assert report["quick"] is True
    assert report["all_streams_correct"] is True
    batches = report["batches"]
    assert [b["shape"] for b in batches] == ["paced-short", "paced-long", "per-stream"]
    for batch in batches:
        assert batch["problems"] == [], batch
        assert batch["clean_streams"] == batch["streams"], batch
        assert batch["chunks"] == batch["streams"] * batch["chunks_per_stream"], batch
        assert batch["nginx_workers"] >= 1
        # Both processes worked on every batch, by the fine clock.
        assert batch["relay_sched_seconds"] > 0 and batch["nginx_sched_seconds"] > 0, batch
    for name in FIGURES:
        for clock in ("ticks", "sched"):
            runs = report["figures"][name][clock]["runs"]
            assert len(runs) == 1 and set(runs[0]) == {"run", "relay_us", "nginx_us", "ratio"}, (name, clock, runs)

    # A quick run reports correctness only: no goal verdicts.
    assert "goals" not in done.stdout and "[met]" not in done.stdout and "[MISSED]" not in done.stdout
    assert "correctness:" in done.stdout
