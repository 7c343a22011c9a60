"""Load generators: what drives a served benchmark's server, and the figures per request.

Each is called with the server ready on 127.0.0.1:port (loopback only) and returns one result
dict. The load generator runs pinned to the load CPU, the server to the other one, so the
server's CPU time per request is its own. The server's CPU time comes from /proc/PID/stat
(1/CLK_TCK resolution): echoload reads it itself at the ends of its measured window; around
wrk, the runner reads it before and after.
"""

import shutil
import time

from harness import procs
from harness.procs import BenchError


def echoload(setup, sizes, params, port, server_pid):
    """benchmarks/echoload.c: C connections, one request of SIZE bytes in flight on each, every
    byte verified; a warm-up, then the measured window."""
    load = [
        setup.exe("echoload"),
        *("--port", port, "--conns", params["conns"], "--size", params["size"]),
        *("--warmup", sizes["warmup"], "--duration", sizes["duration"]),
        *("--server-pid", server_pid, "--stall", 5),
    ]
    res = procs.run_json(
        setup.pins.load([str(a) for a in load]), None, sizes["warmup"] + sizes["duration"] + 30
    )
    if "server_user_s" not in res:
        raise BenchError("could not read the server's CPU times")
    n = max(res["requests"], 1)
    user, sys_ = res["server_user_s"], res["server_sys_s"]
    res["cpu_user_us_per_req"] = user * 1e6 / n
    res["cpu_sys_us_per_req"] = sys_ * 1e6 / n
    res["cpu_us_per_req"] = (user + sys_) * 1e6 / n
    res["server_cpu_util"] = (user + sys_) / res["seconds"]
    client = res["client_user_s"] + res["client_sys_s"]
    res["client_cpu_util"] = client / res["seconds"]
    res["server_minflt_per_req"] = res.get("server_minflt", 0) / n
    if "machine_busy_s" in res:  # everything else running on the machine meanwhile
        other = res["machine_busy_s"] - user - sys_ - client
        res["other_cpu_util"] = max(0.0, other) / res["seconds"]
    return res


def wrk(setup, sizes, params, port, server_pid):
    """wrk (a third-party HTTP client): one thread, N keep-alive connections."""
    exe = shutil.which("wrk")
    if not exe:
        raise BenchError("wrk is not installed (apt-get install wrk)")
    before = procs.proc_cpu(server_pid)
    t0 = time.monotonic()
    load = [
        exe,
        "-t1",
        f"-c{params['conns']}",
        f"-d{max(1, round(sizes['duration']))}s",
        "--latency",
        f"http://127.0.0.1:{port}/",
    ]
    rc, out, err = procs.run_cmd(setup.pins.load(load), timeout=sizes["timeout"])
    seconds = time.monotonic() - t0
    after = procs.proc_cpu(server_pid)
    if rc != 0:
        raise BenchError(f"wrk failed: {err.strip()[-200:]}")
    res = parse_wrk(out)
    if not res.get("requests"):
        raise BenchError(f"could not read wrk's output: {out[-300:]!r}")
    if res.get("errors"):
        raise BenchError(f"wrk saw {res['errors']} socket errors or non-2xx answers")
    res["cpu_us_per_req"] = (after - before) * 1e6 / res["requests"]
    res["server_cpu_util"] = (after - before) / seconds
    return res


def parse_wrk(out):
    """requests, rps, p50_ms, p99_ms and errors from wrk --latency's text output."""
    res = {}
    for line in out.splitlines():
        words = line.split()
        text = line.strip()
        if text.startswith("Requests/sec:"):
            res["rps"] = float(words[1])
        elif "requests in" in line:
            res["requests"] = int(words[0])
        elif text.startswith("50%"):
            res["p50_ms"] = _wrk_ms(words[1])
        elif text.startswith("99%"):
            res["p99_ms"] = _wrk_ms(words[1])
        elif text.startswith(("Non-2xx", "Socket errors")):
            counts = (w.rstrip(",") for w in words)
            res["errors"] = res.get("errors", 0) + sum(int(w) for w in counts if w.isdigit())
    return res


def _wrk_ms(text):
    for unit, scale in (("us", 1e-3), ("ms", 1.0), ("s", 1e3)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * scale
    return float(text)
