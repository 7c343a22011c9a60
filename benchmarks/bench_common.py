"""Helpers shared by the Python benchmark scripts (not by the harness only).

Every benchmark script prints exactly one JSON object on one line to stdout as its
result; anything else goes to stderr.
"""

import json
import os
import resource
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
