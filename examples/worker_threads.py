"""Blocking work in a thread pool, results handled back in the loop's thread.

    python examples/worker_threads.py [--jobs 20] [--workers 4]

The loop must never block, so blocking or CPU-heavy work (here: hashing a few megabytes, and a
sleep standing for a blocking call) goes to a ``concurrent.futures.ThreadPoolExecutor``. Each
result comes back the way libevent programs do it with ``event_active()``: the worker thread
puts the result in an inbox and calls ``inbox.activate(EV_READ)`` on an event of the loop.
``activate()`` may be called from any thread; it wakes the loop at once if it is blocked in its
poll. Activations that arrive before the callback runs merge into one run, so the callback
takes everything the inbox holds, not one item.

The inbox event is attached (persistent, with a long timeout it never reaches) only while jobs
are out: that is what keeps ``dispatch()`` running. When the last result is in, it is
detached and ``dispatch()`` returns. A ticker shows that the loop stays free meanwhile.

Each result line says which thread handled it and how long after the worker finished it was
handled (the wakeup latency).
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures
import hashlib
import sys
import threading
import time

import fdevent
from fdevent import EV_PERSIST, EV_READ

#: The inbox event's interval: never reached in practice; an event with no fd must wait for a
#: timeout (docs/contract.md: an event that waits for nothing cannot be attached).
_FOREVER = 86400.0


def work(job: int) -> tuple[int, str, float]:
    """The blocking part, run in a worker thread: returns (job, digest, when it finished)."""
    time.sleep(0.01 * (job % 7))  # a blocking call of some length
    digest = hashlib.sha256(job.to_bytes(4, "big") * (1 << 18)).hexdigest()
    return job, digest, time.monotonic()


def expected_digest(job: int) -> str:
    """What ``work(job)`` computes, for whoever checks the output."""
    return hashlib.sha256(job.to_bytes(4, "big") * (1 << 18)).hexdigest()


def main() -> int:
    """Run the jobs through the pool; returns the exit status (0 when every result came back)."""
    parser = argparse.ArgumentParser(description="fdevent + a thread pool")
    parser.add_argument("--jobs", type=int, default=20)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--tick", type=float, default=1.0, help="seconds between progress lines")
    args = parser.parse_args()
    if args.jobs < 1 or args.workers < 1 or args.tick <= 0:
        parser.error("--jobs and --workers must be >= 1, --tick > 0")

    started = time.monotonic()
    loop_thread = threading.get_ident()
    inbox: collections.deque[concurrent.futures.Future[tuple[int, str, float]]] = (
        collections.deque()
    )
    handled = 0
    wrong_thread = 0

    def say(line: str) -> None:
        print(f"[{time.monotonic() - started:7.3f}s] {line}", flush=True)

    def on_results(fd: int, events: int, arg: object) -> None:
        nonlocal handled, wrong_thread
        in_loop = threading.get_ident() == loop_thread
        wrong_thread += not in_loop
        while inbox:  # deque.popleft is atomic: workers may append meanwhile
            future = inbox.popleft()
            job, digest, finished = future.result()
            now = time.monotonic()  # per result: one may come in while this callback runs
            handled += 1
            say(
                f"result {job}: {digest[:16]} latency {(now - finished) * 1000:.2f} ms "
                f"(loop thread: {'yes' if in_loop else 'NO'})"
            )
        if handled == args.jobs:
            inbox_event.detach()
            ticker.detach()

    def on_tick(fd: int, events: int, arg: object) -> None:
        say(f"tick: {handled}/{args.jobs} results handled")

    with fdevent.EventBase() as base, concurrent.futures.ThreadPoolExecutor(args.workers) as pool:
        inbox_event = fdevent.Event(base, -1, EV_PERSIST, on_results)
        inbox_event.attach(_FOREVER)
        ticker = fdevent.Ticker(base, on_tick)
        ticker.attach(args.tick)

        def deliver(future: concurrent.futures.Future[tuple[int, str, float]]) -> None:
            # Runs in the worker thread that finished the job.
            inbox.append(future)
            inbox_event.activate(EV_READ)

        say(
            f"{args.jobs} jobs on {args.workers} worker threads "
            f"(backend {base.backend}, core {fdevent.CORE})"
        )
        for job in range(args.jobs):
            pool.submit(work, job).add_done_callback(deliver)
        base.dispatch()
    ok = handled == args.jobs and wrong_thread == 0
    say(f"done: {handled}/{args.jobs} results, all in the loop thread: {wrong_thread == 0}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
