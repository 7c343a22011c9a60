"""The measuring frame shared by mem_fdevent.py and mem_asyncio.py.

Idle I/O events are read events on eventfds (os.eventfd, one fd each, never written,
so never readable): unlike socketpairs (two fds each) or pipes, 10,000 of them fit well
under the 20,000 open-file limit, and they cost no RSS in this process.
"""

import argparse
import gc
import os
import tracemalloc

import bench_common as bc


def parse_args(doc, per_fd=True, uvloop_flag=False):
    ap = argparse.ArgumentParser(description=doc)
    ap.add_argument("--fds", type=int, default=10000, help="number of eventfds")
    if per_fd:
        ap.add_argument("--per-fd", type=int, default=10, help="events attached on each fd")
    ap.add_argument(
        "--tracemalloc",
        action="store_true",
        help="measure with tracemalloc (Python allocations only) instead of RSS",
    )
    if uvloop_flag:
        ap.add_argument("--uvloop", action="store_true")
    a = ap.parse_args()
    if a.fds < 1 or (per_fd and a.per_fd < 1):
        raise SystemExit("bad sizes")
    bc.raise_nofile(a.fds + 64)
    return a


def make_eventfds(n):
    flags = os.EFD_CLOEXEC | os.EFD_NONBLOCK
    return [os.eventfd(0, flags) for _ in range(n)]


def close_fds(fds):
    for fd in fds:
        os.close(fd)


def measure(nevents, use_tracemalloc, attach_all):
    """Baseline after a gc; attach_all(); gc; measure again.  Everything that is not the
    events (fds, the list that will hold the events) exists before the baseline."""
    gc.collect()
    before = tracemalloc.get_traced_memory()[0] if use_tracemalloc else bc.rss_bytes()
    attach_all()
    gc.collect()
    if use_tracemalloc:
        after = tracemalloc.get_traced_memory()[0]
        method = "tracemalloc"
    else:
        after = bc.rss_bytes()
        method = "rss"
    return {
        "method": method,
        "events": nevents,
        "delta_bytes": after - before,
        "bytes_per_event": round((after - before) / nevents, 1),
    }


def start_tracemalloc(a):
    if a.tracemalloc:
        tracemalloc.start()
