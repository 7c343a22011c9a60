"""Issue 14's TLS churn, short: TLS connections opened, used and closed one after another
against an asyncio TLS echo server on ``fdevent.aio`` (benchmarks/aio_tls_churn.py, whose
server is a subprocess, so its RSS and fds are its own): every echo right, no fd left in the
server at any checkpoint, RSS flat after warm-up. benchmarks/aio_tls_churn.py run by hand is
the long version (20,000 connections; RESULTS.md).

Both cores, on the default backend (each case is a few seconds of handshakes; the loop's
readiness paths on every backend are tested by test_soak.py and the conformance tests).
"""

from __future__ import annotations

import json
import subprocess
import sys

from support import ROOT
from support.programs import env_for

BENCH = ROOT / "benchmarks"
CONNS = 2000
WARMUP = 200
#: Bytes per connection the server's RSS may grow after the warm-up (the median over the
#: intervals between samples, see the script): generous. A flat server measures 0-250; a
#: server that keeps each closed connection (its StreamWriter, so the transport, protocol and
#: SSL object) measures some 1,400.
MAX_GROWTH = 768
#: Seconds the whole run may take: generous (a few seconds on a quiet machine).
TIMEOUT = 180


def test_tls_churn_on_fdevent_aio_keeps_rss_flat_and_leaves_no_fd(pure: bool) -> None:
    core = "pure" if pure else "compiled"
    argv = [sys.executable, str(BENCH / "aio_tls_churn.py"), "--loop", "fdevent", "--core", core]
    argv += ["--conns", str(CONNS), "--warmup", str(WARMUP), "--max-growth", str(MAX_GROWTH)]
    argv += ["--max-seconds", str(TIMEOUT - 30)]
    proc = subprocess.run(
        argv, env=env_for(pure), cwd=BENCH, capture_output=True, text=True, timeout=TIMEOUT
    )
    lines = [x for x in proc.stdout.splitlines() if x.startswith("{")]
    assert lines, proc.stderr
    res = json.loads(lines[-1])
    assert res["impl"] == f"aio-{core}", res
    assert res["done"] == CONNS and res["errors"] == [] and res["server_stderr"] == [], res
    # Sampled after the warm-up and at every tenth, each with no connection open.
    assert [n for n, _ in res["server_rss_kib"]] == list(range(WARMUP, CONNS + 1, 200)), res
    assert all(fds == res["server_fds_before"] for _, fds in res["server_fds"]), res
    assert res["rss_growth_bytes_per_conn"] <= MAX_GROWTH, res
    assert proc.returncode == 0, proc.stderr
