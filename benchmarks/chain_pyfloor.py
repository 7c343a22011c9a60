"""Chain benchmark, Python floor: the syscall floor (chain_floor.c) plus the cost of calling a
Python callback per event, with no event loop at all.

The same callback as chain_fdevent.py (one 1-byte ``os.read``, one 1-byte ``os.write`` to the
next pair while the budget lasts) is called by a plain Python loop that already knows which
pair holds a byte: no polling, no queue, no priority. No Python event library can go below
this; what an event loop adds on top of it is its own cost. Prints one JSON line.
"""

import os
import sys
import time

import bench_common as bc


def main():
    a = bc.chain_args(__doc__)
    pairs, rfds, wfds = bc.chain_socketpairs(a.pipes)
    npipes = a.pipes
    wnext = wfds[1:] + wfds[:1]
    read, write = os.read, os.write
    state = [0, 0]  # reads done, writes left

    def on_read(fd, events, idx):
        read(fd, 1)
        state[0] += 1
        if state[1]:
            write(wnext[idx], b"x")
            state[1] -= 1

    space = npipes // a.active
    samples = []
    for r in range(-1, a.rounds):
        state[0], state[1] = 0, a.writes
        pos = [i * space for i in range(a.active)]
        for p in pos:
            write(wfds[p], b"x")
        target = a.active + a.writes
        t0 = time.perf_counter_ns()
        alive = a.active
        while alive:
            for i in range(a.active):
                p = pos[i]
                if p < 0:
                    continue
                more = state[1] > 0
                on_read(rfds[p], 2, p)
                if more:
                    pos[i] = p + 1 if p + 1 < npipes else 0
                else:
                    pos[i] = -1
                    alive -= 1
        t1 = time.perf_counter_ns()
        if state[0] != target:
            sys.exit(f"pyfloor: {state[0]} reads of {target}")
        if r >= 0:
            samples.append((t1 - t0) / target)
    bc.close_socketpairs(pairs)
    bc.emit(bc.chain_result(a, "python-floor", samples))


if __name__ == "__main__":
    main()
