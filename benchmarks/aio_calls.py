"""Cost of scheduling callbacks on an asyncio loop: fdevent.aio, the stdlib's, or uvloop.

``--method soon``: COUNT ``loop.call_soon(cb)``, then the loop runs them all (one iteration:
they are all ready) and stops. ``--method later``: COUNT ``loop.call_later(delay, cb)``, each
cancelled at once (delays of an hour and more, from the timers benchmark's LCG, so none could
fire), then one loop iteration, where a loop that leaves cancelled timers in its heap purges
them. The figure is CPU ns per call (the process's CPU clock: on a shared machine, time spent
waiting for the core is not counted), schedule (+ cancel) + run, the median of ROUNDS rounds
after a warm-up round of 10,000; each phase is reported too. ``cb`` is a counter's C-level
``__next__``, so the callback's own cost is tiny and the same everywhere, and the count is
checked: every call_soon ran, no call_later did. Prints one JSON line.
"""

import argparse
import itertools
import time

import aio_common
import bench_common as bc


def round_soon(loop, n):
    counter = itertools.count()
    cb, soon = counter.__next__, loop.call_soon
    t0 = time.process_time_ns()
    for _ in range(n):
        soon(cb)
    t1 = time.process_time_ns()
    soon(loop.stop)
    loop.run_forever()
    t2 = time.process_time_ns()
    if next(counter) != n:
        raise SystemExit("not every call_soon callback ran")
    return t1 - t0, t2 - t1


def round_later(loop, delays):
    counter = itertools.count()
    cb, later = counter.__next__, loop.call_later
    t0 = time.process_time_ns()
    for d in delays:
        later(d, cb).cancel()
    t1 = time.process_time_ns()
    loop.call_soon(loop.stop)
    loop.run_forever()
    t2 = time.process_time_ns()
    if next(counter) != 0:
        raise SystemExit("a cancelled call_later callback ran")
    return t1 - t0, t2 - t1


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    aio_common.add_loop_args(ap)
    ap.add_argument("--method", choices=("soon", "later"), default="soon")
    ap.add_argument("--count", type=int, default=1000000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seed", type=int, default=12345)
    a = ap.parse_args()
    if a.count < 1 or a.rounds < 1:
        raise SystemExit("bad sizes")
    loop, info = aio_common.new_loop(a)
    delays = []
    if a.method == "later":
        delays = [3600.0 + us / 1e6 for us in bc.lcg_delays_us(a.count, a.seed)]

    def run(n):
        return round_soon(loop, n) if a.method == "soon" else round_later(loop, delays[:n])

    try:
        run(min(a.count, 10000))  # warm-up: first-use allocations, the heap's growth
        rounds = [run(a.count) for _ in range(a.rounds)]
    finally:
        loop.close()
    total = [(s + r) / a.count for s, r in rounds]
    bc.emit(
        {
            "bench": "aio-calls",
            "method": a.method,
            "count": a.count,
            "rounds": a.rounds,
            "ns_per_call": round(bc.median(total), 1),
            "schedule_ns": round(bc.median([s / a.count for s, _ in rounds]), 1),
            "run_ns": round(bc.median([r / a.count for _, r in rounds]), 1),
            "samples_ns_per_call": [round(t, 1) for t in total],
            **info,
        }
    )


if __name__ == "__main__":
    main()
