"""Timeouts, Timer and Ticker: never early, no drift, no catch-up burst, huge and odd values.

Real time only gives lower bounds we can trust, so every "it fired" assertion is a strict
lower bound measured from ``time.monotonic()`` taken just *before* ``attach()`` (the deadline
is taken inside it, so it cannot be earlier), plus a generous ceiling (``SLACK``). Ordering,
drift and skipped ticks, where real time adds nothing, are tested on a virtual clock in
``test_clock.py``.
"""

from __future__ import annotations

import datetime
import math
import time
from typing import Any

import pytest
from support import ROOT
from support.loop import SLACK, spin, timed
from support.recorder import Recorder, noop

from fdevent._flags import EV_PERSIST, EV_READ, EV_TIMEOUT

# -- never early ---------------------------------------------------------------------------------


@pytest.mark.parametrize("timeout", [0.0001, 0.0009, 0.0015, 0.02, 0.05])
def test_timer_never_fires_early(base: Any, core: Any, timeout: float) -> None:
    rec = Recorder()
    t = core.Timer(base, rec)
    attached_at = time.monotonic()
    t.attach(timeout)
    base.dispatch()
    assert rec.count == 1
    assert timeout <= rec.times[0] - attached_at < timeout + SLACK


def test_sub_resolution_waits_do_not_spin(base: Any, core: Any) -> None:
    """Waits shorter than a millisecond are rounded up, not down to a busy poll(0).

    A chain of 100 timers of 0.9 ms each waits ~0.1 s; a loop that polls with a zero
    timeout until each deadline burns that time as CPU, one that sleeps burns a fraction.
    """
    n = 100

    def cb(fd: int, events: int, arg: Any, /) -> None:
        if arg < n:
            core.Timer(base, cb, arg + 1).attach(0.0009)

    cpu0, t0 = time.process_time(), time.monotonic()
    core.Timer(base, cb, 1).attach(0.0009)
    base.dispatch()
    cpu, wall = time.process_time() - cpu0, time.monotonic() - t0
    assert wall >= n * 0.0009
    assert cpu < 0.5 * wall, (cpu, wall)


def test_deadline_is_not_taken_from_a_stale_cached_time(base: Any, core: Any) -> None:
    rec = Recorder()
    base.loop(nonblock=True)  # caches "now"
    time.sleep(0.06)
    attached_at = time.monotonic()
    core.Timer(base, rec).attach(0.05)
    base.dispatch()
    assert 0.05 <= rec.times[0] - attached_at < 0.05 + SLACK


def test_deadline_from_inside_a_slow_callback(base: Any, core: Any) -> None:
    rec = Recorder()
    marks: list[float] = []

    def slow(fd: int, events: int, arg: Any, /) -> None:
        time.sleep(0.06)  # the iteration's cached time is now 0.06 s old
        marks.append(time.monotonic())
        core.Timer(base, rec).attach(0.05)

    core.Timer(base, slow).attach(0)
    base.dispatch()
    assert rec.count == 1
    assert 0.05 <= rec.times[0] - marks[0] < 0.05 + SLACK


def test_attach_zero_fires_on_the_next_iteration(base: Any, core: Any) -> None:
    rec = Recorder()
    core.Timer(base, rec, "z").attach(0)
    base.loop(nonblock=True)
    assert rec.calls == [(-1, EV_TIMEOUT, "z")]


def test_int_timeout(base: Any, core: Any) -> None:
    rec = Recorder()
    core.Timer(base, rec).attach(0)
    core.Timer(base, rec).attach(10**6)
    base.loop(nonblock=True)
    assert rec.count == 1


def test_timedelta_timeout(base: Any, core: Any) -> None:
    rec = Recorder()
    t = core.Timer(base, rec)
    attached_at = time.monotonic()
    t.attach(datetime.timedelta(milliseconds=50))
    base.dispatch()
    assert 0.05 <= rec.times[0] - attached_at < 0.05 + SLACK


def test_reattach_rearms_sooner(base: Any, core: Any) -> None:
    rec = Recorder()
    t = core.Timer(base, rec)
    t.attach(10)
    attached_at = time.monotonic()
    t.attach(0.02)
    assert timed(base.dispatch) < 0.02 + SLACK
    assert rec.count == 1
    assert rec.times[0] - attached_at >= 0.02


def test_reattach_rearms_later(base: Any, core: Any) -> None:
    rec = Recorder()
    t = core.Timer(base, rec)
    t.attach(0.01)
    time.sleep(0.005)
    attached_at = time.monotonic()
    t.attach(0.1)
    base.dispatch()
    assert rec.count == 1
    assert 0.1 <= rec.times[0] - attached_at < 0.1 + SLACK


def test_attach_without_timeout_cancels_the_timeout(base: Any, core: Any, pair: Any) -> None:
    a, b = pair
    rec = Recorder()
    ev = core.Event(base, a, EV_READ, rec)
    ev.attach(0.01)
    ev.attach()
    time.sleep(0.03)
    spin(base, 3)
    assert rec.count == 0
    assert ev.attached and ev.timeout is None
    b.send(b"x")
    base.dispatch()
    assert rec.events == [EV_READ]


def test_timeout_arms_without_ev_timeout_flag(base: Any, core: Any, pair: Any) -> None:
    a, _ = pair
    rec = Recorder()
    core.Event(base, a, EV_READ, rec).attach(0.01)
    base.dispatch()
    assert rec.calls == [(a.fileno(), EV_TIMEOUT, None)]


def test_event_with_no_flags_and_a_timeout_is_a_timer(base: Any, core: Any) -> None:
    rec = Recorder()
    core.Event(base, -1, 0, rec).attach(0)
    base.dispatch()
    assert rec.events == [EV_TIMEOUT]


def test_one_shot_io_event_fired_by_io_drops_its_timeout(base: Any, core: Any, pair: Any) -> None:
    a, b = pair
    rec = Recorder()
    ev = core.Event(base, a, EV_READ, rec)
    ev.attach(0.02)
    b.send(b"x")
    base.loop(nonblock=True)
    time.sleep(0.04)
    spin(base, 2)
    assert rec.count == 1
    assert rec.events[0] & EV_READ  # (a stalled machine may OR in EV_TIMEOUT)
    assert not ev.attached


def test_persistent_io_event_rearms_its_timeout_on_io(base: Any, core: Any, pair: Any) -> None:
    a, b = pair
    rec = Recorder(lambda fd, e, arg: a.recv(10) if e & EV_READ else None)
    ev = core.Event(base, a, EV_READ | EV_PERSIST, rec)
    attached_at = time.monotonic()
    ev.attach(0.15)
    time.sleep(0.075)
    b.send(b"x")
    base.loop(once=True)
    assert rec.events == [EV_READ]
    base.loop(once=True)
    assert rec.events == [EV_READ, EV_TIMEOUT]
    # the I/O at >= 0.075 s pushed the idle timeout to >= 0.225 s from the attach
    assert 0.225 <= rec.times[1] - attached_at < 0.225 + SLACK
    assert ev.attached


# -- infinite and huge ---------------------------------------------------------------------------


@pytest.mark.parametrize("timeout", [math.inf, 1e9, 1e300])
def test_huge_timeouts_wait(base: Any, core: Any, timeout: float) -> None:
    rec = Recorder()
    t = core.Timer(base, rec)
    t.attach(timeout)
    assert timed(lambda: spin(base, 3)) < SLACK
    assert rec.count == 0 and t.attached
    t.detach()


@pytest.mark.parametrize("timeout", [math.inf, 1e9, 1e300])
def test_huge_timeout_does_not_break_the_poll(
    base: Any, core: Any, pair: Any, timeout: float
) -> None:
    a, b = pair
    rec = Recorder()
    core.Timer(base, noop).attach(timeout)  # the nearest (only) deadline bounds the wait
    core.Event(base, a, EV_READ, rec).attach()
    b.send(b"x")
    assert timed(lambda: base.loop(once=True)) < SLACK
    assert rec.events == [EV_READ]


def test_huge_timeout_with_loopexit(base: Any, core: Any) -> None:
    core.Timer(base, noop).attach(1e9)
    core.Ticker(base, noop).attach(math.inf)
    t0 = time.monotonic()
    base.loopexit(0.05)
    base.dispatch()
    assert 0.05 <= time.monotonic() - t0 < 0.05 + SLACK


def test_persistent_with_infinite_interval(base: Any, core: Any, pair: Any) -> None:
    a, b = pair
    rec = Recorder(lambda fd, e, arg: a.recv(10))
    ev = core.Event(base, a, EV_READ | EV_PERSIST, rec)
    ev.attach(math.inf)
    b.send(b"x")
    spin(base, 3)
    assert rec.events == [EV_READ]
    assert ev.attached


# -- Ticker --------------------------------------------------------------------------------------


def test_ticker_ticks_never_early(base: Any, core: Any) -> None:
    interval, window = 0.02, 0.2
    rec = Recorder()
    tick = core.Ticker(base, rec, "t")
    start = time.monotonic()
    tick.attach(interval)
    base.loopexit(window)
    base.dispatch()
    assert rec.count >= 1
    assert set(rec.calls) == {(-1, EV_TIMEOUT, "t")}
    for n, fired in enumerate(rec.times, 1):
        assert fired - start >= n * interval
    # tick n cannot come before start + n * interval, so the window holds at most this many
    assert sum(1 for f in rec.times if f - start <= window) <= round(window / interval)
    assert tick.attached


def test_persistent_event_with_timeout_is_a_ticker(base: Any, core: Any) -> None:
    rec = Recorder(lambda fd, e, arg: ev.detach() if rec.count == 3 else None)
    ev = core.Event(base, -1, EV_PERSIST, rec)
    start = time.monotonic()
    ev.attach(0.01)
    base.dispatch()
    assert rec.events == [EV_TIMEOUT] * 3
    assert rec.times[2] - start >= 0.03


def test_ticker_rearmed_from_its_callback_uses_the_new_interval(base: Any, core: Any) -> None:
    marks: list[float] = []

    def on_tick(fd: int, events: int, arg: Any, /) -> None:
        if rec.count == 1:
            marks.append(time.monotonic())
            tick.attach(0.1)
        else:
            tick.detach()

    rec = Recorder(on_tick)
    tick = core.Ticker(base, rec)
    tick.attach(0.01)
    base.dispatch()
    assert rec.count == 2
    assert 0.1 <= rec.times[1] - marks[0] < 0.1 + SLACK


def test_persistent_cancelling_its_timeout_from_its_callback(
    base: Any, core: Any, pair: Any
) -> None:
    a, b = pair

    def cb(fd: int, events: int, arg: Any, /) -> None:
        ev.attach()  # no more timeout: only I/O now

    rec = Recorder(cb)
    ev = core.Event(base, a, EV_READ | EV_PERSIST, rec)
    ev.attach(0.01)
    base.loop(once=True)
    assert rec.events == [EV_TIMEOUT]
    time.sleep(0.03)
    spin(base, 3)
    assert rec.events == [EV_TIMEOUT]
    assert ev.attached and ev.timeout is None
    b.send(b"x")
    base.loop(nonblock=True)
    assert rec.events == [EV_TIMEOUT, EV_READ]
    ev.detach()


# -- errors specific to timers -------------------------------------------------------------------


@pytest.mark.parametrize("timeout", [0, 0.0, datetime.timedelta(0)])
def test_persistent_timeout_zero_is_value_error(
    base: Any, core: Any, pair: Any, timeout: Any
) -> None:
    a, _ = pair
    for ev in (
        core.Ticker(base, noop),
        core.Event(base, -1, EV_PERSIST, noop),
        core.Event(base, -1, EV_TIMEOUT | EV_PERSIST, noop),
        core.Event(base, a, EV_READ | EV_PERSIST, noop),
    ):
        with pytest.raises(ValueError):
            ev.attach(timeout)
        assert not ev.attached
    assert timed(base.dispatch) < 0.5


def test_timer_and_ticker_need_a_timeout(base: Any, core: Any) -> None:
    for ev in (core.Timer(base, noop), core.Ticker(base, noop)):
        with pytest.raises(ValueError):
            ev.attach()
        with pytest.raises(ValueError):
            ev.attach(None)
        assert not ev.attached


def test_failed_attach_keeps_the_armed_timeout(base: Any, core: Any) -> None:
    rec = Recorder()
    t = core.Timer(base, rec)
    attached_at = time.monotonic()
    t.attach(0.02)
    with pytest.raises(ValueError):
        t.attach()
    with pytest.raises(ValueError):
        t.attach(-1)
    with pytest.raises(ValueError):
        t.attach(math.nan)
    with pytest.raises(TypeError):
        t.attach("1")
    assert t.attached and t.timeout == 0.02
    base.dispatch()
    assert rec.count == 1
    assert 0.02 <= rec.times[0] - attached_at < 0.02 + SLACK


def _kernel_has_epoll_pwait2() -> bool:
    import os

    if not hasattr(os, "uname") or os.uname().sysname != "Linux":
        return False
    major, minor = (int(x) for x in os.uname().release.split(".")[:2])
    return (major, minor) >= (5, 11)


def test_precise_waits_on_the_compiled_epoll_core(base: Any, core: Any, backend: str) -> None:
    """The compiled core waits to the nanosecond with epoll_pwait2; the pure core cannot."""
    import importlib

    rec = Recorder()
    started = time.monotonic()
    core.Timer(base, rec).attach(0.0003)
    base.dispatch()
    assert rec.count == 1 and rec.times[0] - started >= 0.0003  # never early, every backend
    epoll = importlib.import_module(f"{core.__name__}.backends.epoll")
    # Only a wait through epoll tries epoll_pwait2; poll's and select's waits are whole ms
    # and whole µs on both cores.
    if backend == "epoll":
        expect = core.CORE == "compiled" and _kernel_has_epoll_pwait2()
        assert epoll.precise_waits() is expect


def test_lateness_benchmark_finds_no_early_timer() -> None:
    """benchmarks/lateness.py, small: every fdevent core and backend, none early."""
    import json
    import subprocess
    import sys

    import fdevent

    script = ROOT / "benchmarks" / "lateness.py"
    impls = [f"fdevent-{c}-{b}" for c in ("compiled", "pure") for b in fdevent.supported_backends()]
    proc = subprocess.run(
        [sys.executable, str(script), "--count", "300", "--span", "0.3", "--impl", *impls],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert sorted(r["impl"] for r in rows) == sorted(impls)
    for r in rows:
        assert r["count"] == 300 and r["early"] == 0 and r["min_ms"] >= 0.0, r
