"""``fdevent.aio``'s timers in real time: never early, and waited for as precisely as the core.

Real time gives lower bounds we can trust and upper bounds only on a quiet machine, so the
precision check takes the *smallest* lateness of many waits: a busy machine only adds to each
one, and one quiet wait is enough. A wait rounded up to whole milliseconds, as
``select.epoll.poll()`` and ``poll()`` do, makes every timer due 0.2 ms ahead at least 0.8 ms
late, so that minimum tells a nanosecond wait (epoll_pwait2, the compiled core) or a
microsecond one (select) from a millisecond one (RESULTS.md, section 14).
"""

from __future__ import annotations

import importlib
import os
import time
from types import ModuleType
from typing import Any

#: Sequential call_at timers, each due this far ahead of the moment it is armed.
ROUNDS = 25
AHEAD = 0.0002
#: Below what a whole-millisecond wait allows (AHEAD rounded up to 1 ms: 0.8 ms late).
PRECISE = 0.0006


def _epoll_pwait2_expected(core: ModuleType) -> bool:
    # The compiled core waits with epoll_pwait2 from Linux 5.11 (a seccomp filter that
    # refuses it would fall back to milliseconds; precise_waits() says which it got).
    if core.CORE != "compiled" or not hasattr(os, "uname") or os.uname().sysname != "Linux":
        return False
    major, minor = (int(x) for x in os.uname().release.split(".")[:2])
    return (major, minor) >= (5, 11)


def _lateness(loop: Any) -> list[float]:
    # One call_at at a time, each armed by the previous one's callback: every wait is the
    # loop's _run_once waiting for exactly one timer, as an idle asyncio program does.
    late: list[float] = []

    def fire(when: float) -> None:
        late.append(time.monotonic() - when)
        if len(late) < ROUNDS:
            arm()
        else:
            loop.stop()

    def arm() -> None:
        when = loop.time() + AHEAD
        loop.call_at(when, fire, when)

    loop.call_soon(arm)
    loop.run_forever()
    return late


def test_call_at_waits_as_precisely_as_the_core(core: ModuleType, backend: str) -> None:
    aio = importlib.import_module(f"{core.__name__}.aio")
    loop = aio.Loop(core.EventBase(backend=backend))
    try:
        late = _lateness(loop)
    finally:
        loop.close()
    assert len(late) == ROUNDS
    assert min(late) >= 0.0  # never early, on every core and backend
    assert max(late) < 2.0  # it did fire (a generous ceiling)
    epoll = importlib.import_module(f"{core.__name__}.backends.epoll")
    if backend == "epoll" and _epoll_pwait2_expected(core):
        assert epoll.precise_waits() is True
        assert min(late) < PRECISE, late
    elif backend == "select":  # a timeval: microseconds on both cores
        assert min(late) < PRECISE, late


def test_call_later_from_a_callback_is_never_early(core: ModuleType, backend: str) -> None:
    # call_later's delay counts from the call (time() read fresh), also when the call is
    # made late in an iteration whose cached time is older.
    aio = importlib.import_module(f"{core.__name__}.aio")
    loop = aio.Loop(core.EventBase(backend=backend))
    got: list[tuple[float, float]] = []

    def busy_then_schedule() -> None:
        end = time.monotonic() + 0.003
        while time.monotonic() < end:
            pass
        for delay in (0.0, 0.0001, 0.0005, 0.002):
            called = time.monotonic()
            loop.call_later(delay, lambda d=delay, c=called: got.append((d, time.monotonic() - c)))
        loop.call_later(0.01, loop.stop)

    try:
        loop.call_soon(busy_then_schedule)
        loop.run_forever()
    finally:
        loop.close()
    assert [d for d, _ in got] == [0.0, 0.0001, 0.0005, 0.002]
    for delay, waited in got:
        assert waited >= delay, (delay, waited)
