"""Process supervision: every measurement is a child process, and none outlives the runner.

Each child is spawned here and tracked by PID until it is reaped: ``finish`` waits for it with a
timeout and kills it (by PID: only our own children, never by name) when it overruns; at exit,
or on SIGTERM, ``reap_all`` kills whatever is still running. A benchmark program prints one
JSON line as its result; ``run_json`` turns anything else (a non-zero exit, no JSON, an
``"error"`` key) into a ``BenchError`` that names the command and the tail of its stderr.

Pinning: single-process benchmarks and servers run on one core and load generators on
another (``taskset -c``), so the two sides of a measurement never share a core's time; with
fewer than two cores, or no taskset, nothing is pinned.
"""

import atexit
import contextlib
import json
import os
import select
import shlex
import shutil
import subprocess
import sys
import time

from harness import HERE


class BenchError(Exception):
    """A measurement that failed: the report shows the message in its errors column."""


_children = {}  # pid -> Popen: every process started here and not reaped yet


def reap_all():
    """Kill (by PID) and reap every child still running."""
    for pid, p in list(_children.items()):
        if p.poll() is None:
            with contextlib.suppress(OSError):
                p.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                p.wait(timeout=5)
        _children.pop(pid, None)


atexit.register(reap_all)


def on_sigterm(signum, frame):
    """A SIGTERM handler for the runner: leave no child behind."""
    reap_all()
    sys.exit(128 + signum)


def log(msg):
    sys.stderr.write(msg + "\n")
    sys.stderr.flush()


def spawn(argv, env=None, stdout=subprocess.PIPE):
    """Start argv in benchmarks/ (the scripts import their helpers from there)."""
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


def stop(p, timeout=10):
    """End a server: SIGTERM to its PID (it may have ended by itself), then reap it."""
    if p.poll() is None:
        p.terminate()
    return finish(p, timeout)


def run_cmd(argv, env=None, timeout=60):
    return finish(spawn(argv, env=env), timeout)


def parse_json_line(out):
    """The last line of out that is a JSON object (a program's result), or None."""
    for line in reversed(out.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                return None
    return None


def run_json(argv, env, timeout):
    """Run a benchmark program and return its result line; BenchError if it failed."""
    rc, out, err = run_cmd(argv, env=env, timeout=timeout)
    res = parse_json_line(out)
    if rc != 0 or res is None or "error" in res:
        tail = " | ".join((err.strip().splitlines() or [""])[-3:])
        why = res.get("error") if res and "error" in res else f"exit {rc}"
        raise BenchError(f"{why}: {shlex.join(argv)}: {tail}")
    return res


def wait_ready(server, timeout):
    """The port a server listens on, read from its stdout: "READY <port>" (the benchmark
    servers) or "... on 127.0.0.1:PORT ..." (the examples)."""
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
            if " on 127.0.0.1:" in line:
                return int(line.split(" on 127.0.0.1:", 1)[1].split()[0])
    err = ""
    if server.poll() is not None:
        err = server.stderr.read()[-500:]
    raise BenchError(f"server did not become ready: {buf!r} {err}")


def proc_cpu(pid):
    """utime + stime of pid in seconds, from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Pins:
    """Which core a server (or single-process benchmark) and a load generator run on."""

    def __init__(self, enabled, server_cpu, load_cpu):
        self.on = bool(enabled and shutil.which("taskset") and (os.cpu_count() or 1) >= 2)
        self.server_cpu, self.load_cpu = server_cpu, load_cpu

    def server(self, argv):
        return self._pin(self.server_cpu, argv)

    def load(self, argv):
        return self._pin(self.load_cpu, argv)

    def _pin(self, cpu, argv):
        return ["taskset", "-c", str(cpu), *argv] if self.on else list(argv)

    def describe(self):
        if not self.on:
            return "none"
        return (
            f"servers and single-process benchmarks on CPU {self.server_cpu}, echo load "
            f"generator on CPU {self.load_cpu} (taskset)"
        )
