"""Timer benchmark on fdevent: COUNT fdevent.Timer(base, cb) objects attached with the
shared pseudo-random delays under 1 s (.attach(delay)), every second one cancelled
(.detach()), then base.dispatch(), which returns once nothing is attached.  CPU from
getrusage over schedule + cancel + run; peak RSS from ru_maxrss.  Prints one JSON line.
"""

import bench_common as bc
import timers_common as tc


def main():
    a = tc.parse_args(__doc__)
    fdevent, info = bc.import_fdevent()
    base = fdevent.EventBase()
    Timer = fdevent.Timer
    timers = []
    state = [0]

    def cb(fd, events, arg):
        state[0] += 1

    def schedule(delays):
        for d in delays:
            t = Timer(base, cb)
            t.attach(d)
            timers.append(t)

    def cancel():
        n = 0
        for t in timers[1::2]:
            t.detach()
            n += 1
        return n

    def run():
        base.dispatch()
        return state[0]

    res = tc.measure(a.count, a.seed, schedule, cancel, run)
    base.close()
    bc.emit(
        {
            "bench": "timers",
            "impl": bc.impl_name_fdevent(info),
            **res,
            "backend": getattr(base, "backend", "?"),
            **info,
        }
    )


if __name__ == "__main__":
    main()
