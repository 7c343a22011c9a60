#!/usr/bin/env python3
"""Instructions per event and per request, counted by callgrind: figures that noise cannot move.

    python benchmarks/callgrind.py                          # this tree, compiled core, chain + echo
    python benchmarks/callgrind.py --core compiled,pure --bench chain
    python benchmarks/callgrind.py --bench aio-echo --loops fdevent,uvloop,asyncio --conns 50,1
    python benchmarks/callgrind.py --python /work/before/.venv/bin/python --tree /work/before

On a shared 2-core machine a timing moves by 5-10% from one run to the next; the number of
user-space instructions a program executes (``valgrind --tool=callgrind``, event Ir) moves by
well under 0.5%, so a before/after of a few percent can be read from it. The price: only user
space is counted (the kernel's share of a syscall is not; see RESULTS.md for how the two add
up), and callgrind runs the program about 50 times slower, so the sizes are small.

**chain** (``chain_fdevent.py --pipes 100 --writes W --rounds 1``, ``PYTHONHASHSEED=0``):
the whole process is counted at W = 20,000 and W = 60,000 and the difference divided by the
read callbacks between the two, so the interpreter's start-up, the imports and the setup
cancel out. Each process runs an untimed warm-up round and the timed round, each of
``active + W`` callbacks (active = 100 by default), so the difference is 2 x 40,000 = 80,000
callbacks: "per callback". RESULTS.md section 5 gives that unit; section 7 divided by 40,000
instead ("per write": twice the per-callback figure). Both are printed.

**echo** (``echo_stream.py``, the Stream echo server, 64-byte messages; ``--server`` for
another): the server runs under ``callgrind --instr-atstart=no``: nothing is counted while
Python starts, the listener opens and a warm-up of 2,000 requests runs (``echoload
--max-requests 2000``). Then ``callgrind_control -i on``, a measured ``echoload
--max-requests 20000``, ``callgrind_control -i off`` and a dump: that dump's count over 20,000 is
"per request" (RESULTS.md section 6's figure). It includes the load generator's C connections
being accepted and closed. A second measured run of 40,000 requests gives "marginal": (count
at 40,000 - count at 20,000) / 20,000, where connecting and closing cancel out. The window
ends when echoload has its replies; up to C requests still in flight then are served but not
counted, which is why C=500 is not offered: use C <= 50.

**aio-echo** (``--bench aio-echo``): the same measurement of ``aio_echo.py`` (the asyncio
Protocol echo; ``--api streams`` for ``start_server``) on each loop of ``--loops``: ``fdevent``
(fdevent.aio on each ``--core``), ``uvloop``, ``asyncio`` (the stdlib's). uvloop is C, so its
count compares fairly with the compiled core's.

Unlike the chain's, the echo's count moves a little between runs (about 1-2%): how many
connections one poll returns, and at C=1 whether the loop finds the next request before it
blocks, depend on timing. So each figure is the median of ``--repeat`` fresh servers (3), and
the range is printed with it; compare medians, and treat a change within the ranges as noise.

valgrind 3.19 does not know ``epoll_pwait2`` (syscall 441): it answers ENOSYS, and the compiled
core falls back to ``epoll_wait`` (milliseconds) as on an old kernel. Counts are of that path.

``--tree`` is the checkout measured: its ``benchmarks/`` scripts run with it first on
PYTHONPATH, and the interpreter must import fdevent from it with the core asked for (checked).
The load generator is this tree's ``echoload`` (built here like run.py builds it). Prints a
line per figure, then one JSON line with every count. Load only to 127.0.0.1.
"""

import argparse
import glob
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import ROOT, procs
from harness.probe import build_c
from harness.spec import CProgram

#: Seconds one valgrind run may take (the largest here, the pure core's chain at 60,000
#: writes, takes about a minute on the 2-core VM).
RUN_TIMEOUT = 600
#: Seconds a server under valgrind has to print its port (Python starts ~50x slower).
READY_TIMEOUT = 180


def tree_env(tree, core):
    env = dict(os.environ)
    old = env.get("PYTHONPATH")
    env["PYTHONPATH"] = tree + (os.pathsep + old if old else "")
    env["FDEVENT_PURE"] = "1" if core == "pure" else "0"
    env["PYTHONHASHSEED"] = "0"  # the pure core's dicts and sets: the same layout every run
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def check_tree(python, tree, core):
    """SystemExit unless python, with tree_env, imports tree's fdevent with that core."""
    code = "import fdevent, json; print(json.dumps([fdevent.CORE, fdevent.__file__]))"
    rc, out, err = procs.run_cmd([python, "-c", code], env=tree_env(tree, core), timeout=60)
    if rc != 0:
        raise SystemExit(f"{python}: `import fdevent` failed: {err.strip()[-300:]}")
    got, path = json.loads(out.strip().splitlines()[-1])
    if got != core or not os.path.realpath(path).startswith(os.path.realpath(tree) + os.sep):
        raise SystemExit(f"{python} loads the {got} core from {path}, not the {core} one of {tree}")


def valgrind(out, log, *extra):
    return [
        "valgrind",
        "--tool=callgrind",
        f"--callgrind-out-file={out}",
        f"--log-file={log}",
        *extra,
    ]


def total_ir(path):
    """The instruction count (the "totals:" line) of a callgrind output file."""
    with open(path) as f:
        for line in f:
            if line.startswith("totals:"):
                return int(line.split()[1])
    raise procs.BenchError(f"no totals in {path}")


def chain(args, core, work, pins):
    """Instructions per read callback of the chain benchmark (two process sizes)."""
    script = os.path.join(args.tree, "benchmarks", "chain_fdevent.py")
    counts = {}
    for w in args.writes:
        out = os.path.join(work, f"chain.{core}.{w}.out")
        argv = valgrind(out, out + ".log")
        argv += [args.python, script, "--pipes", "100", "--writes", str(w), "--rounds", "1"]
        t0 = time.monotonic()
        res = procs.run_json(pins.server(argv), tree_env(args.tree, core), RUN_TIMEOUT)
        if res.get("core") != core:
            raise procs.BenchError(f"chain loaded the {res.get('core')} core, not {core}")
        counts[w] = total_ir(out)
        procs.log(f"  chain {core} {w:,} writes: {counts[w]:,} Ir ({time.monotonic() - t0:.0f} s)")
    lo, hi = min(args.writes), max(args.writes)
    callbacks = 2 * (hi - lo)  # the warm-up round and the timed one
    diff = counts[hi] - counts[lo]
    return {
        "bench": "chain",
        "core": core,
        "counts": counts,
        "per_callback": diff / callbacks,
        "per_write": diff / (hi - lo),
    }


def control(pid, *what):
    rc, out, err = procs.run_cmd(["callgrind_control", *what, str(pid)], timeout=60)
    if rc != 0:
        raise procs.BenchError(f"callgrind_control {' '.join(what)}: {(out + err).strip()[-200:]}")


def dump(pid, out, before):
    """Dump the counts since the last dump; the new file's total."""
    control(pid, "-d")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        new = sorted(set(glob.glob(out + ".*")) - before - {out + ".log"})
        if new:
            try:
                return new[-1], total_ir(new[-1])
            except procs.BenchError:
                pass  # still being written
        time.sleep(0.2)
    raise procs.BenchError("callgrind wrote no dump")


def echoload(pins, exe, port, conns, n):
    argv = [exe, "--port", str(port), "--conns", str(conns), "--size", "64", "--warmup", "0"]
    argv += ["--duration", "3600", "--max-requests", str(n), "--stall", "60"]
    return procs.run_json(pins.load(argv), None, RUN_TIMEOUT)


def echo(args, core, conns, work, pins, exe, k, server=None):
    """User-space instructions per request of the echo server at C connections.

    server: (label, script in benchmarks/, its options) for aio-echo; by default the --server
    script, labelled by the core."""
    label, name, extra = server or (core, args.server, ())
    script = os.path.join(args.tree, "benchmarks", name)
    out = os.path.join(work, f"echo.{label}.c{conns}.{k}.out")
    argv = valgrind(out, out + ".log", "--instr-atstart=no")
    argv += [args.python, script, *extra, "--port", "0", "--max-seconds", str(RUN_TIMEOUT)]
    server = procs.spawn(pins.server(argv), env=tree_env(args.tree, core))
    try:
        port = procs.wait_ready(server, READY_TIMEOUT)
        echoload(pins, exe, port, conns, args.warmup)  # not counted
        counts, dumps = {}, set()
        for n in (args.requests, 2 * args.requests):
            control(server.pid, "-i", "on")
            res = echoload(pins, exe, port, conns, n)
            control(server.pid, "-i", "off")
            path, counts[n] = dump(server.pid, out, dumps)
            dumps.add(path)
            # echoload stops at the batch that reaches n: it may count a few more.
            procs.log(f"  echo {label} C={conns} {res['requests']:,} requests: {counts[n]:,} Ir")
    finally:
        procs.stop(server)
    n1, n2 = args.requests, 2 * args.requests
    return {
        "bench": "aio-echo" if server else "echo",
        "server": " ".join([name, *extra]),
        "core": label,
        "conns": conns,
        "counts": counts,
        "per_request": counts[n1] / n1,
        "marginal": (counts[n2] - counts[n1]) / (n2 - n1),
    }


def echo_figure(args, core, conns, work, pins, exe, server=None):
    """The median of --repeat fresh servers' counts per request (and the range), printed."""
    runs = [echo(args, core, conns, work, pins, exe, k, server) for k in range(args.repeat)]
    r = {k: runs[0][k] for k in ("bench", "server", "core", "conns")}
    r["runs"] = runs
    for key in ("per_request", "marginal"):
        r[key] = statistics.median(x[key] for x in runs)
        r[key + "_range"] = [min(x[key] for x in runs), max(x[key] for x in runs)]
    lo, hi = r["per_request_range"]
    print(
        f"{r['bench']} {r['core']} C={conns}: {r['per_request']:,.0f} instructions per request "
        f"(median of {args.repeat}: {lo:,.0f} to {hi:,.0f}; {r['marginal']:,.0f} marginal)",
        flush=True,
    )
    return r


def aio_servers(args, cores):
    """aio-echo's servers, (label, env core, (script, options)): aio_echo.py on fdevent.aio for
    each core asked for, and on each other loop of --loops."""
    api = ("--api", args.api)
    out = []
    for loop in args.loops:
        if loop == "fdevent":
            out += [(f"aio-{c}", c, ("--loop", "fdevent", "--core", c, *api)) for c in cores]
        else:
            out.append((loop, "compiled", ("--loop", loop, *api)))
    return out


def ints(text):
    return [int(x) for x in text.split(",") if x.strip()]


def main():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--python", default=sys.executable, help="the interpreter (default: this one)")
    ap.add_argument("--tree", default=ROOT, help="the checkout measured (default: this one)")
    ap.add_argument("--core", default="compiled", help="compiled, pure or compiled,pure")
    ap.add_argument("--bench", default="chain,echo", help="chain, echo, aio-echo (comma-separated)")
    ap.add_argument("--writes", type=ints, default=[20000, 60000], help="the chain's two sizes")
    ap.add_argument("--conns", type=ints, default=[50, 1], help="echo connections, e.g. 50,1")
    ap.add_argument("--requests", type=int, default=20000, help="echo requests measured")
    ap.add_argument("--warmup", type=int, default=2000, help="echo requests first, not counted")
    ap.add_argument("--server", default="echo_stream.py", help="the echo server in benchmarks/")
    ap.add_argument(
        "--loops",
        type=lambda t: [x for x in t.split(",") if x],
        default=["fdevent", "uvloop"],
        help="aio-echo's loops: fdevent (fdevent.aio on each --core), uvloop, asyncio",
    )
    ap.add_argument("--api", choices=("protocol", "streams"), default="protocol")
    ap.add_argument("--repeat", type=int, default=3, help="echo servers per figure (median)")
    ap.add_argument("--keep", metavar="DIR", help="keep the callgrind files here")
    args = ap.parse_args()
    args.tree = os.path.abspath(args.tree)
    cores = [c for c in args.core.split(",") if c]
    benches = [b for b in args.bench.split(",") if b]
    if not set(cores) <= {"compiled", "pure"} or not set(benches) <= {"chain", "echo", "aio-echo"}:
        raise SystemExit("--core: compiled and/or pure; --bench: chain, echo, aio-echo")
    if not set(args.loops) <= {"fdevent", "uvloop", "asyncio"}:
        raise SystemExit("--loops: fdevent, uvloop, asyncio")
    if len(set(args.writes)) != 2 or max(args.conns, default=1) > 50 or args.requests < 1:
        raise SystemExit("--writes takes two sizes; --conns at most 50; --requests >= 1")
    if args.repeat < 1:
        raise SystemExit("--repeat must be >= 1")
    for tool in ("valgrind", "callgrind_control"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is not installed (apt-get install valgrind)")
    signal.signal(signal.SIGTERM, procs.on_sigterm)
    for core in cores:
        check_tree(args.python, args.tree, core)
    notes = []
    exe = build_c([CProgram("echoload")], notes).get("echoload")
    if {"echo", "aio-echo"} & set(benches) and not exe:
        raise SystemExit("echoload did not build: " + "; ".join(notes))
    pins = procs.Pins(True, 0, 1)
    if args.keep:
        os.makedirs(args.keep, exist_ok=True)
    work = args.keep or tempfile.mkdtemp(prefix="fdevent-callgrind.")
    results = []
    try:
        for core in cores:
            if "chain" in benches:
                r = chain(args, core, work, pins)
                print(
                    f"chain {core}: {r['per_callback']:,.0f} instructions per read callback "
                    f"({r['per_write']:,.0f} per write)",
                    flush=True,
                )
                results.append(r)
            for conns in args.conns if "echo" in benches else ():
                results.append(echo_figure(args, core, conns, work, pins, exe))
        for conns in args.conns if "aio-echo" in benches else ():
            for label, core, extra in aio_servers(args, cores):
                server = (label, "aio_echo.py", extra)
                results.append(echo_figure(args, core, conns, work, pins, exe, server))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    info = {"python": args.python, "tree": args.tree, "valgrind": _version(), "results": results}
    print(json.dumps(info))
    return 0


def _version():
    out = subprocess.run(["valgrind", "--version"], capture_output=True, text=True).stdout
    return out.strip()


if __name__ == "__main__":
    sys.exit(main())
