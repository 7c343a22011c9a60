"""The measuring frame shared by xthread_fdevent.py and xthread_asyncio.py.

Cross-thread wakeup latency on an idle loop: the loop runs in the main thread with nothing to
do, blocked in its poll. A producer thread, SAMPLES times: takes the time, asks the loop to run
a callback (fdevent: ``ev.activate()``; asyncio/uvloop: ``loop.call_soon_threadsafe()``), and
waits until the callback has taken its own time; the latency is the difference. Between
samples the producer sleeps ``GAP`` so the loop is back asleep in its poll when the next
request comes: the figure is "wake a sleeping loop and run one callback", not throughput.
"""

import argparse
import threading
import time

import bench_common as bc


def parse_args(doc, uvloop_flag=False):
    ap = argparse.ArgumentParser(description=doc)
    ap.add_argument("--samples", type=int, default=10000)
    ap.add_argument("--warmup", type=int, default=200, help="samples taken first, not kept")
    ap.add_argument("--gap-us", type=float, default=200.0, help="sleep between samples (µs)")
    if uvloop_flag:
        ap.add_argument("--uvloop", action="store_true")
    a = ap.parse_args()
    if a.samples < 1 or a.warmup < 0 or a.gap_us < 0:
        raise SystemExit("bad sizes")
    return a


class Probe:
    """The producer's side and the callback's side of the measurement.

    ``request`` (set by the runner) asks the loop to call ``on_callback`` once; ``stop`` (set
    by the runner) is called in the loop thread after the last sample.
    """

    def __init__(self, a):
        self.a = a
        self.total = a.warmup + a.samples
        self.done = threading.Semaphore(0)
        self.t0 = 0
        self.lat_ns = []
        self.loop_thread = threading.get_ident()
        self.wrong_thread = 0
        self.request = None
        self.stop = None

    def on_callback(self):
        t1 = time.perf_counter_ns()
        self.lat_ns.append(t1 - self.t0)
        if threading.get_ident() != self.loop_thread:
            self.wrong_thread += 1
        if len(self.lat_ns) == self.total:
            self.stop()
        self.done.release()

    def produce(self):
        gap = self.a.gap_us / 1e6
        for _ in range(self.total):
            time.sleep(gap)
            self.t0 = time.perf_counter_ns()
            self.request()
            if not self.done.acquire(timeout=10.0):
                self.error = "a callback did not run within 10 s"
                return

    def start(self):
        self.error = None
        self.thread = threading.Thread(target=self.produce, daemon=True)
        self.thread.start()

    def result(self, impl, **extra):
        self.thread.join(10.0)
        if self.error or len(self.lat_ns) != self.total:
            return {"bench": "xthread", "impl": impl, "error": self.error or "samples missing"}
        kept = sorted(self.lat_ns[self.a.warmup :])
        n = len(kept)

        def q(p):
            return round(kept[min(n - 1, int(p * n))] / 1000, 2)

        return {
            "bench": "xthread",
            "impl": impl,
            "samples": n,
            "gap_us": self.a.gap_us,
            "p50_us": q(0.50),
            "p90_us": q(0.90),
            "p99_us": q(0.99),
            "max_us": round(kept[-1] / 1000, 2),
            "mean_us": round(sum(kept) / n / 1000, 2),
            "wrong_thread": self.wrong_thread,
            **extra,
        }


def emit(res):
    bc.emit(res)
