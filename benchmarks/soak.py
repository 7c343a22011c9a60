"""Soak a stream echo server: many connections, random message sizes, every byte verified.

    python benchmarks/soak.py                         # 2,000 connections for 60 s
    python benchmarks/soak.py --conns 500 --seconds 600 --pure

Opt-in, not in the harness (run.py) or the test suite (tests/test_soak.py is the short
version). The server is benchmarks/echo_stream.py in a subprocess (FDEVENT_PURE=1 with
--pure); the clients are fdevent streams made by connect() in this process, each sending a
message of a random size (1 B to 256 KiB, mostly small: a Pareto draw), waiting for its
whole echo, checking it byte for byte, and sending the next. Every --report seconds it
prints the exchanges, bytes, errors and the server's RSS; at the end, the server's RSS at
each whole minute, and one JSON line. Exits 1 on any error, lost byte or server death.
Only 127.0.0.1; bounded in time.
"""

import argparse
import os
import random
import subprocess
import sys
import time

import bench_common as bc

HERE = os.path.dirname(os.path.abspath(__file__))
MAX_SIZE = 256 << 10


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
    a = ap.parse_args()
    bc.raise_nofile(2 * a.conns + 100)
    fdevent, info = bc.import_fdevent()

    env = dict(os.environ)
    env["PYTHONPATH"] = os.path.dirname(HERE) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("FDEVENT_PURE", None)
    if a.pure:
        env["FDEVENT_PURE"] = "1"
    server = subprocess.Popen(
        [
            sys.executable,
            os.path.join(HERE, "echo_stream.py"),
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
    base.close()
    del clients
    print("server RSS at each minute (MiB):", ", ".join(f"{m / 1024:.1f}" for m in minutes) or "-")
    bc.emit(
        {
            "conns": a.conns,
            "seconds": a.seconds,
            "core": info["core"],
            "server_pure": a.pure,
            "exchanges": stats["messages"],
            "bytes": stats["bytes"],
            "errors": stats["errors"][:20],
            "error_count": len(stats["errors"]),
            "server_rss_kib": rss,
            "server_rss_per_minute_kib": minutes,
        }
    )
    return 1 if stats["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
