"""RSS across 1,000,000 attach/detach/fire cycles: it must stay flat (no leak per cycle).

Each cycle does what a server does with an event over its life: a read event on a socketpair
attached and fired by real I/O, a one-shot timer attached and fired, a timer attached and
detached before it fires, an activate() on a detached event, and a ``once()``. RSS is read
from /proc/self/statm after warm-up and at every tenth of the run; the result line gives the
growth from the first checkpoint to the last, in bytes and in bytes per cycle. Prints one JSON
line. ``FDEVENT_PURE=1`` measures the pure core.

    python benchmarks/churn_rss.py [--cycles 1000000]
"""

import argparse
import os
import socket

import bench_common as bc


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--cycles", type=int, default=1_000_000)
    a = ap.parse_args()
    fdevent, info = bc.import_fdevent()
    from fdevent import EV_READ, EV_TIMEOUT, Event, Timer

    base = fdevent.EventBase()
    r, w = socket.socketpair()
    r.setblocking(False)
    rfd, wfd = r.fileno(), w.fileno()
    fired = [0]

    def on_read(fd, events, arg):
        os.read(fd, 1)
        fired[0] += 1

    def on_any(fd, events, arg):
        fired[0] += 1

    def cycle() -> None:
        reader = Event(base, rfd, EV_READ, on_read)
        reader.attach()
        os.write(wfd, b"x")
        Timer(base, on_any).attach(0)
        cancelled = Timer(base, on_any)
        cancelled.attach(60)
        cancelled.detach()
        Event(base, -1, EV_TIMEOUT, on_any).activate(EV_TIMEOUT)
        base.once(-1, EV_TIMEOUT, on_any, None, 0)
        base.loop(nonblock=True)
        base.loop(nonblock=True)

    for _ in range(20_000):  # warm-up: first-use allocations, free lists, caches
        cycle()
    checkpoints = []
    step = max(a.cycles // 10, 1)
    fired[0] = 0
    for i in range(a.cycles):
        if i % step == 0:
            checkpoints.append(bc.rss_bytes())
        cycle()
    checkpoints.append(bc.rss_bytes())
    if fired[0] != 4 * a.cycles:
        raise SystemExit(f"churn: {fired[0]} callbacks ran, expected {4 * a.cycles}")
    base.close()
    r.close()
    w.close()
    growth = checkpoints[-1] - checkpoints[0]
    bc.emit(
        {
            "bench": "churn",
            "impl": bc.impl_name_fdevent(info),
            "cycles": a.cycles,
            "rss_checkpoints_kib": [c // 1024 for c in checkpoints],
            "rss_growth_bytes": growth,
            "bytes_per_cycle": round(growth / a.cycles, 4),
            **info,
        }
    )


if __name__ == "__main__":
    main()
