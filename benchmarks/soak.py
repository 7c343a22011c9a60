"""Soak an echo server: many connections, random message sizes, every byte verified, RSS flat.

    python benchmarks/soak.py                         # 2,000 connections for 60 s
    python benchmarks/soak.py --conns 500 --seconds 600 --pure
    python benchmarks/soak.py --server aio-protocol   # an asyncio.Protocol on fdevent.aio
    python benchmarks/soak.py --server aio-protocol --loop uvloop

Opt-in, not in the harness (run.py) or the test suite (tests/test_soak.py is the short
version). The server runs in a subprocess (FDEVENT_PURE=1 with --pure): ``--server stream``
(the default) is benchmarks/echo_stream.py, an fdevent Stream server; ``aio-protocol`` and
``aio-streams`` are benchmarks/aio_echo.py's ``asyncio.Protocol`` and ``start_server`` echo
servers on the loop ``--loop`` names (fdevent.aio by default, of the core --pure chooses).
The clients are fdevent streams made by connect() in this process, each sending a message of
a random size (1 B to 256 KiB, mostly small: a Pareto draw), waiting for its whole echo,
checking it byte for byte, and sending the next. Every --report seconds it prints the
exchanges, bytes, errors and the server's RSS; at the end, the server's RSS at each whole
minute, and one JSON line.

"RSS flat" is checked: the server's RSS at the last sample of the run (all connections still
open, still exchanging) may exceed its RSS at the first sample after --warmup seconds by at
most --rss-bound MiB. The warm-up lets the server reach its working set (the transports'
buffers at their high-water mark, the allocator's arenas); after it, at the ~25,000
exchanges a second of 2,000 connections on a 2-core machine, a leak of 8 bytes per exchange
grows by 10 MiB in 50 s, while a server that only reuses its buffers stays within a few
hundred KiB (RESULTS.md).

Exits 1 on any error, lost byte, server death or RSS growth over the bound. Only 127.0.0.1;
bounded in time.
"""

import argparse
import os
import random
import subprocess
import sys
import time

import aio_common
import bench_common as bc

HERE = os.path.dirname(os.path.abspath(__file__))
MAX_SIZE = 256 << 10
SERVERS = {
    "stream": ["echo_stream.py"],
    "aio-protocol": ["aio_echo.py", "--api", "protocol"],
    "aio-streams": ["aio_echo.py", "--api", "streams"],
}


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def main():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--conns", type=int, default=2000)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--report", type=float, default=10.0, help="seconds between progress lines")
    ap.add_argument("--pure", action="store_true", help="run the server on the pure core")
    ap.add_argument("--server", choices=tuple(SERVERS), default="stream")
    ap.add_argument(
        "--loop",
        choices=aio_common.LOOPS,
        default="fdevent",
        help="the asyncio loop of an aio-* server (default: fdevent.aio)",
    )
    ap.add_argument(
        "--warmup",
        type=float,
        default=10.0,
        help="seconds before the RSS reference sample (default 10)",
    )
    ap.add_argument(
        "--rss-bound",
        type=float,
        default=8.0,
        help="MiB the server's RSS may grow from the reference to the end (default 8: a "
        "leak of 8 B per exchange over 2,000 connections for 60 s grows more than that)",
    )
    a = ap.parse_args()
    if a.warmup >= a.seconds:
        sys.exit("--warmup must be shorter than --seconds")
    bc.raise_nofile(2 * a.conns + 100)
    fdevent, info = bc.import_fdevent()

    env = dict(os.environ)
    env["PYTHONPATH"] = os.path.dirname(HERE) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("FDEVENT_PURE", None)
    if a.pure:
        env["FDEVENT_PURE"] = "1"
    script, *options = SERVERS[a.server]
    if a.server != "stream":
        options += ["--loop", a.loop]
        if a.loop == "fdevent":  # the server refuses to run as the other core
            options += ["--core", "pure" if a.pure else "compiled"]
    server = subprocess.Popen(
        [
            sys.executable,
            os.path.join(HERE, script),
            *options,
            "--port",
            "0",
            "--max-seconds",
            str(a.seconds + 120),
        ],
        stdout=subprocess.PIPE,
        env=env,
        text=True,
    )
    try:
        line = server.stdout.readline()
        if not line.startswith("READY "):
            sys.exit(f"the {a.server} server did not start (exit status {server.wait(10)})")
        port = int(line.split()[1])
        return run(fdevent, info, a, server, port)
    finally:
        if server.poll() is None:
            server.terminate()  # by PID: our own child
        server.wait(timeout=10)


def run(fdevent, info, a, server, port):
    pool = os.urandom(2 * MAX_SIZE)
    stats = {"messages": 0, "bytes": 0, "errors": [], "done": 0}
    base = fdevent.EventBase()
    deadline = time.monotonic() + a.seconds

    class Client:
        __slots__ = ("expected", "got", "rng", "stream")

        def __init__(self, n):
            self.rng = random.Random(n)
            self.got = bytearray()
            self.expected = b""
            self.stream = fdevent.connect(
                base, ("127.0.0.1", port), self.on_read, on_event=self.on_event, timeout=30
            )

        def send(self):
            size = min(MAX_SIZE, int(self.rng.paretovariate(0.7)))
            start = self.rng.randrange(len(pool) - size)
            self.expected = pool[start : start + size]
            self.got.clear()
            self.stream.write(self.expected)

        def on_read(self, stream, arg):
            self.got += stream.input.read()
            if len(self.got) < len(self.expected):
                return
            if self.got != self.expected:
                stats["errors"].append(f"corrupt echo of {len(self.expected)} bytes")
            stats["messages"] += 1
            stats["bytes"] += len(self.expected)
            if time.monotonic() < deadline:
                self.send()
            else:
                stream.close()
                finished()

        def on_event(self, stream, what, arg):
            if what == fdevent.BEV_CONNECTED:
                self.send()
                return
            stats["errors"].append(f"event {what:#x}: {stream.error}")
            stream.close()
            finished()

    def finished():
        # The last client done: nothing is left attached, so dispatch() returns.
        stats["done"] += 1
        if stats["done"] == a.conns:
            ticker.detach()
            guard.detach()
            warm.detach()  # if the run ended early, its samples will not come
            end.detach()

    clients = [Client(n) for n in range(a.conns)]
    t0 = time.monotonic()
    rss = [(0.0, rss_kib(server.pid))]
    minutes = []

    def report(fd, events, arg):
        t = time.monotonic() - t0
        r = rss_kib(server.pid)
        rss.append((t, r))
        if t >= 60 * (len(minutes) + 1) - a.report / 2:  # the report nearest a whole minute
            minutes.append(r)
        print(
            f"[{t:6.1f} s] {stats['messages']:,} exchanges, {stats['bytes'] / 1e6:,.1f} MB, "
            f"{len(stats['errors'])} errors, server RSS {r / 1024:.1f} MiB",
            flush=True,
        )
        if server.poll() is not None:
            stats["errors"].append("the server died")
            base.loopbreak()

    ticker = fdevent.Ticker(base, report)
    ticker.attach(a.report)
    # The two samples "RSS flat" compares, each taken by a timer of its own: after the
    # warm-up, and just before the deadline, while every connection is still exchanging
    # (after it, the clients close one by one and the server frees their buffers).
    flat = {}

    def sample(fd, events, name):
        flat[name] = (round(time.monotonic() - t0, 1), rss_kib(server.pid))

    warm = fdevent.Timer(base, sample, "warm")
    warm.attach(a.warmup)
    end = fdevent.Timer(base, sample, "end")
    end.attach(max(a.warmup, deadline - time.monotonic() - 0.1))
    # A bound if some client never finishes (a Timer, not loopexit(): a pending loopexit
    # would keep the loop alive until it is due).
    guard = fdevent.Timer(base, lambda fd, events, arg: base.loopbreak())
    guard.attach(a.seconds + 60)
    base.dispatch()
    ticker.detach()
    guard.detach()
    lost = a.conns - stats["done"]
    if lost:
        stats["errors"].append(f"{lost} clients never finished")
    growth = None
    if "warm" in flat and "end" in flat:
        growth = flat["end"][1] - flat["warm"][1]
        print(
            f"server RSS {flat['warm'][1] / 1024:.1f} MiB at {flat['warm'][0]} s (after the "
            f"warm-up), {flat['end'][1] / 1024:.1f} MiB at {flat['end'][0]} s: "
            f"{growth / 1024:+.1f} MiB (bound {a.rss_bound:g} MiB)"
        )
        if growth > a.rss_bound * 1024:
            stats["errors"].append(
                f"server RSS grew {growth / 1024:.1f} MiB after the warm-up "
                f"(bound {a.rss_bound:g} MiB)"
            )
    else:
        stats["errors"].append("the RSS samples were not taken (the run ended early)")
    base.close()
    del clients
    print("server RSS at each minute (MiB):", ", ".join(f"{m / 1024:.1f}" for m in minutes) or "-")
    bc.emit(
        {
            "conns": a.conns,
            "seconds": a.seconds,
            "core": info["core"],
            "server": a.server,
            "server_loop": a.loop if a.server != "stream" else None,
            "server_pure": a.pure,
            "exchanges": stats["messages"],
            "bytes": stats["bytes"],
            "errors": stats["errors"][:20],
            "error_count": len(stats["errors"]),
            "server_rss_kib": rss,
            "server_rss_per_minute_kib": minutes,
            "server_rss_warm_kib": flat.get("warm"),
            "server_rss_end_kib": flat.get("end"),
            "server_rss_growth_kib": growth,
            "rss_bound_mib": a.rss_bound,
        }
    )
    return 1 if stats["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
