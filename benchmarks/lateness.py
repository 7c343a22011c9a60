"""Timer lateness on an idle loop: how late (or early) a timer fires, per implementation.

    python benchmarks/lateness.py [--count 10000] [--span 0.5] [--seed 12345] [--impl NAME ...]

COUNT timers are armed at once on an otherwise idle loop, with pseudo-random deadlines spread
over [LEAD, SPAN) seconds after the arming began, so every delay is under SPAN and none is
due before the loop runs (arming 10,000 timers takes the pure core ~50 ms: LEAD is 0.15 s).
Each callback takes ``time.monotonic()``. Lateness is that time minus the deadline, taken as
``time.monotonic()`` just *before* the attach plus the delay: the real deadline can only be
later, so an "early" count (lateness < 0) is never a measuring artefact, and the lateness
shown is an upper bound (by the cost of one attach). Implementations: fdevent's
two cores on every backend (``fdevent-compiled-epoll``, ...), asyncio's and uvloop's
``call_later`` (whose deadlines are ``loop.time()``, the same clock). Prints a Markdown table
and one JSON line per implementation. Idle: nothing else runs, so lateness is the wait's
resolution plus the wake-up, not the cost of other callbacks (20 timers due per ms at most).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

LEAD = 0.15


def offsets(count: int, span: float, seed: int) -> list[float]:
    """Each timer's deadline, in seconds after the arming began: in [LEAD, span)."""
    rng = random.Random(seed)
    return [LEAD + rng.random() * (span - LEAD) for _ in range(count)]


def summarize(name: str, late: list[float]) -> dict[str, Any]:
    late_ms = sorted(x * 1000.0 for x in late)
    q = statistics.quantiles(late_ms, n=100, method="inclusive")
    return {
        "impl": name,
        "count": len(late_ms),
        "early": sum(1 for x in late_ms if x < 0.0),
        "p50_ms": q[49],
        "p90_ms": q[89],
        "p99_ms": q[98],
        "max_ms": late_ms[-1],
        "min_ms": late_ms[0],
    }


def run_fdevent(core: str, backend: str, ds: list[float]) -> list[float]:
    mod = importlib.import_module(f"fdevent._{core}")
    late: list[float] = []
    mono = time.monotonic
    with mod.EventBase(backend=backend) as base:

        def cb(fd: int, events: int, due: float) -> None:
            late.append(mono() - due)

        start = mono()
        for off in ds:
            t0 = mono()
            d = start + off - t0
            mod.Timer(base, cb, t0 + d).attach(d)
        base.dispatch()
    return late


def run_asyncio(ds: list[float], factory: Callable[[], asyncio.AbstractEventLoop]) -> list[float]:
    loop = factory()
    late: list[float] = []
    mono = time.monotonic
    try:

        def cb(due: float) -> None:
            late.append(mono() - due)
            if len(late) == len(ds):
                loop.stop()

        start = mono()
        for off in ds:
            t0 = mono()
            d = start + off - t0
            loop.call_later(d, cb, t0 + d)
        loop.run_forever()
    finally:
        loop.close()
    return late


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--count", type=int, default=10000)
    p.add_argument("--span", type=float, default=0.5)
    p.add_argument("--seed", type=int, default=12345)
    p.add_argument("--impl", nargs="*", default=None, help="only these (default: all)")
    a = p.parse_args()
    import fdevent

    ds = offsets(a.count, a.span, a.seed)
    runs: dict[str, Callable[[], list[float]]] = {}
    for core in ("compiled", "pure"):
        for backend in fdevent.supported_backends():
            runs[f"fdevent-{core}-{backend}"] = lambda c=core, b=backend: run_fdevent(c, b, ds)
    runs["asyncio"] = lambda: run_asyncio(ds, asyncio.new_event_loop)
    try:
        import uvloop

        runs["uvloop"] = lambda: run_asyncio(ds, uvloop.new_event_loop)
    except ImportError:
        print("uvloop not installed: skipped", file=sys.stderr)
    rows = []
    for name, fn in runs.items():
        if a.impl and name not in a.impl:
            continue
        rows.append(summarize(name, fn()))
    print(f"{a.count} timers, deadlines in [{LEAD}, {a.span}) s, seed {a.seed}; lateness in ms\n")
    print("| impl | early | p50 | p90 | p99 | max |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['impl']} | {r['early']} | {r['p50_ms']:.3f} | {r['p90_ms']:.3f} "
            f"| {r['p99_ms']:.3f} "
            f"| {r['max_ms']:.3f} |"
        )
    print()
    for r in rows:
        print(json.dumps(r))


if __name__ == "__main__":
    main()
