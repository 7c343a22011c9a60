"""Memory per attached idle I/O event on fdevent: FDS eventfds, PER_FD persistent read
events attached on each (fdevent allows several events per fd), so 10,000 x 10 = 100,000
events by default.  Reports the RSS delta (/proc/self/statm) per event, or with
--tracemalloc the Python-heap delta per event.  Prints one JSON line.
"""

import bench_common as bc
import mem_common as mc


def main():
    a = mc.parse_args(__doc__)
    mc.start_tracemalloc(a)
    fdevent, info = bc.import_fdevent()
    from fdevent import EV_PERSIST, EV_READ, Event

    base = fdevent.EventBase()
    fds = mc.make_eventfds(a.fds + 1)
    spare = fds.pop()
    n = a.fds * a.per_fd
    events = [None] * n

    def cb(fd, events, arg):
        pass

    # warm up the code paths (first-use allocations are not per-event cost)
    for _ in range(3):
        w = Event(base, spare, EV_READ | EV_PERSIST, cb)
        w.attach()
        w.detach()
    del w

    def attach_all():
        j = 0
        for fd in fds:
            for _ in range(a.per_fd):
                ev = Event(base, fd, EV_READ | EV_PERSIST, cb)
                ev.attach()
                events[j] = ev
                j += 1

    res = mc.measure(n, a.tracemalloc, attach_all)
    attached = sum(1 for ev in events if ev.attached)
    if attached != n:
        raise SystemExit(f"mem: only {attached} of {n} events report attached")
    for ev in events:
        ev.detach()
    base.close()
    mc.close_fds([*fds, spare])
    bc.emit(
        {
            "bench": "mem",
            "impl": bc.impl_name_fdevent(info),
            "fds": a.fds,
            "per_fd": a.per_fd,
            **res,
            "backend": getattr(base, "backend", "?"),
            **info,
        }
    )


if __name__ == "__main__":
    main()
