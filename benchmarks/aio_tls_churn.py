"""TLS churn: 20,000 TLS connections opened, used and closed against an asyncio TLS echo server;
the server's RSS must stay flat after warm-up (uvloop's known TLS leak is this case).

    python benchmarks/aio_tls_churn.py                      # fdevent.aio, compiled core
    python benchmarks/aio_tls_churn.py --loop uvloop        # or --loop asyncio
    python benchmarks/aio_tls_churn.py --conns 2000 --warmup 500 --core pure

The server is benchmarks/aio_echo.py in a subprocess, with ``--certfile``/``--keyfile``: an
``asyncio.start_server`` stream echo server (``--api protocol``: an ``asyncio.Protocol``) with
the loop's own TLS, on the loop ``--loop`` names (FDEVENT_PURE=1 with ``--core pure``). Its
certificate comes from a throwaway CA made here with trustme (the test extra), written to a
temporary directory that is removed at the end.

The client is this process, on the stdlib's loop whatever the server's (so the client's cost
is the same against every server): ``--concurrency`` connections at a time, each opening a
TLS connection (the CA trusted, the name checked), sending ``--size`` random bytes, reading
the whole echo and comparing it, and closing (``close()`` and ``wait_closed()``:
close_notify both ways; ``--close abort``: ``transport.abort()``, the TCP connection dropped
with no TLS shutdown, as a client that goes away does). The server's RSS (``VmRSS`` in
/proc/PID/status) is read after ``--warmup`` connections and then at every tenth of
``--conns``, each time with no connection open: the client waits until the server's open
fds are back to their count before the first connection (an fd left open is an error), then
0.1 s more. "Flat" is the median, over the intervals between successive samples, of the RSS
growth per connection: a leak raises every interval, while a sample taken before the
server's garbage collector freed the last closed connections (a transport and its protocol
form cycles; asyncio's SSLProtocol holds a 256 KiB buffer) is a spike of up to
--concurrency x 256 KiB that moves two intervals, and a step of the allocator's high-water
mark moves one. The result also gives the growth from the first sample to the last.

Prints one JSON line. Exits 1 on any error: a failed connection, a wrong echo, anything the
server wrote to stderr (asyncio logs a transport's fatal errors there), an fd left open in
the server, RSS growth above ``--max-growth`` bytes per connection, or the server's death.
Only 127.0.0.1; bounded in time (``--max-seconds``).
"""

import argparse
import asyncio
import itertools
import os
import ssl
import statistics
import subprocess
import sys
import tempfile
import time

import aio_common
import bench_common as bc

HERE = os.path.dirname(os.path.abspath(__file__))
#: RSS samples needed to tell a slope (the warm-up one and at least four more).
MIN_SAMPLES = 5


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def cpu_seconds(pid):
    """User + system CPU seconds a process has used, from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def make_certs(tmp):
    """A throwaway CA; its server certificate for 127.0.0.1 and localhost written to ``tmp``.

    Returns (certfile, keyfile, client context trusting the CA)."""
    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    certfile, keyfile = os.path.join(tmp, "server.pem"), os.path.join(tmp, "server.key")
    cert.cert_chain_pems[0].write_to_path(certfile)
    for pem in cert.cert_chain_pems[1:]:
        pem.write_to_path(certfile, append=True)
    cert.private_key_pem.write_to_path(keyfile)
    ctx = ssl.create_default_context()
    ca.configure_trust(ctx)
    return certfile, keyfile, ctx


def steady_fd_count(pid):
    """The server's open fds once the count has held for 0.3 s (at most 5 s): a loop may open
    some after it printed READY (uvloop opens a socketpair for signals as it starts to run)."""
    end = time.monotonic() + 5
    fds, since = fd_count(pid), time.monotonic()
    while time.monotonic() - since < 0.3 and time.monotonic() < end:
        time.sleep(0.05)
        now = fd_count(pid)
        if now != fds:
            fds, since = now, time.monotonic()
    return fds


async def settle(pid, fds_before):
    """Wait (up to 10 s) until the server's open fds are back to ``fds_before``: it closes its
    side of the last connections a moment after the client. Returns the count last seen."""
    end = time.monotonic() + 10
    fds = fd_count(pid)
    while fds != fds_before and time.monotonic() < end:
        await asyncio.sleep(0.02)
        fds = fd_count(pid)
    return fds


async def churn(a, port, ctx, server, fds_before, stats):
    """Open, use and close ``a.conns`` TLS connections, ``a.concurrency`` at a time, pausing
    at each RSS checkpoint until the server holds no connection (so every sample is of the
    same state: an idle server after N connections, not one with a varying number of
    handshakes in flight, each with its own TLS buffers)."""
    payload = os.urandom(a.size)
    step = max(a.conns // 10, 1)
    marks = sorted({a.warmup, a.conns} | {m for m in range(step, a.conns, step) if m > a.warmup})
    deadline = time.monotonic() + a.max_seconds

    async def one():
        reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=ctx)
        try:
            writer.write(payload)
            await writer.drain()
            got = await reader.readexactly(len(payload))
            if got != payload:
                raise ValueError(f"wrong echo of {len(payload)} bytes")
        finally:
            if a.close == "abort":
                writer.transport.abort()
            else:
                writer.close()
            await writer.wait_closed()

    async def worker(mark):
        while stats["started"] < mark and time.monotonic() < deadline:
            stats["started"] += 1
            try:
                await asyncio.wait_for(one(), a.conn_timeout)
            except Exception as exc:  # every failure is counted and shown, none stops the run
                stats["errors"].append(f"{type(exc).__name__}: {exc}")
            stats["done"] += 1

    stats["t0"] = time.monotonic()
    for mark in marks:
        await asyncio.gather(*(worker(mark) for _ in range(a.concurrency)))
        if server.poll() is not None:
            stats["errors"].append("the server died")
            break
        fds = await settle(server.pid, fds_before)
        # A transport closes its socket first and frees its protocol and TLS buffers in a
        # callback after: give the server a moment to run those before the sample.
        await asyncio.sleep(0.1)
        stats["rss"].append((stats["done"], rss_kib(server.pid)))
        stats["fds"].append((stats["done"], fds))
        print(
            f"[{time.monotonic() - stats['t0']:6.1f} s] {stats['done']:,} connections, "
            f"{len(stats['errors'])} errors, server RSS {stats['rss'][-1][1] / 1024:.1f} MiB, "
            f"{fds} fds",
            file=sys.stderr,
            flush=True,
        )
        if stats["done"] < mark:
            break  # out of time
    stats["seconds"] = time.monotonic() - stats["t0"]
    if stats["done"] < a.conns:
        stats["errors"].append(f"only {stats['done']} of {a.conns} connections within the bound")


def main():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    aio_common.add_loop_args(ap)
    ap.add_argument("--api", choices=("streams", "protocol"), default="streams")
    ap.add_argument("--conns", type=int, default=20_000)
    ap.add_argument("--warmup", type=int, default=2_000, help="connections before the first RSS")
    ap.add_argument("--concurrency", type=int, default=20)
    ap.add_argument("--size", type=int, default=1024, help="bytes sent on each connection")
    ap.add_argument(
        "--close",
        choices=("notify", "abort"),
        default="notify",
        help="how the client ends a connection: close() (close_notify both ways, the default) "
        "or transport.abort() (the TCP connection dropped with no TLS shutdown)",
    )
    ap.add_argument(
        "--max-growth",
        type=float,
        default=64.0,
        help="bytes per connection the server's RSS may grow after the warm-up, as the median "
        "over the intervals (default 64: keeping every closed TLS connection, transport, "
        "protocol and SSL object, measures some 1,400 B; a flat server 0-250 over intervals "
        "of 200 connections, 10-40 over intervals of 2,000)",
    )
    ap.add_argument("--conn-timeout", type=float, default=30.0, help="seconds per connection")
    ap.add_argument("--max-seconds", type=float, default=900.0, help="bound on the whole run")
    a = ap.parse_args()
    if not (0 < a.warmup < a.conns) or a.concurrency < 1 or a.size < 1:
        ap.error("need 0 < --warmup < --conns, --concurrency >= 1, --size >= 1")
    bc.raise_nofile(4 * a.concurrency + 100)

    env = dict(os.environ)
    # The fdevent a caller put on PYTHONPATH first (the tests' own, from an sdist), else this
    # checkout's.
    path = [env.get("PYTHONPATH"), os.path.dirname(HERE)]
    env["PYTHONPATH"] = os.pathsep.join(p for p in path if p)
    env.pop("FDEVENT_PURE", None)
    if a.loop == "fdevent" and a.core == "pure":
        env["FDEVENT_PURE"] = "1"
    with tempfile.TemporaryDirectory(prefix="tls-churn-") as tmp:
        certfile, keyfile, ctx = make_certs(tmp)
        argv = [sys.executable, os.path.join(HERE, "aio_echo.py"), "--loop", a.loop]
        if a.loop == "fdevent":  # the server refuses to run as another core than asked
            argv += ["--core", a.core or "compiled"]
        argv += ["--api", a.api, "--port", "0", "--max-seconds", str(a.max_seconds + 60)]
        argv += ["--certfile", certfile, "--keyfile", keyfile]
        errfile = os.path.join(tmp, "server.err")
        with open(errfile, "w") as err:
            server = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err, env=env, text=True)
        try:
            return run(a, server, errfile, ctx)
        finally:
            if server.poll() is None:
                server.terminate()  # by PID: our own child
            server.wait(timeout=10)


def run(a, server, errfile, ctx):
    line = server.stdout.readline()
    if not line.startswith("READY "):
        server.wait(10)
        with open(errfile) as f:
            sys.exit(f"the server did not start:\n{f.read()}")
    port = int(line.split()[1])
    fds_before = steady_fd_count(server.pid)
    stats = {"started": 0, "done": 0, "errors": [], "rss": [], "fds": []}
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(churn(a, port, ctx, server, fds_before, stats))
    finally:
        loop.close()
    fds_after = stats["fds"][-1][1] if stats["fds"] else -1
    server_cpu = cpu_seconds(server.pid) if server.poll() is None else None
    if fds_after != fds_before:
        stats["errors"].append(f"server fds: {fds_before} before, {fds_after} after")
    server.terminate()
    server.wait(timeout=10)
    with open(errfile) as f:
        server_err = f.read().splitlines()
    if server_err:
        stats["errors"].append(f"the server wrote {len(server_err)} lines to stderr")
    rss = stats["rss"]
    growth = per_conn = None
    if len(rss) >= MIN_SAMPLES:
        growth = rss[-1][1] - rss[0][1]
        # The median of the growth per connection between successive samples: a leak raises
        # every interval, while one sample caught before the server's garbage collector ran
        # (a spike) moves two intervals and a one-time step of the allocator one, so neither
        # can pass for a leak nor hide one.
        per_conn = statistics.median(
            (k1 - k0) * 1024 / (n1 - n0) for (n0, k0), (n1, k1) in itertools.pairwise(rss)
        )
    else:
        stats["errors"].append(f"{len(rss)} RSS samples: too few to tell (--warmup too late?)")
    if per_conn is not None and per_conn > a.max_growth:
        stats["errors"].append(
            f"server RSS grew {per_conn:.1f} B per connection after the warm-up "
            f"(bound {a.max_growth:g})"
        )
    # The server checked its core itself (aio_echo.py exits if it loaded the other one).
    core = (a.core or "compiled") if a.loop == "fdevent" else None
    bc.emit(
        {
            "bench": "aio-tls-churn",
            "impl": f"aio-{core}" if core else a.loop,
            "core": core,
            "python": sys.version.split()[0],
            "openssl": ssl.OPENSSL_VERSION,
            "api": a.api,
            "close": a.close,
            "conns": a.conns,
            "done": stats["done"],
            "warmup": a.warmup,
            "concurrency": a.concurrency,
            "size": a.size,
            "seconds": round(stats.get("seconds", 0.0), 2),
            # The server's CPU over its life (start-up and warm-up included): a rough cost per
            # connection, for comparing loops in one quiet run, not a benchmark.
            "server_cpu_s": server_cpu,
            "server_cpu_ms_per_conn": None
            if server_cpu is None
            else round(1000 * server_cpu / max(stats["done"], 1), 3),
            "server_rss_kib": rss,
            "rss_growth_kib": growth,
            "rss_growth_bytes_per_conn": None if per_conn is None else round(per_conn, 2),
            "max_growth_bytes_per_conn": a.max_growth,
            "server_fds_before": fds_before,
            "server_fds_after": fds_after,
            "server_fds": stats["fds"],
            "errors": stats["errors"][:20],
            "error_count": len(stats["errors"]),
            "server_stderr": server_err[:20],
        }
    )
    return 1 if stats["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
