"""Memory per idle connection: an fdevent Stream (empty buffers) against asyncio's (or
uvloop's) transport + protocol pair, the socket excluded.

CONNS socketpairs are made first (before the baseline: the sockets are not counted); then
one end of each becomes a Stream (--impl fdevent, the core `import fdevent` loads;
FDEVENT_PURE=1 for the pure one) or is handed to `loop.connect_accepted_socket` with a
protocol that keeps its transport (--impl asyncio / uvloop, or --impl aio: fdevent.aio's
loop on the core `import fdevent` loads). Reading is on, nothing is
sent: the connections are idle. The figure is the delta per connection of tracemalloc's
traced memory (Python's allocators, libuv's included: uvloop routes them through Python's
raw allocator), or of RSS with --rss. Prints one JSON line.
"""

import argparse
import asyncio
import gc
import socket
import tracemalloc

import bench_common as bc


class Proto(asyncio.Protocol):
    __slots__ = ("transport",)

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.transport.write(data)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--impl", choices=["fdevent", "aio", "asyncio", "uvloop"], default="fdevent")
    ap.add_argument("--conns", type=int, default=5000)
    ap.add_argument("--rss", action="store_true", help="measure RSS instead of tracemalloc")
    a = ap.parse_args()
    bc.raise_nofile(2 * a.conns + 64)
    pairs = [socket.socketpair() for _ in range(a.conns + 3)]
    keep = [None] * len(pairs)
    info = {}
    if not a.rss:
        tracemalloc.start()

    def measure(make):
        for i in range(3):  # warm up: first-use allocations are not per-connection cost
            keep[i] = make(pairs[i][0])
        gc.collect()
        before = bc.rss_bytes() if a.rss else tracemalloc.get_traced_memory()[0]
        for i in range(3, len(pairs)):
            keep[i] = make(pairs[i][0])
        gc.collect()
        after = bc.rss_bytes() if a.rss else tracemalloc.get_traced_memory()[0]
        return after - before

    if a.impl == "fdevent":
        fdevent, info = bc.import_fdevent()
        base = fdevent.EventBase()

        def on_read(stream, arg):
            stream.write(stream.input.read())

        delta = measure(lambda sock: fdevent.Stream(base, sock, on_read))
        impl = "stream-" + info["core"]
    else:
        if a.impl == "aio":
            _, info = bc.import_fdevent()
            import fdevent.aio

            loop = fdevent.aio.new_event_loop()
        elif a.impl == "uvloop":
            import uvloop

            loop = uvloop.new_event_loop()
        else:
            loop = asyncio.new_event_loop()

        def make(sock):
            coro = loop.connect_accepted_socket(Proto, sock)
            return loop.run_until_complete(coro)  # (transport, protocol)

        delta = measure(make)
        impl = "aio-" + info["core"] if a.impl == "aio" else a.impl
    bc.emit(
        {
            "bench": "streammem",
            "impl": impl,
            "conns": a.conns,
            "method": "rss" if a.rss else "tracemalloc",
            "delta_bytes": delta,
            "bytes_per_conn": round(delta / a.conns, 1),
            **info,
        }
    )


if __name__ == "__main__":
    main()
