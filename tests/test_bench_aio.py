"""The asyncio-loop benchmark programs (benchmarks/aio_*.py), small, on fdevent.aio: each runs
on either core, reports the core it loaded, and refuses to run as a core it was not asked for
(a served benchmark's figures come from its load generator, so the server itself must check).
The figures are not checked here, only that the programs measure what they say."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from support import ROOT
from support.programs import RUN_TIMEOUT, env_for

BENCH = ROOT / "benchmarks"


def run(pure: bool, script: str, *args: str) -> tuple[int, dict[str, Any] | None, str]:
    """Run benchmarks/SCRIPT on fdevent.aio (the core ``pure`` chooses, asked for by --core)."""
    core = "pure" if pure else "compiled"
    argv = [sys.executable, str(BENCH / script), "--loop", "fdevent", "--core", core, *args]
    proc = subprocess.run(
        argv, env=env_for(pure), cwd=BENCH, capture_output=True, text=True, timeout=RUN_TIMEOUT
    )
    lines = [x for x in proc.stdout.splitlines() if x.startswith("{")]
    return proc.returncode, json.loads(lines[-1]) if lines else None, proc.stderr


def test_calls_run_every_callback_and_report_the_core(pure: bool) -> None:
    for method in ("soon", "later"):
        rc, res, err = run(pure, "aio_calls.py", "--method", method, "--count", "2000")
        assert rc == 0 and res is not None, err
        core = "pure" if pure else "compiled"
        assert res["impl"] == f"aio-{core}" and res["core"] == core, res
        assert res["count"] == 2000 and res["ns_per_call"] > 0, res


def test_lateness_finds_no_early_call_at(pure: bool) -> None:
    rc, res, err = run(pure, "aio_lateness.py", "--count", "300", "--span", "0.3")
    assert rc == 0 and res is not None, err
    assert res["count"] == 300 and res["early"] == 0 and res["min_ms"] >= 0.0, res


def test_lateness_split_is_a_partition_of_the_lateness(pure: bool) -> None:
    # --split: on-CPU and off-CPU lateness, each never negative for a timer that ran late
    # and never more than the lateness itself; the worst 1% shares add up to at most all.
    rc, res, err = run(pure, "aio_lateness.py", "--count", "300", "--span", "0.3", "--split")
    assert rc == 0 and res is not None, err
    assert res["early"] == 0, res
    assert 0.0 <= res["on_cpu_p99_ms"] <= res["max_ms"], res
    assert 0.0 <= res["off_cpu_p99_ms"] <= res["max_ms"], res
    assert 0.0 <= res["off_cpu_share_worst1pct"] <= 1.0, res


def test_a_program_refuses_the_core_it_was_not_asked_for(pure: bool) -> None:
    other = "compiled" if pure else "pure"
    argv = [sys.executable, str(BENCH / "aio_calls.py"), "--loop", "fdevent", "--core", other]
    proc = subprocess.run(
        [*argv, "--count", "100"],
        env=env_for(pure),
        cwd=BENCH,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
    )
    assert proc.returncode != 0 and not proc.stdout.strip()
    assert f"not the {other} one asked for" in proc.stderr
