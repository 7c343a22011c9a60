"""Attach and detach time per event with K events on one fd (fdevent; FDEVENT_PURE=1 for the
pure core).

K persistent read events are created on one eventfd that is never written (creation is not
timed).  One pass attaches all K, then detaches all K in the same order; passes repeat until
at least --ops attaches have been timed, so K=1 is not a single clock read.  With an fd table
that keeps each fd's events in an intrusive list, both figures are flat in K; with one that
rebuilds a tuple per change they grow linearly in K (quadratically per pass).  Prints one JSON
line: ns per attach and per detach (medians of --rounds).
"""

import argparse
import os
import time

import bench_common as bc


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--per-fd", type=int, default=100, help="K: events on the one fd")
    ap.add_argument("--ops", type=int, default=200000, help="attaches timed per round, at least")
    ap.add_argument("--rounds", type=int, default=5)
    a = ap.parse_args()
    if a.per_fd < 1 or a.ops < 1 or a.rounds < 1:
        raise SystemExit("bad sizes")
    fdevent, info = bc.import_fdevent()
    from fdevent import EV_PERSIST, EV_READ, Event

    base = fdevent.EventBase()
    fd = os.eventfd(0, os.EFD_CLOEXEC | os.EFD_NONBLOCK)

    def cb(fd, events, arg):
        pass

    events = [Event(base, fd, EV_READ | EV_PERSIST, cb) for _ in range(a.per_fd)]
    passes = max(1, -(-a.ops // a.per_fd))
    clock = time.perf_counter_ns
    attach_ns, detach_ns = [], []
    for r in range(-1, a.rounds):  # round -1: untimed warm-up
        t_att = t_det = 0
        for _ in range(passes):
            t0 = clock()
            for ev in events:
                ev.attach()
            t1 = clock()
            for ev in events:
                ev.detach()
            t2 = clock()
            t_att += t1 - t0
            t_det += t2 - t1
        if r >= 0:
            n = passes * a.per_fd
            attach_ns.append(t_att / n)
            detach_ns.append(t_det / n)
    attached = sum(1 for ev in events if ev.attached)
    base.close()
    os.close(fd)
    if attached:
        raise SystemExit(f"fdtable: {attached} events still attached after the last pass")
    at, de = bc.median(attach_ns), bc.median(detach_ns)
    bc.emit(
        {
            "bench": "fdtable",
            "impl": bc.impl_name_fdevent(info),
            "per_fd": a.per_fd,
            "passes": passes,
            "rounds": a.rounds,
            "attach_ns": round(at, 1),
            "detach_ns": round(de, 1),
            "attach_detach_ns": round(at + de, 1),
            "samples_attach_ns": [round(x, 1) for x in attach_ns],
            "samples_detach_ns": [round(x, 1) for x in detach_ns],
            "backend": getattr(base, "backend", "?"),
            **info,
        }
    )


if __name__ == "__main__":
    main()
