"""The measuring frame shared by timers_fdevent.py and timers_asyncio.py."""

import argparse
import array
import time

import bench_common as bc


def parse_args(doc, uvloop_flag=False):
    ap = argparse.ArgumentParser(description=doc)
    ap.add_argument("--count", type=int, default=1000000)
    ap.add_argument("--seed", type=int, default=12345)
    if uvloop_flag:
        ap.add_argument("--uvloop", action="store_true")
    a = ap.parse_args()
    if a.count < 1:
        raise SystemExit("bad count")
    return a


def measure(count, seed, schedule, cancel, run):
    """Delays are made before the clock starts; then schedule(delays), cancel(), run()
    are timed with getrusage.  Returns the result fields."""
    # 8 bytes a delay, as the C benchmark's array; a list of floats would add 32 MB of input
    # to the peak RSS at 1M timers and hide the library's own memory.
    delays = array.array("d", (us / 1e6 for us in bc.lcg_delays_us(count, seed)))
    base_rss = bc.maxrss_kib()
    c0 = bc.cpu_times()
    w0 = time.perf_counter()
    schedule(delays)
    c1 = bc.cpu_times()
    cancelled = cancel()
    c2 = bc.cpu_times()
    fired = run()
    w1 = time.perf_counter()
    c3 = bc.cpu_times()
    if fired != count - cancelled:
        raise SystemExit(f"timers: {fired} fired, expected {count - cancelled}")
    return {
        "count": count,
        "cancelled": cancelled,
        "fired": fired,
        "cpu_s": round(c3[0] - c0[0] + c3[1] - c0[1], 4),
        "user_s": round(c3[0] - c0[0], 4),
        "sys_s": round(c3[1] - c0[1], 4),
        "schedule_cpu_s": round(sum(c1) - sum(c0), 4),
        "cancel_cpu_s": round(sum(c2) - sum(c1), 4),
        "run_cpu_s": round(sum(c3) - sum(c2), 4),
        "wall_s": round(w1 - w0, 4),
        "peak_rss_kib": bc.maxrss_kib(),
        "baseline_rss_kib": base_rss,
    }
