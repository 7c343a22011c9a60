"""Timer lateness of ``loop.call_at`` on an idle asyncio loop: fdevent.aio, stdlib, uvloop.

lateness.py's method (its deadlines and its summary are imported), through ``call_at``: COUNT
timers are armed at once with deadlines ``when = t0 + offset``, offsets spread at random over
[0.15, SPAN) s, where ``t0`` is ``loop.time()`` just before the arming. Each callback takes
``time.monotonic()`` and its lateness is that minus ``when``. All three loops' ``time()``
read CLOCK_MONOTONIC (uvloop's, libuv's cached copy of it, can only lag), which the script
checks, so a callback that sees ``time.monotonic() < when`` really ran before its deadline
by the loop's own clock: "early" is never an artefact. Prints one JSON line: the early count,
p50/p90/p99/max lateness in ms, and the time the arming took (arm_ms: past 150 ms, the first
timers were due before the loop ran, and their lateness is the arming's, not the loop's).

``--split`` tells the loop's share of the tail from the machine's: each callback also reads
the thread's CPU clock, and a timer's "on-CPU" lateness is the CPU time the loop's thread
used from its deadline to its callback (from the last callback before the deadline: the
wait uses none), the rest of its lateness being time off the CPU: the kernel's wakeup, or
other processes running. Adds on_cpu_p99_ms, off_cpu_p99_ms and, over the slowest 1% of
timers, off_cpu_share_worst1pct (a tail that is the machine's is mostly off the CPU).
"""

import argparse
import bisect
import time

import aio_common
import bench_common as bc
from lateness import LEAD, offsets, summarize


def split(seen):
    """On-CPU and off-CPU lateness (see the module docstring), from (wall, CPU, when)."""
    walls = [t for t, _, _ in seen]
    on, off = [], []
    for t, c, when in seen:
        j = bisect.bisect_right(walls, when) - 1
        used = min(c - seen[j][1], t - when) if j >= 0 and t > when else 0.0
        on.append(used)
        off.append(t - when - used)
    order = sorted(range(len(seen)), key=lambda i: on[i] + off[i])
    worst = order[len(order) * 99 // 100 :]
    total = sum(on[i] + off[i] for i in worst)
    return {
        "on_cpu_p99_ms": summarize("", on)["p99_ms"],
        "off_cpu_p99_ms": summarize("", off)["p99_ms"],
        "off_cpu_share_worst1pct": sum(off[i] for i in worst) / total if total > 0 else 0.0,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    aio_common.add_loop_args(ap)
    ap.add_argument("--count", type=int, default=10000)
    ap.add_argument("--span", type=float, default=0.5)
    ap.add_argument("--seed", type=int, default=12345)
    ap.add_argument("--split", action="store_true", help="on-CPU vs off-CPU lateness (above)")
    a = ap.parse_args()
    if a.count < 100 or a.span <= LEAD:
        raise SystemExit(f"--count must be >= 100 and --span > {LEAD}")
    loop, info = aio_common.new_loop(a)
    ds = offsets(a.count, a.span, a.seed)
    late = []
    seen = []  # --split: (wall, thread CPU) at each callback
    mono, cpu = time.monotonic, time.thread_time

    def cb(when):
        late.append(mono() - when)
        if len(late) == len(ds):
            loop.stop()

    def cb_split(when):
        t = mono()
        seen.append((t, cpu(), when))
        late.append(t - when)
        if len(late) == len(ds):
            loop.stop()

    try:
        skew = loop.time() - mono()
        if skew > 1e-6:  # the loop's clock runs ahead of the monotonic one: early means nothing
            raise SystemExit(f"loop.time() is {skew:.6f} s ahead of time.monotonic()")
        t0 = loop.time()
        for off in ds:
            loop.call_at(t0 + off, cb_split if a.split else cb, t0 + off)
        arm = mono() - t0
        loop.run_forever()
    finally:
        loop.close()
    res = summarize(info["impl"], late)
    res["arm_ms"] = arm * 1000.0
    if a.split:
        res.update(split(seen))
    bc.emit({"bench": "aio-lateness", "span_s": a.span, "seed": a.seed, **res, **info})


if __name__ == "__main__":
    main()
