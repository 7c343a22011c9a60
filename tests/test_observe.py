"""Seeing inside a base: ``stats()``, ``events()``, ``dump()`` and debug mode.

Every test runs on both cores and every backend.
"""

from __future__ import annotations

import gc
import io
import logging
import signal
import time
import warnings
from typing import Any

import pytest
from support.recorder import noop

import fdevent
from fdevent._flags import EV_PERSIST, EV_READ, EV_TIMEOUT, EV_WRITE
from fdevent.testing import MockClock

# -- stats ---------------------------------------------------------------------------------------


def test_stats_of_a_new_base(base: Any) -> None:
    s = base.stats()
    assert isinstance(s, fdevent.Stats)
    assert s == (0, 0, 0, 0, 0, 0, 0, 0.0, 0.0)  # the base's own wakeup is not counted
    assert s._fields == (
        "iterations", "polls", "callbacks", "attached", "active", "timers", "fds",
        "poll_time", "callback_time",
    )  # fmt: skip


def test_stats_count_events(base: Any, core: Any, pair: Any) -> None:
    a, b = pair
    core.Event(base, a, EV_READ | EV_PERSIST, noop).attach(5.0)  # an fd and a deadline
    core.Event(base, a, EV_WRITE, noop).attach()  # the same fd
    core.Event(base, b, EV_READ, noop).attach()
    core.Timer(base, noop).attach(1.0)
    core.Timer(base, noop).activate(EV_TIMEOUT)  # active, not attached
    base.loopexit(10.0)  # not a timer
    s = base.stats()
    assert (s.attached, s.active, s.timers, s.fds) == (4, 1, 2, 2)


def test_stats_count_iterations_callbacks_and_time(base: Any, core: Any) -> None:
    def slow(fd: int, events: int, arg: Any, /) -> None:
        end = time.perf_counter() + 0.02
        while time.perf_counter() < end:
            pass

    for _ in range(3):
        core.Timer(base, slow).attach(0)
    core.Timer(base, noop).attach(0.03)
    base.dispatch()
    s = base.stats()
    assert s.callbacks == 4
    assert s.iterations == s.polls >= 2
    assert s.callback_time >= 0.06  # three busy callbacks of 20 ms, real time
    assert s.poll_time > 0.0
    assert (s.attached, s.active, s.timers) == (0, 0, 0)


def test_stats_time_is_real_whatever_the_clock(core: Any, backend: str) -> None:
    clock = MockClock(autojump=True)
    with core.EventBase(backend=backend, clock=clock) as b:

        def busy(fd: int, events: int, arg: Any, /) -> None:
            end = time.perf_counter() + 0.01
            while time.perf_counter() < end:
                pass

        core.Timer(b, busy).attach(1000.0)
        b.dispatch()
        s = b.stats()
        assert clock() == 1000.0
        assert 0.01 <= s.callback_time < 100.0  # seconds of perf_counter, not of the clock


# -- events and dump -----------------------------------------------------------------------------


def test_events_lists_attached_and_active_once_each(base: Any, core: Any, pair: Any) -> None:
    a, _ = pair
    io_ev = core.Event(base, a, EV_READ, noop)
    io_ev.attach(3.0)  # in the fd table and the heap: listed once
    timer = core.Timer(base, noop)
    timer.attach(1.0)
    timer.activate(EV_TIMEOUT)  # attached and active: once
    only_active = core.Timer(base, noop)
    only_active.activate(EV_TIMEOUT)
    detached = core.Timer(base, noop)
    detached.attach(1.0)
    detached.detach()
    sig = core.Signal(base, signal.SIGUSR2, noop)
    sig.attach()
    try:
        evs = base.events()
        assert len(evs) == 4
        assert {id(e) for e in evs} == {id(io_ev), id(timer), id(only_active), id(sig)}
    finally:
        sig.detach()


def test_events_after_close_and_firing(base: Any, core: Any) -> None:
    core.Timer(base, noop).attach(0)
    base.dispatch()
    assert base.events() == []
    core.Timer(base, noop).attach(5)
    base.close()
    assert base.events() == []


def test_dump_table(core: Any, backend: str, pair: Any) -> None:
    a, _ = pair
    clock = MockClock(start=50.0)
    with core.EventBase(backend=backend, clock=clock) as b:

        def on_read(fd: int, events: int, arg: Any, /) -> None:
            pass

        core.Event(b, a, EV_READ | EV_PERSIST, on_read, {"k": 1}, priority=0).attach(2.5)
        t = core.Timer(b, noop, "arg")
        t.activate(EV_TIMEOUT)
        sig = core.Signal(b, signal.SIGUSR2, noop)
        sig.attach()
        try:
            clock.advance(1.0)
            out = io.StringIO()
            b.dump(out)
        finally:
            sig.detach()
        lines = out.getvalue().splitlines()
        assert "EventBase" in lines[0] and "51.0" in lines[0]
        assert "callback" in lines[1]
        rows = lines[2:]
        assert len(rows) == 3
        (r_io,) = [r for r in rows if "EV_READ|EV_PERSIST" in r]
        assert r_io.split()[0] == str(a.fileno())
        assert " 0 " in r_io and "attached" in r_io and "1.500000" in r_io
        assert "test_dump_table.<locals>.on_read({'k': 1})" in r_io
        (r_t,) = [r for r in rows if "'arg'" in r]
        assert "active" in r_t and "attached" not in r_t and " - " in r_t
        (r_s,) = [r for r in rows if "EV_SIGNAL" in r]
        assert f"sig {int(signal.SIGUSR2)}" in r_s


def test_dump_defaults_to_stderr_at_call_time(
    base: Any, core: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    core.Timer(base, noop).attach(1.0)
    base.dump()
    err = capsys.readouterr().err
    assert "EV_TIMEOUT" in err and "noop" in err


# -- debug mode ----------------------------------------------------------------------------------


def test_debug_flag_and_environment(
    core: Any, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FDEVENT_DEBUG", raising=False)
    with core.EventBase(backend=backend) as b:
        assert b.debug is False
    for value, expect in (("1", True), ("yes", True), ("0", False), ("", False)):
        monkeypatch.setenv("FDEVENT_DEBUG", value)
        with core.EventBase(backend=backend) as b:
            assert b.debug is expect
    monkeypatch.setenv("FDEVENT_DEBUG", "1")
    with core.EventBase(backend=backend, debug=False) as b:
        assert b.debug is False  # explicit wins
    with pytest.raises(TypeError, match="debug"):
        core.EventBase(backend=backend, debug="yes")


def test_slow_callback_duration(base: Any) -> None:
    assert base.slow_callback_duration == 0.1
    base.slow_callback_duration = 0.25
    assert base.slow_callback_duration == 0.25
    with pytest.raises(ValueError):
        base.slow_callback_duration = -1.0
    with pytest.raises(TypeError):
        base.slow_callback_duration = "1"
    assert base.slow_callback_duration == 0.25


def _sleepy(fd: int, events: int, arg: Any, /) -> None:
    time.sleep(arg)


@pytest.mark.parametrize("debug", [True, False])
def test_slow_callback_is_logged_in_debug_mode(
    core: Any, backend: str, debug: bool, caplog: pytest.LogCaptureFixture
) -> None:
    with core.EventBase(backend=backend, debug=debug) as b:
        b.slow_callback_duration = 0.02
        core.Timer(b, _sleepy, 0.03).attach(0)
        core.Timer(b, _sleepy, 0.0).attach(0)
        with caplog.at_level(logging.WARNING, logger="fdevent"):
            b.dispatch()
    records = [r for r in caplog.records if r.name == "fdevent"]
    if not debug:
        assert records == []
        return
    assert len(records) == 1
    msg = records[0].getMessage()
    assert "_sleepy" in msg and "Timer" in msg and "took" in msg


def test_slow_callback_that_raises_is_logged_and_propagates(
    core: Any, backend: str, caplog: pytest.LogCaptureFixture
) -> None:
    def bad(fd: int, events: int, arg: Any, /) -> None:
        time.sleep(0.03)
        raise KeyError("x")

    with core.EventBase(backend=backend, debug=True) as b:
        b.slow_callback_duration = 0.01
        core.Timer(b, bad).attach(0)
        with caplog.at_level(logging.WARNING, logger="fdevent"), pytest.raises(KeyError):
            b.dispatch()
    assert any("bad" in r.getMessage() for r in caplog.records if r.name == "fdevent")


@pytest.mark.parametrize("debug", [True, False])
def test_resource_warning_for_a_collected_base_with_events(
    core: Any, backend: str, debug: bool
) -> None:
    b = core.EventBase(backend=backend, debug=debug)
    core.Timer(b, noop).attach(10.0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        del b
        gc.collect()
    found = [w for w in caught if issubclass(w.category, ResourceWarning)]
    assert len(found) == (1 if debug else 0)
    if debug:
        assert "1 event" in str(found[0].message)


def test_no_resource_warning_for_a_closed_or_empty_base(core: Any, backend: str) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        b = core.EventBase(backend=backend, debug=True)
        core.Timer(b, noop).attach(10.0)
        b.close()
        del b
        b2 = core.EventBase(backend=backend, debug=True)
        del b2
        gc.collect()
    assert [w for w in caught if issubclass(w.category, ResourceWarning)] == []
