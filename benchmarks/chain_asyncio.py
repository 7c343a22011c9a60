"""Chain benchmark on asyncio's loop.add_reader (default selector loop, or uvloop with
--uvloop).  Same protocol as chain_fdevent.py: N socketpairs, one reader per read end,
A bytes in flight, each callback reads its byte and writes one into the next pair while
the write budget lasts; a round is timed from run_forever() until every byte has been
read (then loop.stop()).  Prints one JSON line with ns per event (median of rounds).
"""

import argparse
import asyncio
import os
import socket
import sys
import time

import bench_common as bc


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--pipes", type=int, default=100)
    ap.add_argument("--active", type=int, default=100)
    ap.add_argument("--writes", type=int, default=100000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--uvloop", action="store_true")
    a = ap.parse_args()
    if not (1 <= a.active <= a.pipes) or a.rounds < 1 or a.writes < 0:
        sys.exit("bad sizes")
    bc.raise_nofile(2 * a.pipes + 32)

    if a.uvloop:
        import uvloop

        loop = uvloop.new_event_loop()
        impl, version = "uvloop", uvloop.__version__
    else:
        loop = asyncio.new_event_loop()
        impl, version = "asyncio", sys.version.split()[0]
    asyncio.set_event_loop(loop)

    pairs = [socket.socketpair() for _ in range(a.pipes)]
    rfds = [p[0].fileno() for p in pairs]
    wfds = [p[1].fileno() for p in pairs]
    for s0, s1 in pairs:
        s0.setblocking(False)
        s1.setblocking(False)
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
    for s0, s1 in pairs:
        s0.close()
        s1.close()
    bc.emit(
        {
            "bench": "chain",
            "impl": impl,
            "pipes": npipes,
            "active": a.active,
            "writes": a.writes,
            "events_per_round": a.active + a.writes,
            "rounds": a.rounds,
            "ns_per_event": round(bc.median(samples), 1),
            "samples_ns_per_event": [round(s, 1) for s in samples],
            "version": version,
        }
    )


if __name__ == "__main__":
    main()
