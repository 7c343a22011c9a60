"""Helpers shared by the Python benchmark scripts (not by the harness only).

Every benchmark script prints exactly one JSON object on one line to stdout as its
result; anything else goes to stderr.
"""

import argparse
import json
import os
import resource
import socket
import statistics
import sys


def raise_nofile(need=0):
    """Raise the soft RLIMIT_NOFILE to the hard limit; fail clearly if `need` won't fit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        soft = hard
    if need and need > soft:
        sys.exit(f"open-file limit {soft} is too low: this run needs about {need} fds")
    return soft


def emit(obj):
    """Print the one machine-readable result line."""
    sys.stdout.write(json.dumps(obj, sort_keys=False) + "\n")
    sys.stdout.flush()


def ready(port):
    """Tell the harness the server listens (it reads "READY <port>" from stdout)."""
    sys.stdout.write(f"READY {port}\n")
    sys.stdout.flush()


def serve_forever(loop, server, max_seconds):
    """Say READY, run an asyncio server's loop for at most max_seconds, then close both."""
    loop.call_later(max_seconds, loop.stop)
    ready(server.sockets[0].getsockname()[1])
    try:
        loop.run_forever()
    finally:
        server.close()
        loop.close()


def median(values):
    return statistics.median(values) if values else None


def rss_bytes():
    """Resident set size now, from /proc/self/statm (pages * page size)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def cpu_times():
    """(user, sys) CPU seconds of this process so far, from getrusage."""
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime, ru.ru_stime


def maxrss_kib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def import_fdevent():
    """Import fdevent and return (module, info dict). Honour FDEVENT_PURE as the library does."""
    import fdevent

    info = {
        "core": getattr(fdevent, "CORE", "unknown"),
        "fdevent_version": getattr(fdevent, "__version__", "unknown"),
        "fdevent_pure_env": os.environ.get("FDEVENT_PURE", ""),
    }
    return fdevent, info


def impl_name_fdevent(info):
    return "fdevent-" + info["core"]


def lcg_delays_us(n, seed):
    """The delay sequence shared with timers_libevent.c: a 64-bit LCG, (x >> 33) % 1e6 µs."""
    # A generator: the caller stores what it needs compactly (timers_common keeps an
    # array('d')), so the input does not weigh on the peak RSS being measured.
    mask = (1 << 64) - 1
    x = seed & mask
    a, c = 6364136223846793005, 1442695040888963407
    for _ in range(n):
        x = (x * a + c) & mask
        yield (x >> 33) % 1000000


def new_asyncio_loop(use_uvloop):
    """A new event loop (uvloop's with use_uvloop), set as the current one.

    Returns (loop, impl, version) where impl is "uvloop" or "asyncio"."""
    import asyncio

    if use_uvloop:
        import uvloop

        loop = uvloop.new_event_loop()
        impl, version = "uvloop", uvloop.__version__
    else:
        loop = asyncio.new_event_loop()
        impl, version = "asyncio", sys.version.split()[0]
    asyncio.set_event_loop(loop)
    return loop, impl, version


# ---------------------------------------------------------------- chain benchmark


def chain_args(doc, uvloop_flag=False):
    """The chain scripts' command line (--pipes --active --writes --rounds [--uvloop]),
    checked, with the open-file limit raised for the socketpairs."""
    ap = argparse.ArgumentParser(description=doc)
    ap.add_argument("--pipes", type=int, default=100)
    ap.add_argument("--active", type=int, default=100)
    ap.add_argument("--writes", type=int, default=100000)
    ap.add_argument("--rounds", type=int, default=5)
    if uvloop_flag:
        ap.add_argument("--uvloop", action="store_true")
    a = ap.parse_args()
    if not (1 <= a.active <= a.pipes) or a.rounds < 1 or a.writes < 0:
        sys.exit("bad sizes")
    raise_nofile(2 * a.pipes + 32)
    return a


def chain_socketpairs(n):
    """n non-blocking socketpairs: returns (pairs, read fds, write fds)."""
    pairs = [socket.socketpair() for _ in range(n)]
    for s0, s1 in pairs:
        s0.setblocking(False)
        s1.setblocking(False)
    return pairs, [p[0].fileno() for p in pairs], [p[1].fileno() for p in pairs]


def close_socketpairs(pairs):
    for s0, s1 in pairs:
        s0.close()
        s1.close()


def chain_result(a, impl, samples, **extra):
    """The chain result object: the sizes, the median and the samples, then `extra`."""
    return {
        "bench": "chain",
        "impl": impl,
        "pipes": a.pipes,
        "active": a.active,
        "writes": a.writes,
        "events_per_round": a.active + a.writes,
        "rounds": a.rounds,
        "ns_per_event": round(median(samples), 1),
        "samples_ns_per_event": [round(s, 1) for s in samples],
        **extra,
    }
