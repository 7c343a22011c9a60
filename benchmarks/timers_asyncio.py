"""Timer benchmark on asyncio (or uvloop with --uvloop): COUNT loop.call_later() handles
with the shared pseudo-random delays under 1 s, every second one cancelled
(handle.cancel()), then run_forever() until the rest have fired (the last callback
stops the loop).  CPU from getrusage over schedule + cancel + run; peak RSS from
ru_maxrss.  Prints one JSON line.
"""

import bench_common as bc
import timers_common as tc


def main():
    a = tc.parse_args(__doc__, uvloop_flag=True)
    loop, impl, version = bc.new_asyncio_loop(a.uvloop)
    handles = []
    state = [0, 0]  # fired, expected

    def cb():
        state[0] += 1
        if state[0] == state[1]:
            loop.stop()

    def schedule(delays):
        call_later = loop.call_later
        handles.extend(call_later(d, cb) for d in delays)

    def cancel():
        n = 0
        for h in handles[1::2]:
            h.cancel()
            n += 1
        state[1] = len(handles) - n
        return n

    def run():
        if state[1]:
            loop.run_forever()
        return state[0]

    res = tc.measure(a.count, a.seed, schedule, cancel, run)
    loop.close()
    bc.emit({"bench": "timers", "impl": impl, **res, "version": version})


if __name__ == "__main__":
    main()
