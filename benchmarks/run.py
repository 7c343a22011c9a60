#!/usr/bin/env python3
"""Run fdevent's benchmark suite: one command, every benchmark, every implementation.

    python benchmarks/run.py                 # the full suite (about 15-20 minutes)
    python benchmarks/run.py --quick         # small sizes, 1 run: a smoke test (< 1 minute)
    python benchmarks/run.py --bench chain,timers --impl fdevent,asyncio --runs 5
    python benchmarks/run.py --list          # what is available on this machine
    python benchmarks/run.py --bench chain --baseline ../wt-baseline/.venv/bin/python

Benchmarks: chain (libevent's bench.c idea), echo (TCP ping-pong against a C load
generator), timers (1M one-shot timers, half cancelled), mem (bytes per idle I/O event),
xthread (cross-thread wakeup latency on an idle loop), fdtable (attach/detach time per event
with 1 to 100,000 events on one fd).
Implementations: fdevent-compiled, fdevent-pure, asyncio, uvloop, libevent (C), floor
(C, chain only: the syscalls with no event loop), python-floor (chain only: the floor plus a
Python callback per event, still with no event loop).  "fdevent" selects both cores.
With --baseline PYTHON, baseline-compiled and baseline-pure are the fdevent that PYTHON
imports (another checkout: "before"), run by the same scripts, interleaved with the rest.

--quick writes its report under benchmarks/build/quick/ (unless --out/--json say otherwise),
so a development run never overwrites the committed results.

Method: every measurement is a fresh subprocess (a fresh server for echo) with a
timeout; runs are interleaved (round 1: A B C ..., round 2: B C ... A, ...), each
figure is the median over the runs, and each ratio is the median of the per-round
ratios (paired within a round, so slow phases of a noisy machine cancel out).
Single-process benchmarks and echo servers are pinned to one core (taskset -c 0),
the echo load generator to the other (taskset -c 1).

Writes a markdown report to stdout and to benchmarks/RESULTS.md, the raw samples to
benchmarks/results.json, and (if matplotlib is installed) benchmarks/chart.png.
"""

import argparse
import atexit
import contextlib
import datetime
import functools
import json
import os
import platform
import select
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BUILD = os.path.join(HERE, "build")
PY = sys.executable

C_PROGRAMS = {  # name -> needs libevent
    "chain_libevent": True,
    "chain_floor": False,
    "echo_libevent": True,
    "echo_libevent_bev": True,
    "echoload": False,
    "timers_libevent": True,
}
CFLAGS = ["-O2", "-Wall", "-Wextra"]

ALL_IMPLS = [
    "fdevent-compiled",
    "fdevent-pure",
    "stream-compiled",
    "stream-pure",
    "asyncio",
    "uvloop",
    "libevent",
    "libevent-bev",
    "floor",
    "python-floor",
    "baseline-compiled",
    "baseline-pure",
]
#: Implementations that are fdevent run by another interpreter (--baseline): the same scripts.
BASELINE_IMPLS = {"baseline-compiled": "compiled", "baseline-pure": "pure"}
BENCH_IMPLS = {
    "chain": [
        "fdevent-compiled",
        "fdevent-pure",
        "asyncio",
        "uvloop",
        "libevent",
        "floor",
        "python-floor",
        "baseline-compiled",
        "baseline-pure",
    ],
    "echo": [
        "stream-compiled",
        "stream-pure",
        "fdevent-compiled",
        "fdevent-pure",
        "asyncio",
        "uvloop",
        "libevent",
        "libevent-bev",
    ],
    "timers": ["fdevent-compiled", "fdevent-pure", "asyncio", "uvloop", "libevent"],
    "mem": ["fdevent-compiled", "fdevent-pure", "asyncio", "uvloop"],
    "xthread": ["fdevent-compiled", "fdevent-pure", "asyncio", "uvloop"],
    "fdtable": ["fdevent-compiled", "fdevent-pure"],
    "streammem": ["stream-compiled", "stream-pure", "asyncio", "uvloop"],
    "http": ["stream-compiled", "stream-pure", "asyncio", "uvloop"],
}
ALL_BENCHES = ["chain", "echo", "timers", "mem", "xthread", "fdtable", "streammem", "http"]

FULL = {
    "runs": 3,
    "chain": {"pipes": [100, 9900], "active": 100, "writes": 100000, "rounds": 5, "timeout": 300},
    "echo": {
        "configs": [(1, 64), (50, 64), (500, 64), (50, 16384)],
        "warmup": 1.0,
        "duration": 5.0,
    },
    "timers": {"count": 1000000, "seed": 12345, "timeout": 300},
    "mem": {"fds": 10000, "per_fd": 10, "timeout": 120},
    "xthread": {"samples": 10000, "warmup": 500, "gap_us": 200, "timeout": 120},
    "fdtable": {"per_fd": [1, 100, 100000], "ops": 200000, "rounds": 5, "timeout": 300},
    "streammem": {"conns": 5000, "timeout": 120},
    "http": {"conns": [50], "duration": 5.0, "timeout": 60},
}
QUICK = {
    "runs": 1,
    "chain": {"pipes": [100, 9900], "active": 100, "writes": 20000, "rounds": 2, "timeout": 60},
    "echo": {
        "configs": [(1, 64), (50, 64), (500, 64), (50, 16384)],
        "warmup": 0.2,
        "duration": 0.5,
    },
    "timers": {"count": 100000, "seed": 12345, "timeout": 60},
    "mem": {"fds": 10000, "per_fd": 10, "timeout": 60},
    "xthread": {"samples": 1000, "warmup": 100, "gap_us": 200, "timeout": 60},
    "fdtable": {"per_fd": [1, 100, 100000], "ops": 100000, "rounds": 1, "timeout": 120},
    "streammem": {"conns": 2000, "timeout": 60},
    "http": {"conns": [50], "duration": 1.0, "timeout": 30},
}
#: Where --quick writes unless told otherwise: build/ is ignored by git.
QUICK_DIR = os.path.join(BUILD, "quick")


def log(msg):
    sys.stderr.write(msg + "\n")
    sys.stderr.flush()


# ---------------------------------------------------------------- child processes

_children = {}  # pid -> Popen: every process this harness started and has not reaped


def _reap_all():
    for pid, p in list(_children.items()):
        if p.poll() is None:
            with contextlib.suppress(OSError):
                p.kill()  # by PID, only our own children
            with contextlib.suppress(subprocess.TimeoutExpired):
                p.wait(timeout=5)
        _children.pop(pid, None)


atexit.register(_reap_all)


def _on_signal(signum, frame):
    _reap_all()
    sys.exit(128 + signum)


def spawn(argv, env=None, stdout=subprocess.PIPE):
    p = subprocess.Popen(argv, env=env, stdout=stdout, stderr=subprocess.PIPE, text=True, cwd=HERE)
    _children[p.pid] = p
    return p


def finish(p, timeout):
    """Wait for p with a timeout; kill it (by PID) if it overruns. Returns (rc, out, err)."""
    try:
        out, err = p.communicate(timeout=timeout)
        rc = p.returncode
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        rc = None
        err = (err or "") + f"\n[harness] killed after the {timeout:.0f} s timeout"
    _children.pop(p.pid, None)
    return rc, out or "", err or ""


def run_cmd(argv, env=None, timeout=60):
    p = spawn(argv, env=env)
    return finish(p, timeout)


def parse_json_line(out):
    for line in reversed(out.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                return None
    return None


class BenchError(Exception):
    pass


def run_json(argv, env, timeout):
    rc, out, err = run_cmd(argv, env=env, timeout=timeout)
    res = parse_json_line(out)
    if rc != 0 or res is None or "error" in res:
        tail = " | ".join((err.strip().splitlines() or [""])[-3:])
        why = res.get("error") if res and "error" in res else f"exit {rc}"
        raise BenchError(f"{why}: {shlex.join(argv)}: {tail}")
    return res


# ---------------------------------------------------------------- environment


#: --baseline: the interpreter, the tree it imports fdevent from and that tree's commit.
BASELINE = {"python": None, "root": None, "commit": None}


def py_env(impl):
    env = dict(os.environ)
    root = BASELINE["root"] if impl in BASELINE_IMPLS else ROOT
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.pop("FDEVENT_PURE", None)
    if impl in ("fdevent-pure", "baseline-pure", "stream-pure"):
        env["FDEVENT_PURE"] = "1"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def build_c(notes):
    """Compile the C programs into benchmarks/build/ (when missing or out of date)."""
    os.makedirs(BUILD, exist_ok=True)
    built = {}
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        notes.append("no C compiler: libevent, floor and the echo load generator are skipped")
        return built
    header = os.path.join(HERE, "bench_util.h")
    for name, needs_event in C_PROGRAMS.items():
        src = os.path.join(HERE, name + ".c")
        exe = os.path.join(BUILD, name)
        newest = max(os.path.getmtime(src), os.path.getmtime(header))
        if os.path.exists(exe) and os.path.getmtime(exe) >= newest:
            built[name] = exe
            continue
        argv = [cc, *CFLAGS, "-o", exe, src] + (["-levent"] if needs_event else [])
        rc, _, err = run_cmd(argv, timeout=120)
        if rc == 0:
            built[name] = exe
            if err.strip():
                notes.append(f"compiler warnings for {name}.c:\n{err.strip()}")
        else:
            notes.append(f"could not build {name}: {err.strip().splitlines()[-1:] or rc}")
    return built


def probe_python(code, env, timeout=30):
    rc, out, _ = run_cmd([PY, "-c", code], env=env, timeout=timeout)
    return out.strip() if rc == 0 else None


def detect(built, notes):
    """Which implementations this machine can run, and their versions."""
    avail, versions = {}, {}
    code = "import fdevent, json; print(json.dumps([fdevent.CORE, fdevent.__version__]))"
    for impl, want in (("fdevent-compiled", "compiled"), ("fdevent-pure", "pure")):
        out = probe_python(code, py_env(impl))
        if out:
            core, ver = json.loads(out)
            versions["fdevent"] = ver
            if core == want:
                avail[impl] = True
                avail["stream-" + want] = True
            else:
                notes.append(f"{impl}: not available (`import fdevent` loads the {core} core)")
        else:
            notes.append(f"{impl}: not available (`import fdevent` failed)")
    avail["asyncio"] = True
    versions["asyncio"] = "Python " + platform.python_version()
    out = probe_python("import uvloop; print(uvloop.__version__)", py_env("uvloop"))
    if out:
        avail["uvloop"] = True
        versions["uvloop"] = out
    else:
        notes.append("uvloop: not installed (pip install uvloop)")
    if all(n in built for n in ("chain_libevent", "echo_libevent", "timers_libevent")):
        avail["libevent"] = True
        out = probe_cmd(["pkg-config", "--modversion", "libevent"])
        versions["libevent"] = out or "unknown"
    else:
        notes.append("libevent: not available (install libevent-dev)")
    if avail.get("libevent") and "echo_libevent_bev" in built:
        avail["libevent-bev"] = True
    if "chain_floor" in built:
        avail["floor"] = True
    avail["python-floor"] = True
    return avail, versions


def detect_baseline(python, avail, versions, notes):
    """--baseline PYTHON: which fdevent that interpreter imports, from where; both cores."""
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    env.pop("FDEVENT_PURE", None)
    code = (
        "import fdevent, json, os; print(json.dumps([fdevent.CORE, fdevent.__version__, "
        "os.path.dirname(os.path.dirname(os.path.abspath(fdevent.__file__)))]))"
    )
    try:
        rc, out, err = run_cmd([python, "-c", code], env=env, timeout=30)
    except OSError as e:
        raise SystemExit(f"--baseline {python}: {e}") from None
    if rc != 0:
        raise SystemExit(f"--baseline {python}: `import fdevent` failed: {err.strip()[-300:]}")
    _, version, root = json.loads(out.strip().splitlines()[-1])
    if os.path.realpath(root) == os.path.realpath(ROOT):
        raise SystemExit(f"--baseline {python} imports this tree's fdevent ({root})")
    BASELINE.update(python=python, root=root)
    BASELINE["commit"] = probe_cmd(["git", "-C", root, "log", "-1", "--format=%h %s"])
    versions["baseline"] = f"fdevent {version} at {root} ({BASELINE['commit'] or 'no git'})"
    code = "import fdevent; print(fdevent.CORE)"
    for impl, want in BASELINE_IMPLS.items():
        rc, out, _ = run_cmd([python, "-c", code], env=py_env(impl), timeout=30)
        core = out.strip() if rc == 0 else None
        if core == want:
            avail[impl] = True
        else:
            notes.append(f"{impl}: not available (the baseline loads the {core} core)")


def probe_cmd(argv, timeout=10):
    if not shutil.which(argv[0]):
        return None
    try:
        rc, out, _ = run_cmd(argv, timeout=timeout)
    except OSError:
        return None
    return out.strip() if rc == 0 else None


def machine_info():
    info = {"uname": probe_cmd(["uname", "-a"]) or " ".join(platform.uname())}
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    info["cpu"] = cpu
    info["cores"] = os.cpu_count()
    try:
        with open("/proc/meminfo") as f:
            info["memory"] = f.readline().split(":", 1)[1].strip()
    except OSError:
        info["memory"] = "unknown"
    info["python"] = sys.version.replace("\n", " ")
    cc = probe_cmd(["cc", "--version"])
    info["cc"] = cc.splitlines()[0] if cc else "none"
    out = probe_python("import matplotlib; print(matplotlib.__version__)", py_env("asyncio"))
    info["matplotlib"] = out or "not installed"
    try:
        info["nofile_limit"] = __import__("resource").getrlimit(
            __import__("resource").RLIMIT_NOFILE
        )[1]
    except Exception:
        info["nofile_limit"] = "unknown"
    return info


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "unknown"


# ---------------------------------------------------------------- benchmarks


def py_script_argv(bench, impl, opts):
    """argv of a Python benchmark script: <bench>_fdevent.py for the fdevent cores,
    <bench>_asyncio.py (with --uvloop for uvloop) for asyncio and uvloop; None otherwise."""
    if impl.startswith("fdevent-"):
        return [PY, os.path.join(HERE, f"{bench}_fdevent.py"), *opts]
    if impl in BASELINE_IMPLS:
        return [BASELINE["python"], os.path.join(HERE, f"{bench}_fdevent.py"), *opts]
    if impl in ("asyncio", "uvloop"):
        argv = [PY, os.path.join(HERE, f"{bench}_asyncio.py"), *opts]
        return [*argv, "--uvloop"] if impl == "uvloop" else argv
    return None


class Harness:
    def __init__(self, args, cfg, built, avail):
        self.args, self.cfg, self.built, self.avail = args, cfg, built, avail
        self.pin = args.pin and shutil.which("taskset") and (os.cpu_count() or 1) >= 2

    def pinned(self, cpu, argv):
        return ["taskset", "-c", str(cpu), *argv] if self.pin else argv

    def check_core(self, impl, res):
        if impl.startswith(("fdevent-", "baseline-")):
            want = impl.split("-", 1)[1]
            if res.get("core") != want:
                raise BenchError(f"{impl}: the subprocess loaded the {res.get('core')} core")
        return res

    def run_single(self, impl, argv, timeout, pin=True):
        """Run a single-process benchmark pinned to the server CPU; check its core."""
        if pin:
            argv = self.pinned(self.args.server_cpu, argv)
        res = run_json(argv, py_env(impl), timeout)
        return self.check_core(impl, res)

    # chain -----------------------------------------------------------------
    def chain(self, impl, p):
        c = self.cfg["chain"]
        opts = [
            "--pipes",
            str(p["pipes"]),
            "--active",
            str(c["active"]),
            "--writes",
            str(c["writes"]),
            "--rounds",
            str(c["rounds"]),
        ]
        if impl == "libevent":
            argv = [self.built["chain_libevent"], *opts]
        elif impl == "floor":
            argv = [self.built["chain_floor"], *opts]
        elif impl == "python-floor":
            argv = [PY, os.path.join(HERE, "chain_pyfloor.py"), *opts]
        else:
            argv = py_script_argv("chain", impl, opts)
        return self.run_single(impl, argv, c["timeout"])

    # echo ------------------------------------------------------------------
    def echo(self, impl, p):
        c = self.cfg["echo"]
        if "echoload" not in self.built:
            raise BenchError("echoload was not built")
        bound = c["warmup"] + c["duration"] + 60
        if impl.startswith("stream-"):
            argv = [PY, os.path.join(HERE, "echo_stream.py")]
        elif impl == "libevent-bev":
            argv = [self.built["echo_libevent_bev"]]
        else:
            argv = py_script_argv("echo", impl, []) or [self.built["echo_libevent"]]
        argv += ["--port", "0", "--max-seconds", str(bound)]
        server = spawn(self.pinned(self.args.server_cpu, argv), env=py_env(impl))
        try:
            port = self._wait_ready(server, 20.0)
            load = [
                self.built["echoload"],
                "--port",
                str(port),
                "--conns",
                str(p["conns"]),
                "--size",
                str(p["size"]),
                "--warmup",
                str(c["warmup"]),
                "--duration",
                str(c["duration"]),
                "--server-pid",
                str(server.pid),
                "--stall",
                "5",
            ]
            res = run_json(
                self.pinned(self.args.load_cpu, load), None, c["warmup"] + c["duration"] + 30
            )
        finally:
            if server.poll() is None:
                server.terminate()  # by PID
            finish(server, 10)
        if "server_user_s" not in res:
            raise BenchError(f"{impl}: could not read the server's CPU times")
        n = max(res["requests"], 1)
        res["impl"] = impl
        res["cpu_user_us_per_req"] = res["server_user_s"] * 1e6 / n
        res["cpu_sys_us_per_req"] = res["server_sys_s"] * 1e6 / n
        res["cpu_us_per_req"] = (res["server_user_s"] + res["server_sys_s"]) * 1e6 / n
        res["server_cpu_util"] = (res["server_user_s"] + res["server_sys_s"]) / res["seconds"]
        res["client_cpu_util"] = (res["client_user_s"] + res["client_sys_s"]) / res["seconds"]
        res["server_minflt_per_req"] = res.get("server_minflt", 0) / n
        if "machine_busy_s" in res:  # everything else running on the machine meanwhile
            other = (
                res["machine_busy_s"]
                - res["server_user_s"]
                - res["server_sys_s"]
                - res["client_user_s"]
                - res["client_sys_s"]
            )
            res["other_cpu_util"] = max(0.0, other) / res["seconds"]
        return res

    def _wait_ready(self, server, timeout):
        deadline = time.monotonic() + timeout
        buf = ""
        fd = server.stdout.fileno()
        while time.monotonic() < deadline:
            r, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
            if not r:
                break
            chunk = os.read(fd, 4096).decode()
            if not chunk:
                break
            buf += chunk
            for line in buf.splitlines():
                if line.startswith("READY "):
                    return int(line.split()[1])
                if " on 127.0.0.1:" in line:  # the examples: "... server on 127.0.0.1:PORT ..."
                    return int(line.split(" on 127.0.0.1:", 1)[1].split()[0])
        err = ""
        if server.poll() is not None:
            err = server.stderr.read()[-500:]
        raise BenchError(f"server did not become ready: {buf!r} {err}")

    # streammem -------------------------------------------------------------
    def streammem(self, impl, p):
        c = self.cfg["streammem"]
        kind = "fdevent" if impl.startswith("stream-") else impl
        argv = [PY, os.path.join(HERE, "mem_stream.py"), "--impl", kind, "--conns", str(c["conns"])]
        if p["method"] == "rss":
            argv.append("--rss")
        res = run_json(self.pinned(self.args.server_cpu, argv), py_env(impl), c["timeout"])
        if impl.startswith("stream-") and res.get("core") != impl.split("-", 1)[1]:
            raise BenchError(f"{impl}: the subprocess loaded the {res.get('core')} core")
        return res

    # http ------------------------------------------------------------------
    def http(self, impl, p):
        """wrk (pinned to the load CPU) against the HTTP hello server (pinned to the server CPU)."""
        c = self.cfg["http"]
        wrk = shutil.which("wrk")
        if not wrk:
            raise BenchError("wrk is not installed (apt-get install wrk)")
        bound = c["duration"] + 60
        if impl.startswith("stream-"):
            argv = [PY, os.path.join(ROOT, "examples", "http_hello.py")]
        else:
            argv = [PY, os.path.join(HERE, "http_asyncio.py")] + (
                ["--uvloop"] if impl == "uvloop" else []
            )
        argv += ["--port", "0", "--max-seconds", str(bound)]
        server = spawn(self.pinned(self.args.server_cpu, argv), env=py_env(impl))
        try:
            port = self._wait_ready(server, 20.0)
            before = _proc_cpu(server.pid)
            t0 = time.monotonic()
            load = [
                wrk,
                "-t1",
                f"-c{p['conns']}",
                f"-d{max(1, round(c['duration']))}s",
                "--latency",
                f"http://127.0.0.1:{port}/",
            ]
            rc, out, err = run_cmd(self.pinned(self.args.load_cpu, load), timeout=c["timeout"])
            seconds = time.monotonic() - t0
            after = _proc_cpu(server.pid)
        finally:
            if server.poll() is None:
                server.terminate()  # by PID
            finish(server, 10)
        if rc != 0:
            raise BenchError(f"wrk failed: {err.strip()[-200:]}")
        res = _parse_wrk(out)
        if not res.get("requests"):
            raise BenchError(f"could not read wrk's output: {out[-300:]!r}")
        if res.get("errors"):
            raise BenchError(f"wrk saw {res['errors']} socket errors or non-2xx answers")
        res["impl"] = impl
        res["cpu_us_per_req"] = (after - before) * 1e6 / res["requests"]
        res["server_cpu_util"] = (after - before) / seconds
        return res

    # timers ----------------------------------------------------------------
    def timers(self, impl, p):
        c = self.cfg["timers"]
        opts = ["--count", str(c["count"]), "--seed", str(c["seed"])]
        argv = py_script_argv("timers", impl, opts) or [self.built["timers_libevent"], *opts]
        return self.run_single(impl, argv, c["timeout"])

    # mem -------------------------------------------------------------------
    def mem(self, impl, p):
        c = self.cfg["mem"]
        opts = ["--fds", str(c["fds"])]
        if impl.startswith("fdevent-"):
            opts += ["--per-fd", str(p["per_fd"])]
        argv = py_script_argv("mem", impl, opts)
        if p["method"] == "tracemalloc":
            argv.append("--tracemalloc")
        return self.run_single(impl, argv, c["timeout"])

    # xthread ---------------------------------------------------------------
    def xthread(self, impl, p):
        c = self.cfg["xthread"]
        opts = ["--samples", str(c["samples"]), "--warmup", str(c["warmup"])]
        opts += ["--gap-us", str(c["gap_us"])]
        # Not pinned: the loop thread and the producer thread each want a core; on one core
        # the figure would be the scheduler's time slice, not the wakeup.
        res = self.run_single(impl, py_script_argv("xthread", impl, opts), c["timeout"], pin=False)
        if res.get("wrong_thread"):
            raise BenchError(f"{impl}: {res['wrong_thread']} callbacks ran outside the loop thread")
        return res

    # fdtable ---------------------------------------------------------------
    def fdtable(self, impl, p):
        c = self.cfg["fdtable"]
        opts = ["--per-fd", str(p["per_fd"]), "--ops", str(c["ops"]), "--rounds", str(c["rounds"])]
        return self.run_single(impl, py_script_argv("fdtable", impl, opts), c["timeout"])


def _proc_cpu(pid):
    """utime + stime of pid in seconds, from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _parse_wrk(out):
    res = {}
    for line in out.splitlines():
        words = line.split()
        if line.startswith("Requests/sec:"):
            res["rps"] = float(words[1])
        elif "requests in" in line:
            res["requests"] = int(words[0])
        elif line.strip().startswith("50%"):
            res["p50_ms"] = _wrk_ms(words[1])
        elif line.strip().startswith("99%"):
            res["p99_ms"] = _wrk_ms(words[1])
        elif line.strip().startswith("Non-2xx") or line.strip().startswith("Socket errors"):
            res["errors"] = res.get("errors", 0) + sum(
                int(w.rstrip(",")) for w in words if w.rstrip(",").isdigit()
            )
    return res


def _wrk_ms(text):
    for unit, scale in (("us", 1e-3), ("ms", 1.0), ("s", 1e3)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * scale
    return float(text)


def size_label(n):
    return f"{n // 1024} KiB" if n >= 1024 and n % 1024 == 0 else f"{n} B"


def make_points(bench, cfg, impls):
    """The measurement points of a benchmark: (label, params, impls at that point)."""
    if bench == "chain":
        return [(f"N={n:,}", {"pipes": n}, impls) for n in cfg["chain"]["pipes"]]
    if bench == "echo":
        return [
            (f"C={c}, {size_label(s)}", {"conns": c, "size": s}, impls)
            for c, s in cfg["echo"]["configs"]
        ]
    if bench == "timers":
        return [(f"{cfg['timers']['count']:,} timers", {}, impls)]
    if bench == "mem":
        fds, k = cfg["mem"]["fds"], cfg["mem"]["per_fd"]
        fdev = [i for i in impls if i.startswith("fdevent-")]
        pts = []
        if k > 1 and fdev:
            pts.append(
                (
                    f"RSS, {fds:,} fds x {k} events = {fds * k:,}",
                    {"method": "rss", "per_fd": k},
                    fdev,
                )
            )
        pts.append((f"RSS, {fds:,} fds x 1 event", {"method": "rss", "per_fd": 1}, impls))
        tm = [i for i in impls if i != "uvloop"]
        if k > 1 and fdev:
            pts.append(
                (
                    f"tracemalloc, {fds:,} fds x {k} events = {fds * k:,}",
                    {"method": "tracemalloc", "per_fd": k},
                    fdev,
                )
            )
        pts.append(
            (f"tracemalloc, {fds:,} fds x 1 event", {"method": "tracemalloc", "per_fd": 1}, tm)
        )
        return pts
    if bench == "xthread":
        return [("idle loop", {}, impls)]
    if bench == "fdtable":
        return [(f"K={k:,} on one fd", {"per_fd": k}, impls) for k in cfg["fdtable"]["per_fd"]]
    if bench == "streammem":
        n = cfg["streammem"]["conns"]
        return [
            (f"tracemalloc, {n:,} idle connections", {"method": "tracemalloc"}, impls),
            (f"RSS, {n:,} idle connections", {"method": "rss"}, impls),
        ]
    if bench == "http":
        return [(f"wrk -c{c}", {"conns": c}, impls) for c in cfg["http"]["conns"]]
    raise ValueError(bench)


def summarize_metric(samples, key):
    vals = [s[key] for s in samples if s is not None and s.get(key) is not None]
    if not vals:
        return None
    return {"median": statistics.median(vals), "min": min(vals), "max": max(vals), "n": len(vals)}


def paired_ratio(rounds_a, rounds_ref, key):
    """Median over rounds of a[key] / ref[key] (rounds where both succeeded)."""
    ratios = []
    for a, b in zip(rounds_a, rounds_ref, strict=True):
        if a is not None and b is not None and b.get(key):
            ratios.append(a[key] / b[key])
    return statistics.median(ratios) if ratios else None


# ---------------------------------------------------------------- report


def fmt(v, nd=0):
    if v is None:
        return "—"
    if isinstance(v, float) and nd == 0 and abs(v) < 10:
        return f"{v:.2f}"
    return f"{v:,.{nd}f}"


def pct(v):
    return "—" if v is None else f"{v * 100:.0f}%"


def fmt_ratio(v):
    return "—" if v is None else f"{v:.2f}x"


def md_table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def summary_median(d, key):
    """The median of one metric of an implementation's summary (None/falsy if missing)."""
    s = d["summary"].get(key)
    return s and s["median"]


def report_section(title, intro, header, points, cells):
    """A report section: title, intro paragraph, then a table with one row per
    (point, implementation): the point's label, the implementation, cells(pt, impl, d),
    and the errors column."""
    rows = [
        [pt["label"], impl, *cells(pt, impl, d), d["errors"] or ""]
        for pt in points
        for impl, d in pt["impls"].items()
    ]
    return [title, "", intro, "", md_table([*header, "errors"], rows), ""]


def report(results, meta):
    ref = meta["reference"]
    lines = ["# fdevent benchmark results", ""]
    if meta["quick"]:
        lines += [
            f"> **Quick run** (`--quick`): small sizes and {meta['runs']} run(s): a smoke test; "
            "these numbers are unreliable.",
            "",
        ]
    m = meta["machine"]
    lines += [
        f"- Command: `{meta['command']}`",
        f"- Date: {meta['date']} (took {meta['elapsed_s']:.0f} s)",
        f"- Machine: `{m['uname']}`",
        f"- CPU: {m['cpu']}, {m['cores']} cores; memory {m['memory']}; "
        f"open-file limit {m['nofile_limit']}",
        f"- Load average before / after: {meta['loadavg_before']} / {meta['loadavg_after']}",
        f"- Python: {m['python']}",
        "- Libraries: "
        + ", ".join(f"{k} {v}" for k, v in meta["versions"].items())
        + f"; C compiler: {m['cc']} ({' '.join(CFLAGS)}); matplotlib {m['matplotlib']}",
        f"- Implementations run: {', '.join(meta['impls'])}",
        f"- Method: {meta['runs']} run(s) per measurement, interleaved across implementations "
        "(the order rotates each round), each a fresh process; figures are medians over the "
        "runs, ratios are medians of the per-round ratios against the reference "
        f"**{ref or 'n/a'}**. Pinning: {meta['pinning']}.",
        "",
    ]
    if meta["notes"]:
        lines += ["Notes:", ""] + [f"- {n}" for n in meta["notes"]] + [""]

    if "chain" in results:
        c = meta["config"]["chain"]

        def chain_cells(pt, impl, d):
            floor = pt["impls"].get("floor", {}).get("summary", {}).get("ns_per_event")
            s = d["summary"].get("ns_per_event")
            above = s["median"] - floor["median"] if s and floor and impl != "floor" else None
            return [
                fmt(s and s["median"]),
                # RUF001: the en dash is intended (a typographic range in the report)
                f"{fmt(s['min'])}–{fmt(s['max'])}" if s else "—",  # noqa: RUF001
                fmt(above),
                fmt_ratio(d["ratio"].get("ns_per_event")),
            ]

        lines += report_section(
            "## 1. Chain (libevent bench.c style)",
            f"{c['active']} active writers, {c['writes']:,} writes per round "
            f"({c['active'] + c['writes']:,} read callbacks), {c['rounds']} timed rounds "
            "per process (median). ns/event = wall time / read callbacks. "
            "'above floor' = ns/event minus the syscall floor (the loop's own cost).",
            ["point", "impl", "ns/event", "range", "above floor", f"time / {ref}"],
            results["chain"],
            chain_cells,
        )
        lines += before_after(results["chain"], meta)

    if "echo" in results:
        c = meta["config"]["echo"]

        def echo_cells(pt, impl, d):
            g = functools.partial(summary_median, d)
            return [
                fmt(g("rps")),
                fmt(g("p50_us"), 0),
                fmt(g("p99_us"), 0),
                fmt(g("cpu_user_us_per_req"), 2),
                fmt(g("cpu_sys_us_per_req"), 2),
                fmt(g("cpu_us_per_req"), 2),
                fmt_ratio(d["ratio"].get("cpu_us_per_req")),
                pct(g("server_cpu_util")),
                pct(g("client_cpu_util")),
                pct(g("other_cpu_util")),
                fmt(g("server_minflt_per_req"), 2),
            ]

        lines += report_section(
            "## 2. Echo over loopback TCP (ping-pong)",
            f"C connections, one request in flight each, every echoed byte verified; "
            f"{c['warmup']} s warm-up, then a {c['duration']} s measured window. Server "
            "CPU from /proc/PID/stat (utime, stime; 1/CLK_TCK resolution) at the window's "
            "ends, divided by the requests in it. 'srv CPU' / 'load CPU' = share of one "
            "core used by the server / load generator (near 100% = saturated); 'other "
            "CPU' = CPU everything else on the machine used meanwhile, in % of one core (from "
            "/proc/stat; high = a noisy run); 'faults/req' = the server's minor page "
            "faults per request.",
            [
                "config",
                "impl",
                "req/s",
                "p50 µs",
                "p99 µs",
                "user µs/req",
                "sys µs/req",
                "CPU µs/req",
                f"CPU / {ref}",
                "srv CPU",
                "load CPU",
                "other CPU",
                "faults/req",
            ],
            results["echo"],
            echo_cells,
        )

    if "timers" in results:
        c = meta["config"]["timers"]

        def timers_cells(pt, impl, d):
            g = functools.partial(summary_median, d)
            return [
                fmt(g("cpu_s"), 3),
                fmt(g("user_s"), 3),
                fmt(g("sys_s"), 3),
                f"{fmt(g('schedule_cpu_s'), 2)} / {fmt(g('cancel_cpu_s'), 2)} / "
                f"{fmt(g('run_cpu_s'), 2)}",
                fmt(g("peak_rss_kib") and g("peak_rss_kib") / 1024, 1),
                fmt(g("rss_growth_kib") and g("rss_growth_kib") / 1024, 1),
                fmt_ratio(d["ratio"].get("cpu_s")),
            ]

        lines += report_section(
            "## 3. Timers",
            f"{c['count']:,} one-shot timers, delays from a fixed-seed LCG (seed "
            f"{c['seed']}) under 1 s, every second one cancelled, run until the rest "
            "fire. CPU = user+sys (getrusage) over schedule + cancel + run. Peak RSS = "
            "ru_maxrss of the whole process; 'growth' = peak minus the RSS before "
            "scheduling (the interpreter and the delay list are in the baseline).",
            [
                "point",
                "impl",
                "CPU s",
                "user s",
                "sys s",
                "schedule / cancel / run s",
                "peak RSS MiB",
                "growth MiB",
                f"CPU / {ref}",
            ],
            results["timers"],
            timers_cells,
        )

    if "mem" in results:
        c = meta["config"]["mem"]

        def mem_cells(pt, impl, d):
            return [
                fmt(summary_median(d, "bytes_per_event"), 0),
                fmt_ratio(d["ratio"].get("bytes_per_event")),
            ]

        lines += report_section(
            "## 4. Memory per idle I/O event",
            f"Persistent read events on eventfds that are never written (one fd each, so "
            f"{c['fds']:,} fit under the 20,000 open-file limit; socketpairs would need two "
            "fds each). fdevent allows several events per fd, so it is also measured at "
            f"{c['per_fd']} events per fd ({c['fds'] * c['per_fd']:,} events); asyncio and "
            "uvloop allow one reader per fd, so they are measured at "
            f"{c['fds']:,}. RSS = delta of /proc/self/statm around attaching (kernel "
            "memory for epoll registrations is not in it); tracemalloc = Python-heap "
            "delta (a separate process). uvloop's tracemalloc figure is omitted (libuv "
            "memory may not go through Python's allocators). Target (issue 7): at most 150 "
            "bytes per event at 1 event per fd (RSS, compiled core).",
            ["point", "impl", "bytes/event", f"/ {ref}"],
            results["mem"],
            mem_cells,
        )

    if "xthread" in results:
        c = meta["config"]["xthread"]

        def xthread_cells(pt, impl, d):
            g = functools.partial(summary_median, d)
            return [
                fmt(g("p50_us"), 1),
                fmt(g("p90_us"), 1),
                fmt(g("p99_us"), 1),
                fmt(g("max_us"), 0),
                fmt_ratio(d["ratio"].get("p50_us")),
                fmt_ratio(d["ratio"].get("p99_us")),
            ]

        lines += report_section(
            "## 5. Cross-thread wakeup latency (idle loop)",
            f"The loop idles in its poll; a producer thread asks it to run a callback "
            f"(fdevent: `ev.activate()`; asyncio, uvloop: `loop.call_soon_threadsafe()`) and "
            f"waits for it; latency = from the call to the callback's first line. "
            f"{c['samples']:,} samples after {c['warmup']} warm-up ones, {c['gap_us']} µs "
            "apart (so the loop is asleep again each time). Percentiles in µs, medians over "
            "the runs. Not pinned: the two threads each need a core.",
            ["point", "impl", "p50 µs", "p90 µs", "p99 µs", "max µs", "p50 /", "p99 /"],
            results["xthread"],
            xthread_cells,
        )

    if "fdtable" in results:
        c = meta["config"]["fdtable"]

        def fdtable_cells(pt, impl, d):
            g = functools.partial(summary_median, d)
            return [
                fmt(g("attach_ns"), 0),
                fmt(g("detach_ns"), 0),
                fmt(g("attach_detach_ns"), 0),
                fmt_ratio(d["ratio"].get("attach_detach_ns")),
            ]

        lines += report_section(
            "## 6. Attach and detach with K events on one fd",
            f"K persistent read events on one eventfd: attach all, detach all (same order), "
            f"repeated until {c['ops']:,} attaches, {c['rounds']} rounds per process (median). "
            "ns per event. An fd table that keeps an fd's events in a list is flat in K; one "
            "that rebuilds a tuple per change grows with K. At K=1 each attach and detach is "
            "also an epoll_ctl call.",
            ["point", "impl", "attach ns", "detach ns", "both ns", f"/ {ref}"],
            results["fdtable"],
            fdtable_cells,
        )

    if "echo" in results:
        lines += echo_targets(results["echo"])

    if "streammem" in results:
        c = meta["config"]["streammem"]
        sref = bench_reference("streammem", ref, ALL_IMPLS)

        def streammem_cells(pt, impl, d):
            return [
                fmt(summary_median(d, "bytes_per_conn"), 0),
                fmt_ratio(d["ratio"].get("bytes_per_conn")),
            ]

        lines += report_section(
            "## 7. Memory per idle connection (Stream vs transport + protocol)",
            f"{c['conns']:,} socketpairs made first (not counted); one end of each becomes an "
            "fdevent Stream with empty buffers, or asyncio's/uvloop's transport + protocol "
            "(`loop.connect_accepted_socket`). Reading on, nothing sent. tracemalloc = the "
            "Python-heap delta per connection (uvloop's libuv memory goes through Python's raw "
            "allocator and is counted); RSS = the resident-set delta. Target: a Stream at most "
            "half of asyncio's pair.",
            ["point", "impl", "bytes/conn", f"/ {sref}"],
            results["streammem"],
            streammem_cells,
        )

    if "http" in results:
        c = meta["config"]["http"]
        href = bench_reference("http", ref, ALL_IMPLS)

        def http_cells(pt, impl, d):
            g = functools.partial(summary_median, d)
            return [
                fmt(g("rps")),
                fmt(g("p50_ms"), 2),
                fmt(g("p99_ms"), 2),
                fmt(g("cpu_us_per_req"), 2),
                fmt_ratio(d["ratio"].get("cpu_us_per_req")),
                pct(g("server_cpu_util")),
            ]

        lines += report_section(
            "## 8. HTTP hello with wrk (a third-party client)",
            f"`wrk -t1 -cN -d{c['duration']}s` (pinned to the load CPU) against "
            "examples/http_hello.py (fdevent streams) or benchmarks/http_asyncio.py (the same "
            "server on asyncio / uvloop Protocols), pinned to the server CPU; HTTP/1.1 "
            "keep-alive. Server CPU from /proc/PID/stat around the wrk run.",
            [
                "point",
                "impl",
                "req/s",
                "p50 ms",
                "p99 ms",
                "CPU µs/req",
                f"CPU / {href}",
                "srv CPU",
            ],
            results["http"],
            http_cells,
        )

    if meta.get("chart"):
        lines += [f"Chart: `{meta['chart']}`", ""]
    return "\n".join(lines)


def before_after(points, meta):
    """The chain's after/before table when --baseline ran: median of per-round ratios."""
    pairs = [("fdevent-compiled", "baseline-compiled"), ("fdevent-pure", "baseline-pure")]
    rows = []
    for pt in points:
        for after, before in pairs:
            a, b = pt["impls"].get(after), pt["impls"].get(before)
            if a and b:
                r = paired_ratio(a["samples"], b["samples"], "ns_per_event")
                n = sum(1 for x, y in zip(a["samples"], b["samples"], strict=True) if x and y)
                rows.append(
                    [
                        pt["label"],
                        after.split("-", 1)[1],
                        fmt(summary_median(b, "ns_per_event")),
                        fmt(summary_median(a, "ns_per_event")),
                        fmt_ratio(r),
                        f"{(r - 1) * 100:+.1f}%" if r else "—",
                        n,
                    ]
                )
    if not rows:
        return []
    return [
        "### Chain before and after (--baseline)",
        "",
        f"Before: {meta['versions'].get('baseline', '?')}. After: this tree. Each round ran "
        "both, interleaved with the others; the ratio is the median of the per-round "
        "after/before ratios of ns/event (below 1.00x: faster after).",
        "",
        md_table(
            [
                "point",
                "core",
                "before ns/event",
                "after ns/event",
                "after / before",
                "change",
                "rounds",
            ],
            rows,
        ),
        "",
    ]


def echo_targets(points):
    """The issue's targets for the Stream echo, per configuration: server CPU per request
    of stream-compiled over uvloop (<= 0.90) and over C libevent's raw echo (<= 1.15), and
    of stream-pure over asyncio (< 1); each a median of per-round ratios."""
    checks = [
        ("stream-compiled", "uvloop", 0.90),
        ("stream-compiled", "libevent", 1.15),
        ("stream-compiled", "libevent-bev", None),
        ("stream-pure", "asyncio", 1.0),
    ]
    header = ["config"] + [
        f"{a} / {b}" + (f" (target ≤ {t:.2f})" if t else "") for a, b, t in checks
    ]
    rows = []
    for pt in points:
        row = [pt["label"]]
        for a, b, target in checks:
            da, db = pt["impls"].get(a), pt["impls"].get(b)
            r = paired_ratio(da["samples"], db["samples"], "cpu_us_per_req") if da and db else None
            mark = "" if r is None or target is None else (" ✓" if r <= target else " ✗")
            row.append(fmt_ratio(r) + mark)
        rows.append(row)
    return [
        "### Echo targets (server CPU per request, paired per round)",
        "",
        md_table(header, rows),
        "",
    ]


# ---------------------------------------------------------------- main

METRICS = {
    "chain": ["ns_per_event"],
    "echo": [
        "rps",
        "p50_us",
        "p99_us",
        "cpu_user_us_per_req",
        "cpu_sys_us_per_req",
        "cpu_us_per_req",
        "server_cpu_util",
        "client_cpu_util",
        "other_cpu_util",
        "server_minflt_per_req",
    ],
    "timers": [
        "cpu_s",
        "user_s",
        "sys_s",
        "schedule_cpu_s",
        "cancel_cpu_s",
        "run_cpu_s",
        "peak_rss_kib",
        "rss_growth_kib",
        "wall_s",
    ],
    "mem": ["bytes_per_event"],
    "xthread": ["p50_us", "p90_us", "p99_us", "max_us", "mean_us"],
    "fdtable": ["attach_detach_ns", "attach_ns", "detach_ns"],
    "streammem": ["bytes_per_conn"],
    "http": ["rps", "cpu_us_per_req", "p50_ms", "p99_ms", "server_cpu_util"],
}
RATIO_KEYS = {
    "chain": ["ns_per_event"],
    "echo": ["cpu_us_per_req", "rps"],
    "timers": ["cpu_s"],
    "mem": ["bytes_per_event"],
    "xthread": ["p50_us", "p99_us"],
    "fdtable": ["attach_detach_ns"],
    "streammem": ["bytes_per_conn"],
    "http": ["cpu_us_per_req", "rps"],
}


def bench_reference(bench, ref, impls):
    """The implementation a benchmark's ratios are against: the stream benchmarks compare
    with the compiled Stream (else the pure one), the others with the suite's reference."""
    if bench in ("streammem", "http"):
        return next((i for i in ("stream-compiled", "stream-pure") if i in impls), None)
    return ref


def parse_list(s, allowed, what):
    out = []
    for x in s.split(","):
        x = x.strip()
        if not x:
            continue
        if x == "fdevent" and what == "implementation":
            out += ["fdevent-compiled", "fdevent-pure"]
        elif x == "stream" and what == "implementation":
            out += ["stream-compiled", "stream-pure"]
        elif x in allowed:
            out.append(x)
        else:
            raise SystemExit(f"unknown {what} {x!r}; choose from {', '.join(allowed)}")
    return list(dict.fromkeys(out))


def output_paths(quick, out=None, json_path=None):
    """Where a run writes its report, raw results and chart: ``(md, json, png)``.

    A full run updates the committed benchmarks/RESULTS.md, results.json and chart.png; a
    --quick run writes under QUICK_DIR (ignored by git), so it never overwrites them. ``out``
    and ``json_path`` (--out, --json) choose other places; the chart goes next to the JSON
    (benchmarks/chart.png for the committed results.json, else the JSON's name with .png).
    """
    folder = QUICK_DIR if quick else HERE
    md = out if out is not None else os.path.join(folder, "RESULTS.md")
    js = json_path if json_path is not None else os.path.join(folder, "results.json")
    if os.path.abspath(js) == os.path.join(HERE, "results.json"):
        png = os.path.join(HERE, "chart.png")
    else:
        png = os.path.splitext(js)[0] + ".png"
    return md, js, png


def main():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--quick",
        action="store_true",
        help="small sizes, 1 run (unless --runs): a smoke test, under a minute",
    )
    ap.add_argument(
        "--bench",
        default=",".join(ALL_BENCHES),
        help="comma-separated: chain,echo,timers,mem,xthread,fdtable,streammem,http (default: all)",
    )
    ap.add_argument(
        "--impl",
        default="all",
        help="comma-separated: fdevent (= both cores), fdevent-compiled, "
        "fdevent-pure, stream (= both cores' Stream echo), stream-compiled, stream-pure, "
        "asyncio, uvloop, libevent, libevent-bev, floor (default: all available)",
    )
    ap.add_argument("--runs", type=int, help="runs per measurement (default 3, quick 1)")
    ap.add_argument("--echo-duration", type=float, help="measured seconds per echo run")
    ap.add_argument("--timer-count", type=int, help="timers per timer run")
    ap.add_argument("--no-pin", dest="pin", action="store_false", help="do not use taskset")
    ap.add_argument(
        "--server-cpu",
        type=int,
        default=0,
        help="core for servers and single-process benchmarks (default 0)",
    )
    ap.add_argument(
        "--load-cpu", type=int, default=1, help="core for the echo load generator (default 1)"
    )
    ap.add_argument(
        "--baseline",
        metavar="PYTHON",
        help="an interpreter whose `import fdevent` is another checkout (before): adds "
        "baseline-compiled and baseline-pure to the chain (and any --bench given)",
    )
    ap.add_argument(
        "--out",
        help="markdown report (default benchmarks/RESULTS.md; build/quick/RESULTS.md with --quick)",
    )
    ap.add_argument(
        "--json",
        help="raw results; the chart goes next to it (default benchmarks/results.json and "
        "chart.png; under build/quick/ with --quick)",
    )
    ap.add_argument("--no-chart", dest="chart", action="store_false")
    ap.add_argument("--list", action="store_true", help="show what is available and exit")
    args = ap.parse_args()

    signal.signal(signal.SIGTERM, _on_signal)
    args.out, args.json, chart_png = output_paths(args.quick, args.out, args.json)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    t_start = time.monotonic()
    cfg = json.loads(json.dumps(QUICK if args.quick else FULL))  # deep copy
    if args.runs is not None:
        if args.runs < 1:
            raise SystemExit("--runs must be >= 1")
        cfg["runs"] = args.runs
    if args.echo_duration:
        cfg["echo"]["duration"] = args.echo_duration
    if args.timer_count:
        cfg["timers"]["count"] = args.timer_count
    benches = parse_list(args.bench, ALL_BENCHES, "benchmark")
    wanted = ALL_IMPLS if args.impl == "all" else parse_list(args.impl, ALL_IMPLS, "implementation")

    notes = []
    built = build_c(notes)
    avail, versions = detect(built, notes)
    if args.baseline:
        detect_baseline(args.baseline, avail, versions, notes)
    if args.list:
        for impl in ALL_IMPLS:
            print(f"{impl:18s} {'available' if avail.get(impl) else 'NOT available'}")
        for n in notes:
            print("note:", n)
        return 0
    if args.baseline:  # asked for by name: run it even when --impl does not list it
        wanted += [i for i in BASELINE_IMPLS if i not in wanted]
    impls = [i for i in wanted if avail.get(i)]
    for i in wanted:
        if not avail.get(i) and args.impl != "all":
            notes.append(f"{i} was asked for but is not available")
    ref = next((i for i in ("fdevent-compiled", "fdevent-pure") if i in impls), None)

    h = Harness(args, cfg, built, avail)
    pinning = (
        (
            f"servers and single-process benchmarks on CPU {args.server_cpu}, echo load "
            f"generator on CPU {args.load_cpu} (taskset)"
        )
        if h.pin
        else "none"
    )
    meta = {
        "command": "python " + shlex.join(["benchmarks/run.py", *sys.argv[1:]]),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "quick": args.quick,
        "runs": cfg["runs"],
        "config": cfg,
        "machine": machine_info(),
        "versions": versions,
        "impls": impls,
        "reference": ref,
        "notes": notes,
        "pinning": pinning,
        "loadavg_before": loadavg(),
    }

    results = {}
    failures = 0
    for bench in benches:
        bimpls = [i for i in BENCH_IMPLS[bench] if i in impls]
        if not bimpls:
            continue
        if bench == "echo" and "echoload" not in built:
            notes.append("echo skipped: echoload did not build")
            continue
        points = make_points(bench, cfg, bimpls)
        # samples[point][impl] = list over rounds (None for a failed run)
        store = [{i: [] for i in pimpls} for _, _, pimpls in points]
        errors = [{i: [] for i in pimpls} for _, _, pimpls in points]
        fn = getattr(h, bench)
        for r in range(cfg["runs"]):
            for k, (label, params, pimpls) in enumerate(points):
                order = pimpls[r % len(pimpls) :] + pimpls[: r % len(pimpls)]
                for impl in order:
                    t0 = time.monotonic()
                    try:
                        res = fn(impl, params)
                        if bench == "timers":
                            res["rss_growth_kib"] = res["peak_rss_kib"] - res["baseline_rss_kib"]
                        store[k][impl].append(res)
                        key = METRICS[bench][0]
                        log(
                            f"[{bench} {label} run {r + 1}/{cfg['runs']}] {impl:17s} "
                            f"{key}={res.get(key):.6g}  ({time.monotonic() - t0:.1f} s)"
                        )
                    except (BenchError, OSError, KeyError, ValueError) as e:
                        failures += 1
                        store[k][impl].append(None)
                        errors[k][impl].append(str(e))
                        log(f"[{bench} {label} run {r + 1}] {impl}: FAILED: {e}")
        out = []
        for k, (label, params, pimpls) in enumerate(points):
            pt = {"label": label, "params": params, "impls": {}}
            for impl in pimpls:
                samples = store[k][impl]
                summ = {m: summarize_metric(samples, m) for m in METRICS[bench]}
                ratio = {}
                bref = bench_reference(bench, ref, pimpls)
                if bref and bref in store[k]:
                    for m in RATIO_KEYS[bench]:
                        ratio[m] = paired_ratio(samples, store[k][bref], m)
                pt["impls"][impl] = {
                    "summary": summ,
                    "ratio": ratio,
                    "samples": samples,
                    "errors": "; ".join(sorted(set(errors[k][impl])))[:300],
                }
            out.append(pt)
        results[bench] = out

    meta["loadavg_after"] = loadavg()
    meta["elapsed_s"] = time.monotonic() - t_start
    with open(args.json, "w") as f:
        json.dump({"meta": meta, "results": results}, f, indent=1)
    if args.chart and any(b in results for b in ("chain", "echo", "timers")):
        rc, out, err = run_cmd(
            [PY, os.path.join(HERE, "chart.py"), args.json, chart_png],
            env=py_env("asyncio"),
            timeout=120,
        )
        if rc == 0:
            meta["chart"] = os.path.relpath(chart_png, ROOT)
        else:
            notes.append("chart not made: " + (err.strip().splitlines() or ["?"])[-1])
        with open(args.json, "w") as f:
            json.dump({"meta": meta, "results": results}, f, indent=1)
    text = report(results, meta)
    with open(args.out, "w") as f:
        f.write(text + "\n")
    sys.stdout.write(text + "\n")
    log(f"wrote {args.out}, {args.json} in {meta['elapsed_s']:.0f} s; {failures} failed run(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
