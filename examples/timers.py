"""Timers, tickers, priorities and loopexit, on a timeline of about two seconds.

    python examples/timers.py [--backend NAME]

What it prints, each line stamped with the seconds since the start:

- a one-shot ``Timer`` fires once, 0.3 s in;
- a ``Ticker`` fires every 0.45 s (0.45, 0.9, 1.35, 1.8) without drifting: each deadline is the
  previous one plus the interval, not "whenever the last callback ran" plus the interval;
- at 1.0 s a timer activates three events in the order low, medium, high priority; they all
  run in the next iteration, high first, whatever order they were activated in;
- a timer due at 1.5 s is detached before then and never fires;
- ``loopexit(2.0)``, asked for at the start, ends ``dispatch()`` at 2.0 s although the ticker
  is still attached and would run forever.
"""

from __future__ import annotations

import argparse
import time

import fdevent
from fdevent import EV_TIMEOUT, PRIORITY_HIGH, PRIORITY_LOW, PRIORITY_MEDIUM


def main() -> None:
    """Run the timeline and print it."""
    parser = argparse.ArgumentParser(description="fdevent timers, tickers and priorities")
    parser.add_argument("--backend", default=None, help="polling mechanism (default: the best)")
    args = parser.parse_args()

    started = time.monotonic()

    def say(what: str) -> None:
        print(f"[{time.monotonic() - started:.3f}s] {what}", flush=True)

    base = fdevent.EventBase(backend=args.backend)
    say(f"start: backend {base.backend}, core {fdevent.CORE}")

    def on_timer(fd: int, events: int, arg: object) -> None:
        say(f"timer: one-shot, fired after {arg} s (fd={fd}, events={events:#x})")

    fdevent.Timer(base, on_timer, 0.3).attach(0.3)

    ticks = 0

    def on_tick(fd: int, events: int, arg: object) -> None:
        nonlocal ticks
        ticks += 1
        say(f"ticker: tick {ticks}")

    fdevent.Ticker(base, on_tick).attach(0.45)

    def never(fd: int, events: int, arg: object) -> None:
        say("cancelled timer: fired (it should not have)")

    cancelled = fdevent.Timer(base, never)
    cancelled.attach(1.5)

    def ran(fd: int, events: int, arg: object) -> None:
        say(f"priority: {arg} ran")

    # One event per level. Activated together, they run in the same iteration, high first.
    levels = [
        fdevent.Timer(base, ran, name, priority=level)
        for name, level in (
            ("low", PRIORITY_LOW),
            ("medium", PRIORITY_MEDIUM),
            ("high", PRIORITY_HIGH),
        )
    ]

    def activate_all(fd: int, events: int, arg: object) -> None:
        say("priority: activating low, medium, high (in that order)")
        for ev in levels:
            ev.activate(EV_TIMEOUT)  # runs in the next iteration, not inside this callback
        cancelled.detach()
        say("cancel: detached the timer due at 1.5 s")

    fdevent.Timer(base, activate_all).attach(1.0)

    base.loopexit(2.0)
    base.dispatch()
    say(f"loopexit: dispatch() returned (got_exit={base.got_exit}) with the ticker still attached")
    base.close()


if __name__ == "__main__":
    main()
