"""One measurement, and the interleaved rounds that repeat it.

Every measurement is a fresh process (a fresh server, for a served benchmark) with a timeout.
Runs are interleaved: in round r each point runs every implementation once, in an order that
rotates by one each round (A B C, then B C A, ...), so no implementation always runs first
(warm caches, a quiet moment) or last. A run that fails is recorded as None in its round with
its error, and the others carry on.
"""

import time

from harness import procs, stats
from harness.impls import check_core
from harness.procs import BenchError

#: What a failed run raises: the runner records it and goes on; anything else is a runner bug.
RUN_ERRORS = (BenchError, OSError, KeyError, ValueError)
#: Seconds a server has to print its port.
READY_TIMEOUT = 20.0


def measure(bench, setup, sizes, impl, params):
    """Run bench's program for impl once at one point and return its result."""
    argv = bench.programs[impl].argv(setup, impl)
    argv += [str(a) for a in bench.args(sizes, params, impl)]
    if bench.load is None:
        if bench.pin:
            argv = setup.pins.server(argv)
        res = check_core(impl, procs.run_json(argv, setup.env(impl), sizes["timeout"]))
    else:
        server = procs.spawn(setup.pins.server(argv), env=setup.env(impl))
        try:
            port = procs.wait_ready(server, READY_TIMEOUT)
            res = bench.load(setup, sizes, params, port, server.pid)
        finally:
            procs.stop(server)
        res["impl"] = impl
    return bench.derive(res) if bench.derive else res


def points_to_run(bench, sizes, impls):
    """(point, its implementations in the report's order); points with none are left out."""
    order = [i for i in bench.programs if i in impls]
    out = []
    for pt in bench.points(sizes):
        pimpls = [i for i in order if pt.only is None or pt.only(i)]
        if pimpls:
            out.append((pt, pimpls))
    return out


def run_rounds(bench, setup, sizes, runs, impls, log=procs.log):
    """Measure every point of bench for impls, runs times, interleaved.

    Returns (points as results.json holds them, number of failed runs)."""
    points = points_to_run(bench, sizes, impls)
    store = [{i: [] for i in pimpls} for _, pimpls in points]
    errors = [{i: [] for i in pimpls} for _, pimpls in points]
    failures = 0
    key = bench.metrics[0]
    for r in range(runs):
        for k, (pt, pimpls) in enumerate(points):
            shift = r % len(pimpls)
            for impl in pimpls[shift:] + pimpls[:shift]:
                t0 = time.monotonic()
                tag = f"[{bench.name} {pt.label} run {r + 1}/{runs}]"
                try:
                    res = measure(bench, setup, sizes, impl, pt.params)
                except RUN_ERRORS as e:
                    failures += 1
                    store[k][impl].append(None)
                    errors[k][impl].append(str(e))
                    log(f"{tag} {impl}: FAILED: {e}")
                    continue
                store[k][impl].append(res)
                took = time.monotonic() - t0
                log(f"{tag} {impl:17s} {key}={_short(res.get(key))}  ({took:.1f} s)")
    ref = reference(bench, [i for _, pimpls in points for i in pimpls])
    out = []
    for k, (pt, _) in enumerate(points):
        out.append(
            stats.summarize_point(
                pt.label, pt.params, store[k], errors[k], bench.metrics, bench.ratios, ref
            )
        )
    return out, failures


def reference(bench, impls):
    """The implementation bench's ratios are against: the first of bench.reference that runs."""
    return next((i for i in bench.reference if i in impls), None)


def _short(v):
    return f"{v:.6g}" if isinstance(v, (int, float)) else str(v)
