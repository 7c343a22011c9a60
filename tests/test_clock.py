"""The base's clock (``EventBase(clock=...)``) and ``fdevent.testing.MockClock``.

Every test here runs on both cores and every backend; none of them sleeps, so none can flake.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from fdevent._flags import EV_READ
from fdevent.testing import MockClock


@pytest.fixture
def clock() -> MockClock:
    return MockClock(start=100.0)


@pytest.fixture
def mbase(core: Any, backend: str, clock: MockClock) -> Iterator[Any]:
    b = core.EventBase(backend=backend, clock=clock)
    try:
        yield b
    finally:
        b.close()


def test_clock_must_be_callable(core: Any, backend: str) -> None:
    with pytest.raises(TypeError, match="clock must be callable"):
        core.EventBase(backend=backend, clock=1.5)


def test_mockclock_arguments() -> None:
    assert MockClock()() == 0.0
    assert MockClock(start=5)() == 5.0
    with pytest.raises(TypeError):
        MockClock(start="1")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        MockClock(start=float("nan"))
    with pytest.raises(TypeError):
        MockClock(autojump=1)  # type: ignore[arg-type]
    c = MockClock()
    with pytest.raises(ValueError, match="negative"):
        c.advance(-0.001)
    with pytest.raises(TypeError):
        c.advance(None)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        c.advance(float("inf"))
    assert c() == 0.0  # the failed calls left it where it was
    c.advance(2.5)
    assert c() == 2.5
    assert "2.5" in repr(c)


def test_now_counts_in_the_base_clock(mbase: Any, clock: MockClock) -> None:
    assert mbase.now() == 100.0
    clock.advance(7.0)
    assert mbase.now() == 107.0


def test_default_clock_is_monotonic(base: Any) -> None:
    before = time.monotonic()
    assert before <= base.now() <= time.monotonic()


def test_timer_fires_only_when_the_clock_reaches_its_deadline(
    mbase: Any, core: Any, clock: MockClock
) -> None:
    fired: list[float] = []
    core.Timer(mbase, lambda fd, ev, arg: fired.append(mbase.now())).attach(10.0)
    mbase.loop(nonblock=True)
    clock.advance(9.999)
    mbase.loop(nonblock=True)
    assert fired == []  # never early, however long the real wait
    clock.advance(0.001)
    mbase.loop(nonblock=True)
    assert fired == [110.0]


def test_timers_fire_in_deadline_order(mbase: Any, core: Any, clock: MockClock) -> None:
    order: list[int] = []
    for i, delay in enumerate([5.0, 1.0, 3.0, 1.0, 4.0]):
        core.Timer(mbase, lambda fd, ev, arg: order.append(arg), i).attach(delay)
    clock.advance(10.0)
    mbase.loop(nonblock=True)
    assert order == [1, 3, 2, 4, 0]  # by deadline, ties first come first served


def test_ticker_does_not_drift(mbase: Any, core: Any, clock: MockClock) -> None:
    """Each deadline is the previous one plus the interval, however late the tick ran.

    Time moves by 3/8 s a step (exact in binary): tick k runs at the first step at or after
    100 + k, up to 3/8 s late. A ticker that re-armed from "now" would drift a little each
    time and tick fewer than 60 times in 60 s.
    """
    ticks: list[float] = []
    core.Ticker(mbase, lambda fd, ev, arg: ticks.append(mbase.now())).attach(1.0)
    for _ in range(160):  # 60 s
        clock.advance(0.375)
        mbase.loop(nonblock=True)
    assert len(ticks) == 60
    for k, t in enumerate(ticks, 1):
        assert 100.0 + k <= t < 100.0 + k + 0.375


def test_ticker_skips_missed_ticks(mbase: Any, core: Any, clock: MockClock) -> None:
    ticks: list[float] = []
    tk = core.Ticker(mbase, lambda fd, ev, arg: ticks.append(mbase.now()))
    tk.attach(1.0)
    clock.advance(10.5)  # ten ticks missed: one runs, no burst
    mbase.loop(nonblock=True)
    mbase.loop(nonblock=True)
    assert ticks == [110.5]
    clock.advance(0.99)
    mbase.loop(nonblock=True)
    assert ticks == [110.5]  # the next is a whole interval after the late one
    clock.advance(0.01)
    mbase.loop(nonblock=True)
    assert ticks == [110.5, 111.5]


def test_loopexit_delay_counts_in_the_base_clock(mbase: Any, core: Any, clock: MockClock) -> None:
    mbase.loopexit(30.0)
    mbase.loop(nonblock=True)
    assert not mbase.got_exit
    clock.advance(30.0)
    mbase.loop(nonblock=True)
    assert mbase.got_exit


def test_autojump_runs_an_hour_at_once(core: Any, backend: str) -> None:
    clock = MockClock(autojump=True)
    with core.EventBase(backend=backend, clock=clock) as b:
        ticks: list[float] = []
        core.Ticker(b, lambda fd, ev, arg: ticks.append(b.now())).attach(0.5)
        core.Timer(b, lambda fd, ev, arg: ticks.append(-b.now())).attach(100.25)
        b.loopexit(3600.0)
        started = time.monotonic()
        b.dispatch()
        assert time.monotonic() - started < 30.0  # an hour of virtual time, fast
        assert b.got_exit
        assert clock() == 3600.0
        assert ticks.count(-100.25) == 1
        assert [t for t in ticks if t > 0] == [0.5 * i for i in range(1, 7201)]


def test_autojump_does_not_skip_ready_io(core: Any, backend: str, pair: Any) -> None:
    a, b = pair
    clock = MockClock(autojump=True)
    with core.EventBase(backend=backend, clock=clock) as base:
        seen: list[tuple[str, float]] = []
        core.Timer(base, lambda fd, ev, arg: seen.append(("timer", clock()))).attach(60.0)
        core.Event(base, a, EV_READ, lambda fd, ev, arg: seen.append(("io", clock()))).attach()
        b.send(b"x")
        base.loop(once=True)
        assert seen == [("io", 0.0)]  # ready I/O runs first, without moving time
        base.loop(once=True)
        assert seen == [("io", 0.0), ("timer", 60.0)]


def test_autojump_blocks_for_real_without_a_deadline(core: Any, backend: str, pair: Any) -> None:
    import threading

    a, b = pair
    clock = MockClock(autojump=True)
    with core.EventBase(backend=backend, clock=clock) as base:
        got: list[bytes] = []
        core.Event(base, a, EV_READ, lambda fd, ev, arg: got.append(a.recv(10))).attach()
        t = threading.Timer(0.05, b.send, (b"late",))
        started = time.monotonic()
        t.start()
        base.loop(once=True)
        t.join()
        assert got == [b"late"]
        assert time.monotonic() - started >= 0.05
        assert clock() == 0.0


def test_plain_callable_clock(core: Any, backend: str) -> None:
    now = [1000.0]
    with core.EventBase(backend=backend, clock=lambda: now[0]) as b:
        fired: list[float] = []
        core.Timer(b, lambda fd, ev, arg: fired.append(b.now())).attach(2.0)
        now[0] = 1002.0
        b.loop(nonblock=True)
        assert fired == [1002.0]
