"""Cross-thread activate() latency on an idle fdevent loop (the pure or the compiled core:
whichever `import fdevent` loads; FDEVENT_PURE=1 forces the pure one).

The loop blocks in its poll with one persistent event attached that never fires; a producer
thread calls ev.activate(EV_TIMEOUT) on a detached event and waits for its callback.  Prints
one JSON line: p50/p90/p99/max latency in µs from the activate() call to the callback.
"""

import bench_common as bc
import xthread_common as xc


def main():
    a = xc.parse_args(__doc__)
    fdevent, info = bc.import_fdevent()
    from fdevent import EV_PERSIST, EV_TIMEOUT, Event

    base = fdevent.EventBase()
    probe = xc.Probe(a)
    ev = Event(base, -1, EV_TIMEOUT, lambda fd, events, arg: probe.on_callback())
    # Keeps dispatch() running (and blocked) between samples: a timeout it never reaches.
    keeper = Event(base, -1, EV_PERSIST, lambda fd, events, arg: None)
    keeper.attach(86400)
    probe.request = lambda: ev.activate(EV_TIMEOUT)
    probe.stop = base.loopbreak
    probe.start()
    base.dispatch()
    res = probe.result(bc.impl_name_fdevent(info), backend=base.backend, **info)
    keeper.detach()
    base.close()
    xc.emit(res)


if __name__ == "__main__":
    main()
