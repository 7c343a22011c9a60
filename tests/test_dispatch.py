"""docs/contract.md "Dispatch semantics", clause by clause, and the loop controls around them.

Ordering is checked by counting loop iterations (``loop(nonblock=True)`` is exactly one), never
by sleeping: what a callback activates must wait for the next iteration, so after one
``loop(nonblock=True)`` it has not run, and after the second it has.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from support.loop import EDGE_BACKENDS, SLACK, assert_deadline_order, attach_bracketed, spin, timed
from support.recorder import Recorder, logger, noop
from support.sockets import drain

from fdevent._flags import (
    EV_ET,
    EV_PERSIST,
    EV_READ,
    EV_TIMEOUT,
    EV_WRITE,
    PRIORITY_HIGH,
    PRIORITY_LOW,
    PRIORITY_MEDIUM,
)

# -- dispatch() with nothing to do ---------------------------------------------------------------


def test_dispatch_with_nothing_attached_returns_at_once(base: Any) -> None:
    assert timed(base.dispatch) < 0.5
    assert base.dispatch() is None
    assert base.loop() is None


@pytest.mark.parametrize(
    "kwargs", [{"once": True}, {"nonblock": True}, {"once": True, "nonblock": True}]
)
def test_loop_variants_with_nothing_attached_return(base: Any, kwargs: dict[str, bool]) -> None:
    assert timed(lambda: base.loop(**kwargs)) < 0.5


def test_dispatch_returns_when_the_last_event_goes(base: Any, core: Any, pair: Any) -> None:
    a, b = pair
    rec = Recorder()
    core.Event(base, a, EV_READ, rec).attach()
    core.Timer(base, rec).attach(0.01)
    b.send(b"x")
    base.dispatch()
    assert sorted(rec.events) == sorted([EV_READ, EV_TIMEOUT])


def test_dispatch_runs_until_persistent_event_detaches(base: Any, core: Any, pair: Any) -> None:
    a, b = pair

    def cb(fd: int, events: int, arg: Any, /) -> None:
        drain(a)
        if rec.count == 3:
            ev.detach()
        else:
            b.send(b"x")

    rec = Recorder(cb)
    ev = core.Event(base, a, EV_READ | EV_PERSIST, rec)
    ev.attach()
    b.send(b"x")
    base.dispatch()
    assert rec.count == 3


# -- reentrancy ----------------------------------------------------------------------------------


@pytest.mark.parametrize("call", ["dispatch", "loop", "loop_nonblock", "loop_once"])
def test_reentrant_loop_is_runtime_error(base: Any, core: Any, call: str) -> None:
    errors: list[BaseException] = []
    calls = {
        "dispatch": base.dispatch,
        "loop": base.loop,
        "loop_nonblock": lambda: base.loop(nonblock=True),
        "loop_once": lambda: base.loop(once=True),
    }

    def cb(fd: int, events: int, arg: Any, /) -> None:
        try:
            calls[call]()
        except RuntimeError as exc:
            errors.append(exc)

    after = Recorder()
    core.Timer(base, cb).attach(0)
    core.Timer(base, after).attach(0.01)
    base.dispatch()
    assert len(errors) == 1
    assert after.count == 1  # the outer loop went on


def test_loop_of_another_base_from_a_callback_is_allowed(core: Any, backend: str) -> None:
    inner = Recorder()
    with (
        core.EventBase(backend=backend) as outer_base,
        core.EventBase(backend=backend) as inner_base,
    ):
        core.Timer(inner_base, inner).attach(0)
        core.Timer(outer_base, lambda fd, e, a: inner_base.dispatch()).attach(0)
        outer_base.dispatch()
    assert inner.count == 1


# -- priority order within an iteration ----------------------------------------------------------


def test_priority_order_of_activated_events(core: Any, backend: str) -> None:
    log: list[str] = []
    with core.EventBase(backend=backend, priorities=4) as b:
        specs = [("l3a", 3), ("h0a", 0), ("m2a", 2), ("l3b", 3), ("m1", 1), ("h0b", 0), ("m2b", 2)]
        evs = [core.Timer(b, logger(log, name), priority=p) for name, p in specs]
        for ev in evs:
            ev.activate(EV_TIMEOUT)
        b.loop(nonblock=True)
    assert log == ["h0a", "h0b", "m1", "m2a", "m2b", "l3a", "l3b"]


def test_priority_order_across_io_timers_and_activation(base: Any, core: Any, pair: Any) -> None:
    a, b = pair
    log: list[str] = []
    reader = core.Event(base, a, EV_READ, logger(log, "io-low"), priority=PRIORITY_LOW)
    timer = core.Timer(base, logger(log, "timer-high"), priority=PRIORITY_HIGH)
    act = core.Timer(base, logger(log, "activated-medium"), priority=PRIORITY_MEDIUM)
    reader.attach()
    timer.attach(0)
    b.send(b"x")
    act.activate(EV_TIMEOUT)
    base.loop(nonblock=True)
    assert log == ["timer-high", "activated-medium", "io-low"]


def test_first_come_first_served_within_a_level(base: Any, core: Any) -> None:
    log: list[int] = []
    evs = [core.Timer(base, logger(log, i)) for i in range(20)]
    order = [7, 3, 19, 0, 11, 5, 2, 18, 1, 4, 6, 8, 9, 10, 12, 13, 14, 15, 16, 17]
    for i in order:
        evs[i].activate(EV_TIMEOUT)
    base.loop(nonblock=True)
    assert log == order


def test_expired_timers_run_in_deadline_order(base: Any, core: Any) -> None:
    log: list[int] = []
    armed: dict[int, tuple[float, float, float, int]] = {}
    for i in (3, 1, 4, 0, 2):
        attach_bracketed(armed, i, core.Timer(base, logger(log, i)), 0.002 * i)
    time.sleep(0.02)
    base.loop(nonblock=True)  # all five expire in this one iteration
    assert sorted(log) == [0, 1, 2, 3, 4]
    assert_deadline_order(log, armed)


def test_higher_priority_activated_by_a_callback_waits(core: Any, backend: str) -> None:
    log: list[str] = []
    with core.EventBase(backend=backend, priorities=3) as b:
        high = core.Timer(b, logger(log, "high"), priority=0)

        def low1(fd: int, events: int, arg: Any, /) -> None:
            log.append("low1")
            high.activate(EV_TIMEOUT)

        core.Timer(b, low1, priority=2).activate(EV_TIMEOUT)
        core.Timer(b, logger(log, "low2"), priority=2).activate(EV_TIMEOUT)
        b.loop(nonblock=True)
        assert log == ["low1", "low2"]
        b.loop(nonblock=True)
        assert log == ["low1", "low2", "high"]


def test_low_runs_after_the_default_on_a_ten_level_base(core: Any, backend: str) -> None:
    order: list[str] = []
    with core.EventBase(backend=backend, priorities=10) as base:
        for name, prio in (("low", PRIORITY_LOW), ("default", None), ("high", PRIORITY_HIGH)):
            core.Timer(base, lambda fd, ev, arg: order.append(arg), name, prio).attach(0)
        base.dispatch()
    assert order == ["high", "default", "low"]


# -- the snapshot rule ---------------------------------------------------------------------------


def test_activated_from_a_callback_runs_next_iteration(base: Any, core: Any) -> None:
    second = Recorder()
    ev2 = core.Timer(base, second)
    core.Timer(base, lambda fd, e, a: ev2.activate(EV_TIMEOUT)).activate(EV_TIMEOUT)
    base.loop(nonblock=True)
    assert second.count == 0
    base.loop(nonblock=True)
    assert second.count == 1


def test_attach_zero_from_a_callback_runs_next_iteration(base: Any, core: Any) -> None:
    second = Recorder()
    ev2 = core.Timer(base, second)
    core.Timer(base, lambda fd, e, a: ev2.attach(0)).attach(0)
    base.loop(nonblock=True)
    assert second.count == 0
    assert ev2.attached
    base.loop(nonblock=True)
    assert second.count == 1


def test_loop_once_runs_one_iteration(base: Any, core: Any) -> None:
    second = Recorder()
    ev2 = core.Timer(base, second)
    core.Timer(base, lambda fd, e, a: ev2.activate(EV_TIMEOUT)).attach(0)
    base.loop(once=True)
    assert second.count == 0
    base.loop(once=True)
    assert second.count == 1


def test_self_reactivating_callback_runs_once_per_iteration(base: Any, core: Any) -> None:
    rec = Recorder(lambda fd, e, a: ev.activate(EV_TIMEOUT))
    ev = core.Timer(base, rec)
    ev.activate(EV_TIMEOUT)
    for n in range(1, 6):
        base.loop(nonblock=True)
        assert rec.count == n


def test_busy_callback_cannot_starve_io(base: Any, core: Any, pair: Any) -> None:
    a, b = pair
    busy = Recorder(lambda fd, e, arg: busy_ev.activate(EV_TIMEOUT))
    busy_ev = core.Timer(base, busy, priority=PRIORITY_HIGH)
    reader = Recorder()
    core.Event(base, a, EV_READ, reader, priority=PRIORITY_LOW).attach()
    busy_ev.activate(EV_TIMEOUT)
    base.loop(nonblock=True)
    b.send(b"x")
    base.loop(nonblock=True)
    assert reader.count == 1
    assert busy.count == 2


def test_self_reattaching_one_shot_timer(base: Any, core: Any) -> None:
    rec = Recorder(lambda fd, e, a: t.attach(0))
    t = core.Timer(base, rec)
    t.attach(0)
    for n in range(1, 4):
        base.loop(nonblock=True)
        assert rec.count == n
        assert t.attached


# -- detach cancels a pending activation -----------------------------------------------------------


def test_detach_cancels_activation_before_the_loop(base: Any, core: Any) -> None:
    rec = Recorder()
    ev = core.Timer(base, rec)
    ev.attach(10)
    ev.activate(EV_TIMEOUT)
    ev.detach()
    spin(base, 2)
    assert rec.count == 0
    det = core.Timer(base, rec)  # a detached event that was activated
    det.activate(EV_TIMEOUT)
    det.detach()
    spin(base, 2)
    assert rec.count == 0


def test_detach_from_a_callback_cancels_an_active_event(base: Any, core: Any) -> None:
    victim = Recorder()
    v = core.Event(base, -1, EV_TIMEOUT | EV_PERSIST, victim)
    v.attach(10)
    core.Timer(base, lambda fd, e, a: v.detach()).activate(EV_TIMEOUT)
    v.activate(EV_TIMEOUT)
    spin(base, 2)
    assert victim.count == 0
    assert not v.attached


def test_detach_cancels_an_expired_timer(base: Any, core: Any) -> None:
    victim = Recorder()
    log: list[str] = []
    v = core.Timer(base, victim)
    first = core.Timer(base, lambda fd, e, a: (log.append("first"), v.detach()))
    first.attach(0)
    v.attach(0)  # later deadline: expires after first, in the same iteration
    time.sleep(0.005)
    base.loop(nonblock=True)
    assert log == ["first"]
    assert victim.count == 0
    assert not v.attached
    spin(base, 2)
    assert victim.count == 0


def test_detach_cancels_a_ready_reader(base: Any, core: Any, make_pair: Any) -> None:
    a1, b1 = make_pair()
    a2, b2 = make_pair()
    victim = Recorder()
    v = core.Event(base, a2, EV_READ | EV_PERSIST, victim, priority=PRIORITY_LOW)
    core.Event(base, a1, EV_READ, lambda fd, e, a: v.detach(), priority=PRIORITY_HIGH).attach()
    v.attach()
    b1.send(b"x")
    b2.send(b"x")
    spin(base, 3)
    assert victim.count == 0


def test_detach_of_the_running_persistent_event(base: Any, core: Any, pair: Any) -> None:
    a, b = pair
    rec = Recorder(lambda fd, e, arg: ev.detach())
    ev = core.Event(base, a, EV_READ | EV_PERSIST, rec)
    ev.attach()
    b.send(b"x")
    spin(base, 3)
    assert rec.count == 1
    assert not ev.attached


def test_detach_then_attach_of_the_running_event(base: Any, core: Any, pair: Any) -> None:
    a, b = pair

    def cb(fd: int, events: int, arg: Any, /) -> None:
        ev.detach()
        ev.attach()

    rec = Recorder(cb)
    ev = core.Event(base, a, EV_READ, rec)
    ev.attach()
    b.send(b"x")
    spin(base, 3)
    assert rec.count == 3
    assert ev.attached


# -- several reasons, one callback ---------------------------------------------------------------


def test_readable_and_writable_or_together(base: Any, core: Any, pair: Any) -> None:
    a, b = pair
    rec = Recorder()
    core.Event(base, a, EV_READ | EV_WRITE, rec).attach()
    b.send(b"x")
    base.loop(nonblock=True)
    assert rec.events == [EV_READ | EV_WRITE]


def test_activate_and_timeout_or_together(base: Any, core: Any, pair: Any) -> None:
    a, _ = pair
    rec = Recorder()
    ev = core.Event(base, a, EV_READ, rec)
    ev.attach(0)
    ev.activate(EV_WRITE)
    time.sleep(0.002)
    base.loop(nonblock=True)
    assert rec.events == [EV_WRITE | EV_TIMEOUT]
    spin(base, 2)
    assert rec.count == 1


def test_activate_and_io_or_together(base: Any, core: Any, pair: Any) -> None:
    a, b = pair
    rec = Recorder()
    ev = core.Event(base, a, EV_READ, rec)
    ev.attach()
    b.send(b"x")
    ev.activate(EV_TIMEOUT)
    base.loop(nonblock=True)
    assert rec.events == [EV_READ | EV_TIMEOUT]


def test_two_activations_or_together(base: Any, core: Any) -> None:
    rec = Recorder()
    ev = core.Timer(base, rec)
    ev.activate(EV_READ)
    ev.activate(EV_WRITE)
    base.loop(nonblock=True)
    assert rec.events == [EV_READ | EV_WRITE]


def test_only_what_the_event_watches_is_reported(base: Any, core: Any, pair: Any) -> None:
    a, _ = pair  # writable, not readable
    rec = Recorder()
    core.Event(base, a, EV_READ | EV_WRITE, rec).attach()
    base.loop(nonblock=True)
    assert rec.events == [EV_WRITE]


# -- several events on one fd --------------------------------------------------------------------


def test_two_readers_on_one_fd(base: Any, core: Any, pair: Any) -> None:
    a, b = pair
    r1, r2 = Recorder(), Recorder()
    e1 = core.Event(base, a, EV_READ | EV_PERSIST, r1)
    e2 = core.Event(base, a, EV_READ, r2)
    e1.attach()
    e2.attach()
    b.send(b"x")
    base.loop(nonblock=True)
    assert (r1.events, r2.events) == ([EV_READ], [EV_READ])
    base.loop(nonblock=True)
    assert (r1.count, r2.count) == (2, 1)
    e1.detach()
    spin(base, 2)
    assert (r1.count, r2.count) == (2, 1)
    assert timed(base.dispatch) < 0.5  # nothing left attached


def test_reader_and_writer_on_one_fd(base: Any, core: Any, pair: Any) -> None:
    a, b = pair
    reader, writer = Recorder(), Recorder()
    r = core.Event(base, a, EV_READ | EV_PERSIST, reader)
    w = core.Event(base, a, EV_WRITE | EV_PERSIST, writer)
    r.attach()
    w.attach()
    base.loop(nonblock=True)
    assert (reader.events, writer.events) == ([], [EV_WRITE])
    b.send(b"x")
    base.loop(nonblock=True)
    assert (reader.events, writer.events) == ([EV_READ], [EV_WRITE, EV_WRITE])
    w.detach()
    base.loop(nonblock=True)
    assert (reader.count, writer.count) == (2, 2)
    r.detach()
    drain(a)


def test_detaching_one_of_two_leaves_the_other_working(base: Any, core: Any, pair: Any) -> None:
    a, b = pair
    r1, r2 = Recorder(), Recorder()
    e1 = core.Event(base, a, EV_READ | EV_PERSIST, r1)
    e2 = core.Event(base, a, EV_READ | EV_PERSIST, r2)
    e1.attach()
    e2.attach()
    e1.detach()
    b.send(b"x")
    base.loop(nonblock=True)
    assert (r1.count, r2.count) == (0, 1)


def test_peer_close_is_readable(base: Any, core: Any, pair: Any) -> None:
    a, b = pair
    rec = Recorder()
    core.Event(base, a, EV_READ, rec).attach()
    b.close()
    base.loop(nonblock=True)
    assert rec.events == [EV_READ]


# -- level and edge ------------------------------------------------------------------------------


def test_level_triggered_fires_while_ready(base: Any, core: Any, pair: Any) -> None:
    a, b = pair
    rec = Recorder()
    core.Event(base, a, EV_READ | EV_PERSIST, rec).attach()
    b.send(b"x")
    spin(base, 4)
    assert rec.events == [EV_READ] * 4


def test_edge_triggered(base: Any, backend: str, core: Any, pair: Any) -> None:
    a, b = pair
    rec = Recorder()
    ev = core.Event(base, a, EV_READ | EV_PERSIST | EV_ET, rec)
    if backend not in EDGE_BACKENDS:
        with pytest.raises(ValueError, match=r"(?i)edge"):
            ev.attach()
        assert not ev.attached
        return
    ev.attach()
    b.send(b"x")
    spin(base, 3)
    assert rec.events == [EV_READ]
    b.send(b"y")  # a new edge
    spin(base, 3)
    assert rec.events == [EV_READ, EV_READ]
    assert drain(a) == b"xy"


@pytest.mark.parametrize("first_et", [True, False])
def test_mixing_edge_and_level_on_one_fd(
    base: Any, backend: str, core: Any, pair: Any, first_et: bool
) -> None:
    a, b = pair
    rec1, rec2 = Recorder(), Recorder()
    flags1 = EV_READ | EV_PERSIST | (EV_ET if first_et else 0)
    flags2 = EV_READ | EV_PERSIST | (0 if first_et else EV_ET)
    e1 = core.Event(base, a, flags1, rec1)
    e2 = core.Event(base, a, flags2, rec2)
    if backend not in EDGE_BACKENDS:
        with pytest.raises(ValueError):
            (e1 if first_et else e2).attach()
        return
    e1.attach()
    with pytest.raises(ValueError):
        e2.attach()
    assert e1.attached and not e2.attached
    b.send(b"x")
    base.loop(nonblock=True)
    assert (rec1.count, rec2.count) == (1, 0)


# -- loop(once=), loop(nonblock=) ----------------------------------------------------------------


def test_loop_once_waits_for_an_event(base: Any, core: Any) -> None:
    first, later = Recorder(), Recorder()
    t0 = time.monotonic()
    core.Timer(base, first).attach(0.05)
    core.Timer(base, later).attach(10)
    assert base.loop(once=True) is None
    elapsed = time.monotonic() - t0
    assert first.count == 1 and later.count == 0
    assert 0.05 <= elapsed < 0.05 + SLACK


def test_loop_nonblock_does_not_wait(base: Any, core: Any, pair: Any) -> None:
    a, _ = pair
    rec = Recorder()
    core.Timer(base, rec).attach(10)
    core.Event(base, a, EV_READ, rec).attach()
    assert timed(lambda: base.loop(nonblock=True)) < 0.5
    assert timed(lambda: base.loop(once=True, nonblock=True)) < 0.5
    assert rec.count == 0


def test_loop_nonblock_runs_what_is_ready(base: Any, core: Any, pair: Any) -> None:
    a, b = pair
    rec = Recorder()
    core.Event(base, a, EV_READ, rec, "r").attach()
    core.Timer(base, rec, "t").attach(0)
    b.send(b"x")
    base.loop(once=True, nonblock=True)
    assert sorted(rec.calls) == sorted([(a.fileno(), EV_READ, "r"), (-1, EV_TIMEOUT, "t")])


# -- loopexit ------------------------------------------------------------------------------------


@pytest.mark.parametrize("delay", [None, 0, 0.0])
def test_loopexit_from_a_callback_finishes_the_iteration(
    base: Any, core: Any, delay: float | None
) -> None:
    log: list[str] = []
    later = core.Timer(base, logger(log, "next-iteration"))

    def first(fd: int, events: int, arg: Any, /) -> None:
        log.append("first")
        later.activate(EV_TIMEOUT)
        base.loopexit(delay)

    core.Timer(base, first).activate(EV_TIMEOUT)
    core.Timer(base, logger(log, "second")).activate(EV_TIMEOUT)
    core.Ticker(base, noop).attach(10)  # would keep dispatch() running
    base.dispatch()
    assert log == ["first", "second"]
    assert base.got_exit and not base.got_break
    base.loop(nonblock=True)
    assert log == ["first", "second", "next-iteration"]
    assert not base.got_exit  # reset when a loop starts


def test_loopexit_before_the_loop_stops_the_next_one(base: Any, core: Any, pair: Any) -> None:
    a, _ = pair
    core.Event(base, a, EV_READ | EV_PERSIST, noop).attach()  # never ready
    base.loopexit()
    assert timed(base.dispatch) < SLACK
    assert base.got_exit


def test_loopexit_delay(base: Any, core: Any) -> None:
    ticks = Recorder()
    core.Ticker(base, ticks).attach(0.01)
    t0 = time.monotonic()
    base.loopexit(0.1)
    base.dispatch()
    elapsed = time.monotonic() - t0
    assert 0.1 <= elapsed < 0.1 + SLACK
    assert base.got_exit
    assert ticks.count >= 1


def test_pending_loopexit_keeps_the_loop_alive(base: Any, core: Any) -> None:
    rec = Recorder()
    core.Timer(base, rec).attach(0.01)
    t0 = time.monotonic()
    base.loopexit(0.1)
    base.dispatch()
    elapsed = time.monotonic() - t0
    assert rec.count == 1
    assert 0.1 <= elapsed < 0.1 + SLACK
    assert base.got_exit


def test_pending_loopexit_keeps_an_empty_loop_alive(base: Any) -> None:
    t0 = time.monotonic()
    base.loopexit(0.05)
    base.dispatch()
    assert 0.05 <= time.monotonic() - t0 < 0.05 + SLACK
    assert base.got_exit


@pytest.mark.parametrize("delays", [(0.05, 3.0), (3.0, 0.05)])
def test_loopexit_twice_earlier_wins(base: Any, delays: tuple[float, float]) -> None:
    t0 = time.monotonic()
    for d in delays:
        base.loopexit(d)
    base.dispatch()
    assert 0.05 <= time.monotonic() - t0 < 0.05 + SLACK


def test_loopexit_with_timedelta(base: Any) -> None:
    import datetime

    t0 = time.monotonic()
    base.loopexit(datetime.timedelta(milliseconds=50))
    base.dispatch()
    assert 0.05 <= time.monotonic() - t0 < 0.05 + SLACK


def test_loopexit_delay_from_a_callback(base: Any, core: Any) -> None:
    marks: list[float] = []

    def cb(fd: int, events: int, arg: Any, /) -> None:
        marks.append(time.monotonic())
        base.loopexit(0.05)

    core.Timer(base, cb).attach(0)
    core.Ticker(base, noop).attach(0.01)
    base.dispatch()
    assert 0.05 <= time.monotonic() - marks[0] < 0.05 + SLACK
    assert base.got_exit


def test_loopexit_is_consumed(base: Any, core: Any) -> None:
    base.loopexit()
    base.dispatch()
    assert base.got_exit
    rec = Recorder()
    core.Timer(base, rec).attach(0.01)
    core.Timer(base, rec).attach(0.02)
    base.dispatch()
    assert rec.count == 2
    assert not base.got_exit


# -- loopbreak -----------------------------------------------------------------------------------


def test_loopbreak_stops_after_the_running_callback(base: Any, core: Any) -> None:
    log: list[str] = []

    def first(fd: int, events: int, arg: Any, /) -> None:
        log.append("first")
        base.loopbreak()

    core.Timer(base, first).activate(EV_TIMEOUT)
    core.Timer(base, logger(log, "second")).activate(EV_TIMEOUT)
    core.Ticker(base, noop).attach(10)
    base.dispatch()
    assert log == ["first"]
    assert base.got_break and not base.got_exit
    base.loop(nonblock=True)  # the event that was active is still active: nothing dropped
    assert log == ["first", "second"]
    assert not base.got_break


def test_loopbreak_outside_a_loop_does_nothing(base: Any, core: Any) -> None:
    base.loopbreak()
    rec = Recorder()
    core.Timer(base, rec).attach(0)
    core.Timer(base, rec).attach(0.01)
    base.dispatch()
    assert rec.count == 2
    assert not base.got_break and not base.got_exit


def test_got_flags_start_false(base: Any) -> None:
    assert base.got_exit is False
    assert base.got_break is False


# -- close ---------------------------------------------------------------------------------------


def test_close_from_a_callback_ends_dispatch(core: Any, backend: str, pair: Any) -> None:
    a, _ = pair
    base = core.EventBase(backend=backend)
    rec = Recorder(lambda fd, e, arg: base.close())
    tick = core.Ticker(base, rec)
    tick.attach(0.01)
    reader = core.Event(base, a, EV_READ | EV_PERSIST, noop)
    reader.attach()
    assert base.dispatch() is None
    assert rec.count == 1
    assert not tick.attached and not reader.attached
    with pytest.raises(RuntimeError):
        base.dispatch()
    base.close()


# -- exceptions from callbacks -------------------------------------------------------------------


class Boom(Exception):
    pass


def _raiser(log: list[str], name: str, exc: BaseException) -> Any:
    def cb(fd: int, events: int, arg: Any, /) -> None:
        log.append(name)
        raise exc

    return cb


def test_exception_propagates_and_nothing_is_dropped(base: Any, core: Any) -> None:
    log: list[str] = []
    core.Timer(base, logger(log, "a")).activate(EV_TIMEOUT)
    core.Timer(base, _raiser(log, "b", Boom("b"))).activate(EV_TIMEOUT)
    core.Timer(base, logger(log, "c")).activate(EV_TIMEOUT)
    with pytest.raises(Boom):
        base.dispatch()
    assert log == ["a", "b"]
    base.dispatch()
    assert log == ["a", "b", "c"]


def test_exception_from_loop_nonblock_then_rest_runs(base: Any, core: Any, make_pair: Any) -> None:
    a1, b1 = make_pair()
    a2, b2 = make_pair()
    log: list[str] = []
    core.Event(base, a1, EV_READ, _raiser(log, "raises", Boom()), priority=PRIORITY_HIGH).attach()
    core.Event(base, a2, EV_READ, logger(log, "other"), priority=PRIORITY_LOW).attach()
    b1.send(b"x")
    b2.send(b"x")
    with pytest.raises(Boom):
        base.loop(nonblock=True)
    assert log == ["raises"]
    base.loop(nonblock=True)
    assert log == ["raises", "other"]


def test_base_consistent_after_exception(base: Any, core: Any, pair: Any) -> None:
    a, b = pair
    log: list[str] = []
    ev = core.Event(base, a, EV_READ | EV_PERSIST, _raiser(log, "r", Boom()))
    ev.attach()
    b.send(b"x")
    with pytest.raises(Boom):
        base.loop(nonblock=True)
    assert ev.attached
    with pytest.raises(Boom):
        base.loop(nonblock=True)
    assert log == ["r", "r"]
    ev.detach()
    rec = Recorder()
    core.Timer(base, rec).attach(0)
    base.dispatch()
    assert rec.count == 1


def test_exception_handler_logs_and_continues(base: Any, core: Any) -> None:
    log: list[str] = []
    handled: list[tuple[Any, BaseException]] = []
    exc = Boom("x")
    bad = core.Timer(base, _raiser(log, "bad", exc))
    base.set_exception_handler(lambda ev, e: handled.append((ev, e)))
    bad.activate(EV_TIMEOUT)
    core.Timer(base, logger(log, "after")).activate(EV_TIMEOUT)
    base.dispatch()
    assert log == ["bad", "after"]
    assert len(handled) == 1
    assert handled[0][0] is bad and handled[0][1] is exc


@pytest.mark.parametrize("exc_type", [KeyboardInterrupt, SystemExit, GeneratorExit, BaseException])
def test_base_exceptions_bypass_the_handler(base: Any, core: Any, exc_type: type) -> None:
    log: list[str] = []
    handled: list[Any] = []
    base.set_exception_handler(lambda ev, e: handled.append(e))
    core.Timer(base, _raiser(log, "bad", exc_type())).activate(EV_TIMEOUT)
    core.Timer(base, logger(log, "after")).activate(EV_TIMEOUT)
    with pytest.raises(exc_type):
        base.dispatch()
    assert handled == []
    assert log == ["bad"]
    base.dispatch()
    assert log == ["bad", "after"]


def test_exception_handler_none_restores_propagation(base: Any, core: Any) -> None:
    handled: list[Any] = []
    base.set_exception_handler(lambda ev, e: handled.append(e))
    base.set_exception_handler(None)
    core.Timer(base, _raiser([], "bad", Boom())).attach(0)
    with pytest.raises(Boom):
        base.dispatch()
    assert handled == []
