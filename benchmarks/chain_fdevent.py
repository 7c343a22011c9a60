"""Chain benchmark on fdevent (the pure or the compiled core: whichever `import fdevent`
loads; FDEVENT_PURE=1 forces the pure one).

N socketpairs, each read end watched by Event(base, fd, EV_READ | EV_PERSIST, cb, idx).
A bytes are injected into A pairs spread over the N; each callback reads its byte and,
while the write budget lasts, writes one byte into the next pair (wrapping).  One round
is timed from dispatch() until every byte has been read (then loopbreak()).  Prints one
JSON line: ns per event (= per read callback), the median of the timed rounds.
"""

import os
import sys
import time

import bench_common as bc


def main():
    a = bc.chain_args(__doc__)
    fdevent, info = bc.import_fdevent()
    from fdevent import EV_PERSIST, EV_READ, Event

    pairs, rfds, wfds = bc.chain_socketpairs(a.pipes)
    npipes = a.pipes
    # wnext[i]: the write end of the pair after i (wrapping)
    wnext = wfds[1:] + wfds[:1]

    base = fdevent.EventBase()
    read, write = os.read, os.write
    # state[0]: reads done, state[1]: writes left, state[2]: reads wanted this round
    state = [0, 0, 0]

    def on_read(fd, events, idx):
        read(fd, 1)
        state[0] += 1
        if state[1]:
            write(wnext[idx], b"x")
            state[1] -= 1
        if state[0] == state[2]:
            base.loopbreak()

    events = [Event(base, rfds[i], EV_READ | EV_PERSIST, on_read, i) for i in range(npipes)]
    for ev in events:
        ev.attach()

    space = npipes // a.active
    samples = []
    for r in range(-1, a.rounds):  # round -1: untimed warm-up
        state[0], state[1], state[2] = 0, a.writes, a.active + a.writes
        for i in range(a.active):
            write(wfds[i * space], b"x")
        t0 = time.perf_counter_ns()
        base.dispatch()
        t1 = time.perf_counter_ns()
        if state[0] != state[2]:
            sys.exit(
                f"chain: dispatch() returned after {state[0]} of {state[2]} reads "
                f"(got_break={getattr(base, 'got_break', '?')})"
            )
        if r >= 0:
            samples.append((t1 - t0) / state[2])

    result = bc.chain_result(
        a, bc.impl_name_fdevent(info), samples, backend=getattr(base, "backend", "?"), **info
    )
    for ev in events:
        ev.detach()
    base.close()
    bc.close_socketpairs(pairs)
    bc.emit(result)


if __name__ == "__main__":
    main()
