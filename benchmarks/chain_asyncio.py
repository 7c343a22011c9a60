"""Chain benchmark on asyncio's loop.add_reader (default selector loop, or uvloop with
--uvloop).  Same protocol as chain_fdevent.py: N socketpairs, one reader per read end,
A bytes in flight, each callback reads its byte and writes one into the next pair while
the write budget lasts; a round is timed from run_forever() until every byte has been
read (then loop.stop()).  Prints one JSON line with ns per event (median of rounds).
"""

import os
import sys
import time

import bench_common as bc


def main():
    a = bc.chain_args(__doc__, uvloop_flag=True)
    loop, impl, version = bc.new_asyncio_loop(a.uvloop)
    pairs, rfds, wfds = bc.chain_socketpairs(a.pipes)
    npipes = a.pipes
    wnext = wfds[1:] + wfds[:1]
    read, write = os.read, os.write
    state = [0, 0, 0]

    def on_read(fd, idx):
        read(fd, 1)
        state[0] += 1
        if state[1]:
            write(wnext[idx], b"x")
            state[1] -= 1
        if state[0] == state[2]:
            loop.stop()

    for i in range(npipes):
        loop.add_reader(rfds[i], on_read, rfds[i], i)

    space = npipes // a.active
    samples = []
    for r in range(-1, a.rounds):
        state[0], state[1], state[2] = 0, a.writes, a.active + a.writes
        for i in range(a.active):
            write(wfds[i * space], b"x")
        t0 = time.perf_counter_ns()
        loop.run_forever()
        t1 = time.perf_counter_ns()
        if state[0] != state[2]:
            sys.exit(f"chain: loop stopped after {state[0]} of {state[2]} reads")
        if r >= 0:
            samples.append((t1 - t0) / state[2])

    for fd in rfds:
        loop.remove_reader(fd)
    loop.close()
    bc.close_socketpairs(pairs)
    bc.emit(bc.chain_result(a, impl, samples, version=version))


if __name__ == "__main__":
    main()
