#!/usr/bin/env python3
"""Run fdevent's benchmark suite: one command, every benchmark, every implementation.

    python benchmarks/run.py                 # the full suite (about 25 minutes)
    python benchmarks/run.py --quick         # small sizes, 1 run: a smoke test (about a minute)
    python benchmarks/run.py --bench chain,timers --impl fdevent,asyncio --runs 5
    python benchmarks/run.py --list          # what is available on this machine
    python benchmarks/run.py --bench chain --baseline ../wt-baseline/.venv/bin/python

Benchmarks (suite.py describes each): chain (libevent's bench.c idea), echo (TCP ping-pong
against a C load generator), timers (1M one-shot timers, half cancelled), mem (bytes per idle
I/O event), xthread (cross-thread wakeup latency on an idle loop), fdtable (attach/detach time
per event with 1 to 100,000 events on one fd), streammem (bytes per idle Stream), http (wrk
against the HTTP hello example); and the asyncio loops' (issue 14: fdevent.aio, the stdlib's,
uvloop): aio-echo (Protocol and start_server echo), aio-http (wrk against aiohttp and uvicorn),
aio-calls (call_soon, call_later + cancel), aio-mem (bytes per idle transport + protocol),
aio-lateness (call_at timers).
Implementations: fdevent-compiled, fdevent-pure, stream-compiled, stream-pure, asyncio, uvloop,
aio-compiled, aio-pure (fdevent.aio on each core),
libevent (C), libevent-bev (C bufferevents), floor (C, chain only: the syscalls with no event
loop), python-floor (chain only: the floor plus a Python callback per event, still with no event
loop). "fdevent" selects both cores, "stream" both cores' streams,
"aio" both cores' asyncio loops.
With --baseline PYTHON, baseline-compiled and baseline-pure are the fdevent that PYTHON imports
(another checkout: "before"), run by the same scripts, interleaved with the rest, in every
benchmark that runs the *_fdevent.py scripts; each such section gets an after/before table.

--quick writes its report under benchmarks/build/quick/ (unless --out/--json say otherwise),
so a development run never overwrites the committed results.

Method: every measurement is a fresh subprocess (a fresh server for echo and http) with a
timeout; runs are interleaved (round 1: A B C ..., round 2: B C ... A, ...), each figure is the
median over the runs, and each ratio is the median of the per-round ratios (paired within a
round, so slow phases of a noisy machine cancel out). Single-process benchmarks and servers are
pinned to one core (taskset -c 0), the load generators to the other (taskset -c 1).

Writes a markdown report to stdout and to benchmarks/RESULTS.md, the raw samples to
benchmarks/results.json, and (if matplotlib is installed) benchmarks/chart.png.
"""

import argparse
import copy
import datetime
import os
import shlex
import shutil
import signal
import sys
import time

# The runner's modules sit next to this file; put them first on the path also when this file
# is loaded by path (tests/test_bench_paths.py) rather than run.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import impls, measure, probe, procs, report
from harness.report import output_paths
from harness.spec import CProgram
from suite import BY_NAME, SUITE

__all__ = ["main", "output_paths"]

#: The benchmarks chart.py draws panels for: without any of them there is no chart to make.
CHARTED = ("chain", "echo", "timers")
#: Runs per measurement: three gives a median that one slow run cannot move; quick is a smoke test.
RUNS = {"full": 3, "quick": 1}


def parse_args(argv=None):
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--quick",
        action="store_true",
        help="small sizes, 1 run (unless --runs): a smoke test, about a minute",
    )
    ap.add_argument(
        "--bench",
        default=",".join(BY_NAME),
        help=f"comma-separated: {','.join(BY_NAME)} (default: all)",
    )
    ap.add_argument(
        "--impl",
        default="all",
        help="comma-separated: fdevent (= both cores), fdevent-compiled, "
        "fdevent-pure, stream (= both cores' Stream echo), stream-compiled, stream-pure, "
        "aio (= both cores' fdevent.aio), aio-compiled, aio-pure, "
        "asyncio, uvloop, libevent, libevent-bev, floor, python-floor (default: all available)",
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
        "--load-cpu", type=int, default=1, help="core for the load generators (default 1)"
    )
    ap.add_argument(
        "--baseline",
        metavar="PYTHON",
        help="an interpreter whose `import fdevent` is another checkout (before): adds "
        "baseline-compiled and baseline-pure to every benchmark run that has fdevent scripts",
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
    return ap.parse_args(argv)


def sizes_for(args):
    """Every benchmark's sizes for this run (full or quick, then the command line's overrides),
    and the runs per measurement."""
    kind = "quick" if args.quick else "full"
    sizes = {b.name: copy.deepcopy(b.sizes[kind]) for b in SUITE}
    runs = RUNS[kind]
    if args.runs is not None:
        if args.runs < 1:
            raise SystemExit("--runs must be >= 1")
        runs = args.runs
    if args.echo_duration:
        sizes["echo"]["duration"] = args.echo_duration
        sizes["aio-echo"]["duration"] = args.echo_duration
    if args.timer_count:
        sizes["timers"]["count"] = args.timer_count
    return sizes, runs


def missing_needs(bench, built):
    """What bench needs and this machine lacks: a C program that did not build, a tool."""
    out = []
    for need in bench.needs:
        if isinstance(need, CProgram):
            if need.name not in built:
                out.append(f"{need.name} did not build")
        elif not shutil.which(need):
            out.append(f"{need} is not installed")
    return out


def main(argv=None):
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, procs.on_sigterm)
    args.out, args.json, chart_png = output_paths(args.quick, args.out, args.json)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    t_start = time.monotonic()
    sizes, runs = sizes_for(args)
    benches = impls.parse_list(args.bench, list(BY_NAME), "benchmark")
    wanted = (
        list(impls.ALL)
        if args.impl == "all"
        else impls.parse_list(args.impl, impls.ALL, "implementation")
    )

    notes = []
    built = probe.build_c(probe.c_programs(SUITE), notes)
    setup = impls.Setup(built, procs.Pins(args.pin, args.server_cpu, args.load_cpu))
    avail, versions = probe.detect(setup, SUITE, notes)
    if args.baseline:
        setup.baseline, version = probe.detect_baseline(args.baseline)
        probe.detect_baseline_cores(setup, version, avail, versions, notes)
    if args.list:
        for impl in impls.ALL:
            print(f"{impl:18s} {'available' if avail.get(impl) else 'NOT available'}")
        for n in notes:
            print("note:", n)
        return 0
    if args.baseline:  # asked for by name: run it even when --impl does not list it
        wanted += [i for i in impls.BASELINES if i not in wanted]
    run_impls = [i for i in wanted if avail.get(i)]
    for i in wanted:
        if not avail.get(i) and args.impl != "all":
            notes.append(f"{i} was asked for but is not available")

    meta = {
        "command": "python " + shlex.join(["benchmarks/run.py", *sys.argv[1:]]),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "quick": args.quick,
        "runs": runs,
        "config": {"runs": runs, **sizes},
        "machine": probe.machine_info(setup),
        "versions": versions,
        "impls": run_impls,
        # Each benchmark's own (fdevent-compiled, stream-compiled for the streams, uvloop for
        # the aio ones), in the order of the benchmarks run.
        "reference": ", ".join(
            dict.fromkeys(
                r for b in benches if (r := measure.reference(BY_NAME[b], run_impls)) is not None
            )
        )
        or None,
        "notes": notes,
        "pinning": setup.pins.describe(),
        "loadavg_before": probe.loadavg(),
    }

    results = {}
    failures = 0
    for name in benches:
        bench = BY_NAME[name]
        if not any(i in bench.programs for i in run_impls):
            continue
        missing = missing_needs(bench, built)
        if missing:
            notes.append(f"{name} skipped: {'; '.join(missing)}")
            continue
        results[name], failed = measure.run_rounds(bench, setup, sizes[name], runs, run_impls)
        failures += failed

    meta["loadavg_after"] = probe.loadavg()
    meta["elapsed_s"] = time.monotonic() - t_start
    report.write_json(args.json, meta, results)
    if args.chart and any(b in results for b in CHARTED):
        chart = report.draw_chart(args.json, chart_png, setup.env("asyncio"), notes)
        if chart:
            meta["chart"] = chart
        report.write_json(args.json, meta, results)
    text = report.report(SUITE, results, meta)
    with open(args.out, "w") as f:
        f.write(text + "\n")
    sys.stdout.write(text + "\n")
    took = meta["elapsed_s"]
    procs.log(f"wrote {args.out}, {args.json} in {took:.0f} s; {failures} failed run(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
