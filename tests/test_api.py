"""The public API of the contract: names, flags, properties, priorities, activate, assign, once."""

from __future__ import annotations

import gc
import sys
import time
import weakref
from typing import Any

import pytest
from support.loop import spin
from support.recorder import Recorder, noop
from support.sockets import drain

import fdevent
from fdevent._flags import (
    EV_ET,
    EV_PERSIST,
    EV_READ,
    EV_SIGNAL,
    EV_TIMEOUT,
    EV_WRITE,
    PRIORITY_HIGH,
    PRIORITY_LOW,
    PRIORITY_MEDIUM,
)

# -- names and flags ---------------------------------------------------------------------------


def test_flag_values_are_libevents() -> None:
    assert (EV_TIMEOUT, EV_READ, EV_WRITE, EV_SIGNAL, EV_PERSIST, EV_ET) == (
        0x01,
        0x02,
        0x04,
        0x08,
        0x10,
        0x20,
    )
    assert (PRIORITY_HIGH, PRIORITY_MEDIUM, PRIORITY_LOW) == (0, 1, 2)


def test_package_reexports_flags() -> None:
    for name in (
        "EV_TIMEOUT",
        "EV_READ",
        "EV_WRITE",
        "EV_SIGNAL",
        "EV_PERSIST",
        "EV_ET",
        "PRIORITY_HIGH",
        "PRIORITY_MEDIUM",
        "PRIORITY_LOW",
    ):
        assert getattr(fdevent, name) == getattr(sys.modules["fdevent._flags"], name)
    assert (fdevent.EV_READ | fdevent.EV_PERSIST) & fdevent.EV_READ == EV_READ


def test_package_exports_a_core() -> None:
    assert fdevent.CORE in ("pure", "compiled")
    mod = sys.modules[f"fdevent._{fdevent.CORE}"]
    assert fdevent.EventBase is mod.EventBase
    assert fdevent.Event is mod.Event


def test_core_exports(core: Any) -> None:
    for name in ("EventBase", "Event", "Timer", "Ticker"):
        assert isinstance(getattr(core, name), type)


def test_supported_backends() -> None:
    backends = fdevent.supported_backends()
    if sys.platform.startswith("linux"):
        assert backends == ["epoll", "poll", "select"]
    assert backends and set(backends) <= {"epoll", "kqueue", "poll", "select"}
    assert backends[-1] == "select"


# -- EventBase ---------------------------------------------------------------------------------


def test_backend_name(base: Any, backend: str) -> None:
    assert base.backend == backend


def test_default_backend_is_the_best(core: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FDEVENT_BACKEND", raising=False)
    with core.EventBase() as b:
        assert b.backend == fdevent.supported_backends()[0]


def test_backend_from_environment(core: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FDEVENT_BACKEND", "select")
    with core.EventBase() as b:
        assert b.backend == "select"


def test_with_statement_closes(core: Any, backend: str) -> None:
    with core.EventBase(backend=backend) as b:
        assert isinstance(b, core.EventBase)
        t = core.Timer(b, noop)
        t.attach(10)
    assert not t.attached
    with pytest.raises(RuntimeError):
        b.loop()


def test_close_detaches_everything(base: Any, core: Any, pair: Any) -> None:
    a, _ = pair
    evs = [
        core.Event(base, a, EV_READ | EV_PERSIST, noop),
        core.Event(base, a, EV_WRITE, noop),
        core.Timer(base, noop),
    ]
    evs[0].attach()
    evs[1].attach()
    evs[2].attach(5)
    base.close()
    assert [ev.attached for ev in evs] == [False, False, False]
    base.close()  # twice does nothing


def test_now_is_cached_per_iteration(base: Any, core: Any) -> None:
    seen: list[tuple[float, float]] = []

    def cb(fd: int, events: int, arg: Any, /) -> None:
        first = base.now()
        time.sleep(0.01)
        seen.append((first, base.now()))

    before = time.monotonic()
    ev = core.Event(base, -1, EV_TIMEOUT, cb)
    ev.attach(0)
    base.loop(nonblock=True)
    time.sleep(0.02)
    ev.attach(0)
    base.loop(nonblock=True)
    after = time.monotonic()
    assert len(seen) == 2
    (a1, a2), (b1, b2) = seen
    assert a1 == a2 and b1 == b2
    assert before <= a1 < b1 <= after
    assert b1 - a1 >= 0.02
    assert isinstance(base.now(), float)
    assert base.now() <= time.monotonic()


# -- Event construction and properties ---------------------------------------------------------


def test_properties(base: Any, core: Any, pair: Any) -> None:
    a, _ = pair
    arg = object()
    ev = core.Event(base, a.fileno(), EV_READ | EV_PERSIST, noop, arg)
    assert ev.base is base
    assert ev.fd == a.fileno()
    assert ev.events == EV_READ | EV_PERSIST
    assert ev.callback is noop
    assert ev.arg is arg
    assert ev.timeout is None
    assert ev.attached is False
    ev.attach(1.5)
    assert ev.timeout == 1.5
    assert ev.attached is True
    ev.attach()
    assert ev.timeout is None
    assert ev.attached is True
    ev.detach()
    assert ev.attached is False


def test_arg_defaults_to_none(base: Any, core: Any) -> None:
    rec = Recorder()
    ev = core.Event(base, -1, EV_TIMEOUT, rec)
    assert ev.arg is None
    ev.attach(0)
    base.dispatch()
    assert rec.calls == [(-1, EV_TIMEOUT, None)]


@pytest.mark.parametrize("name", ["base", "fd", "events", "callback", "arg", "timeout"])
def test_read_only_properties(base: Any, core: Any, name: str) -> None:
    ev = core.Event(base, -1, EV_TIMEOUT, noop, "x")
    before = getattr(ev, name)
    with pytest.raises(AttributeError):
        setattr(ev, name, before)
    with pytest.raises(AttributeError):
        delattr(ev, name)
    assert getattr(ev, name) == before


def test_attached_is_read_only(base: Any, core: Any) -> None:
    ev = core.Event(base, -1, EV_TIMEOUT, noop)
    with pytest.raises(AttributeError):
        ev.attached = True
    assert ev.attached is False


def test_fd_from_fileno_object(base: Any, core: Any, pair: Any) -> None:
    a, b = pair
    rec = Recorder()
    ev = core.Event(base, a, EV_READ, rec, "arg")
    assert ev.fd == a.fileno()
    assert type(ev.fd) is int
    ev.attach()
    b.send(b"x")
    base.dispatch()
    assert rec.calls == [(a.fileno(), EV_READ, "arg")]
    assert type(rec.calls[0][0]) is int


def test_callback_gets_three_positional_arguments(base: Any, core: Any, pair: Any) -> None:
    a, b = pair
    got: list[tuple[Any, ...]] = []

    def cb(fd: int, events: int, arg: Any, /) -> None:
        got.append((fd, events, arg))

    core.Event(base, a, EV_READ, cb, 7).attach()
    core.Timer(base, cb, 8).attach(0)
    b.send(b"x")
    base.dispatch()
    assert sorted(got, key=repr) == sorted(
        [(a.fileno(), EV_READ, 7), (-1, EV_TIMEOUT, 8)], key=repr
    )
    assert all(type(events) is int or isinstance(events, int) for _, events, _ in got)


def test_timer_and_ticker_are_events(base: Any, core: Any) -> None:
    t = core.Timer(base, noop, "a")
    k = core.Ticker(base, noop, "b")
    assert isinstance(t, core.Event) and isinstance(k, core.Event)
    assert (t.fd, t.events, t.arg) == (-1, EV_TIMEOUT, "a")
    assert (k.fd, k.events, k.arg) == (-1, EV_TIMEOUT | EV_PERSIST, "b")


def test_timer_and_ticker_take_priority(core: Any, backend: str) -> None:
    with core.EventBase(backend=backend, priorities=5) as b:
        assert core.Timer(b, noop, priority=4).priority == 4
        assert core.Ticker(b, noop, priority=0).priority == 0
        assert core.Timer(b, noop).priority == 2


# -- one-shot and persistent -------------------------------------------------------------------


def test_one_shot_detaches_before_its_callback(base: Any, core: Any, pair: Any) -> None:
    a, b = pair
    seen: list[bool] = []
    ev = core.Event(base, a, EV_READ, lambda fd, e, arg: seen.append(ev.attached))
    ev.attach()
    b.send(b"x")
    spin(base, 3)
    assert seen == [False]
    assert not ev.attached


def test_persistent_stays_attached(base: Any, core: Any, pair: Any) -> None:
    a, b = pair
    seen: list[bool] = []
    ev = core.Event(base, a, EV_READ | EV_PERSIST, lambda fd, e, arg: seen.append(ev.attached))
    ev.attach()
    b.send(b"x")
    spin(base, 3)
    assert seen == [True, True, True]
    assert ev.attached
    drain(a)
    spin(base, 2)
    assert len(seen) == 3


def test_detach_twice_does_nothing(base: Any, core: Any) -> None:
    ev = core.Timer(base, noop)
    ev.detach()
    ev.attach(0)
    ev.detach()
    ev.detach()
    assert not ev.attached
    spin(base, 2)


# -- activate ----------------------------------------------------------------------------------


def test_activate_attached_event(base: Any, core: Any, pair: Any) -> None:
    a, _ = pair
    rec = Recorder()
    ev = core.Event(base, a, EV_READ, rec, "z")
    ev.attach()
    ev.activate(EV_WRITE | EV_TIMEOUT)
    base.loop(nonblock=True)
    assert rec.calls == [(a.fileno(), EV_WRITE | EV_TIMEOUT, "z")]
    assert not ev.attached  # one-shot


def test_activate_persistent_attached_event_stays_attached(base: Any, core: Any, pair: Any) -> None:
    a, _ = pair
    rec = Recorder()
    ev = core.Event(base, a, EV_READ | EV_PERSIST, rec)
    ev.attach()
    ev.activate(EV_READ)
    base.loop(nonblock=True)
    assert rec.events == [EV_READ]
    assert ev.attached


@pytest.mark.parametrize("flags", [EV_READ, EV_READ | EV_PERSIST])
def test_activate_detached_event_runs_once(base: Any, core: Any, pair: Any, flags: int) -> None:
    a, b = pair
    seen: list[bool] = []
    rec = Recorder(lambda fd, e, arg: seen.append(ev.attached))
    ev = core.Event(base, a, flags, rec)
    b.send(b"x")  # readable, but a detached event does not watch it
    ev.activate(EV_READ)
    assert not ev.attached
    spin(base, 3)
    assert rec.events == [EV_READ]
    assert seen == [False]
    assert not ev.attached
    base.dispatch()  # nothing attached: returns at once
    assert rec.count == 1


def test_activate_timer(base: Any, core: Any) -> None:
    rec = Recorder()
    t = core.Timer(base, rec)
    t.attach(100)
    t.activate(EV_TIMEOUT)
    base.loop(nonblock=True)
    assert rec.calls == [(-1, EV_TIMEOUT, None)]
    assert not t.attached  # one-shot: the pending timeout went with it
    spin(base, 2)
    assert rec.count == 1


# -- assign ------------------------------------------------------------------------------------


def test_assign_reinitialises(base: Any, core: Any, pair: Any) -> None:
    a, b = pair
    first, second = Recorder(), Recorder()
    ev = core.Timer(base, first, "one")
    ev.attach(0)
    base.dispatch()
    assert first.count == 1
    ev.assign(base, a, EV_READ | EV_PERSIST, second, "two", priority=PRIORITY_HIGH)
    assert (ev.fd, ev.events, ev.callback, ev.arg, ev.priority) == (
        a.fileno(),
        EV_READ | EV_PERSIST,
        second,
        "two",
        PRIORITY_HIGH,
    )
    assert not ev.attached
    ev.attach()
    b.send(b"x")
    spin(base, 2)
    assert second.calls == [(a.fileno(), EV_READ, "two")] * 2
    assert first.count == 1


def test_assign_to_another_base(core: Any, backend: str) -> None:
    rec = Recorder()
    with core.EventBase(backend=backend) as b1, core.EventBase(backend=backend) as b2:
        ev = core.Timer(b1, noop)
        ev.assign(b2, -1, EV_TIMEOUT, rec)
        assert ev.base is b2
        ev.attach(0)
        b1.dispatch()
        assert rec.count == 0
        b2.dispatch()
        assert rec.count == 1


def test_assign_to_another_base_while_queued_in_the_old_one(core: Any, backend: str) -> None:
    """Detached while active, an event still has an entry in its old base's queue; assigned to
    another base and activated there, it must run there (and never in the old base)."""
    rec = Recorder()
    with core.EventBase(backend=backend) as b1, core.EventBase(backend=backend) as b2:
        ev = core.Event(b1, -1, EV_TIMEOUT, noop)
        ev.activate(EV_TIMEOUT)
        ev.detach()  # cancels the activation; b1's queue keeps a stale entry
        ev.assign(b2, -1, EV_TIMEOUT, rec)
        ev.activate(EV_TIMEOUT)
        b2.loop(nonblock=True)
        assert rec.events == [EV_TIMEOUT]
        b1.loop(nonblock=True)  # b1 drops its stale entry without running anything
        assert rec.count == 1
        ev.activate(EV_TIMEOUT)
        b2.loop(nonblock=True)
        assert rec.count == 2


def test_assign_attached_is_runtime_error(base: Any, core: Any) -> None:
    rec = Recorder()
    ev = core.Timer(base, rec)
    ev.attach(0)
    with pytest.raises(RuntimeError):
        ev.assign(base, -1, EV_TIMEOUT, noop)
    assert ev.callback is rec and ev.attached
    base.dispatch()
    assert rec.count == 1


def test_assign_active_is_runtime_error(base: Any, core: Any) -> None:
    rec = Recorder()
    ev = core.Timer(base, rec)
    ev.activate(EV_TIMEOUT)
    with pytest.raises(RuntimeError):
        ev.assign(base, -1, EV_TIMEOUT, noop)
    base.loop(nonblock=True)
    assert rec.count == 1


# -- priorities --------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 3, 4, 255, 256])
def test_default_priority_is_the_middle(core: Any, backend: str, n: int) -> None:
    with core.EventBase(backend=backend, priorities=n) as b:
        assert core.Event(b, -1, EV_TIMEOUT, noop).priority == n // 2
        assert core.Timer(b, noop).priority == n // 2
        assert core.Event(b, -1, EV_TIMEOUT, noop, priority=n - 1).priority == n - 1
        assert core.Event(b, -1, EV_TIMEOUT, noop, priority=0).priority == 0


def test_default_base_priority_is_medium(base: Any, core: Any) -> None:
    assert core.Event(base, -1, EV_TIMEOUT, noop).priority == PRIORITY_MEDIUM


def test_priority_setter(base: Any, core: Any) -> None:
    ev = core.Timer(base, noop)
    ev.priority = PRIORITY_HIGH
    assert ev.priority == PRIORITY_HIGH
    ev.attach(10)
    ev.priority = PRIORITY_LOW  # allowed while attached
    assert ev.priority == PRIORITY_LOW


@pytest.mark.parametrize("bad", [-1, 3, 1000])
def test_priority_out_of_range(base: Any, core: Any, bad: int) -> None:
    ev = core.Timer(base, noop, priority=PRIORITY_HIGH)
    with pytest.raises(ValueError, match=str(bad)):
        ev.priority = bad
    assert ev.priority == PRIORITY_HIGH
    with pytest.raises(ValueError, match=str(bad)):
        core.Event(base, -1, EV_TIMEOUT, noop, priority=bad)
    with pytest.raises(ValueError, match=str(bad)):
        core.Timer(base, noop, priority=bad)


@pytest.mark.parametrize("n", [0, -1, 257, 1000])
def test_priorities_out_of_range(core: Any, backend: str, n: int) -> None:
    with pytest.raises(ValueError, match=str(n)):
        core.EventBase(backend=backend, priorities=n)


@pytest.mark.parametrize(
    ("levels", "high", "medium", "low"),
    [(1, 0, 0, 0), (3, 0, 1, 2), (10, 0, 5, 9), (256, 0, 128, 255)],
)
def test_priority_names_are_relative_to_the_base(
    core: Any, backend: str, levels: int, high: int, medium: int, low: int
) -> None:
    with core.EventBase(backend=backend, priorities=levels) as base:
        made = {
            name: core.Timer(base, Recorder(), priority=prio)
            for name, prio in (
                ("high", PRIORITY_HIGH),
                ("medium", PRIORITY_MEDIUM),
                ("low", PRIORITY_LOW),
            )
        }
        assert [made[n].priority for n in ("high", "medium", "low")] == [high, medium, low]
        default = core.Timer(base, Recorder())
        assert default.priority == medium  # PRIORITY_MEDIUM is the default of any base
        ev = core.Timer(base, Recorder())
        ev.priority = PRIORITY_LOW
        assert ev.priority == low and type(ev.priority) is int


def test_priority_names_compare_as_the_default_levels() -> None:
    assert (PRIORITY_HIGH, PRIORITY_MEDIUM, PRIORITY_LOW) == (0, 1, 2)
    assert repr(PRIORITY_LOW) == "fdevent.PRIORITY_LOW"


# -- once --------------------------------------------------------------------------------------


class _Arg:
    pass


def test_once_timeout(base: Any) -> None:
    cb = Recorder()
    arg = _Arg()
    assert base.once(-1, EV_TIMEOUT, cb, arg, timeout=0) is None
    base.dispatch()
    assert cb.calls == [(-1, EV_TIMEOUT, arg)]


def test_once_read(base: Any, pair: Any) -> None:
    a, b = pair
    cb = Recorder()
    base.once(a, EV_READ, cb, "r")
    b.send(b"x")
    spin(base, 3)
    assert cb.calls == [(a.fileno(), EV_READ, "r")]


def test_once_read_with_timeout_times_out(base: Any, pair: Any) -> None:
    a, _ = pair
    cb = Recorder()
    base.once(a, EV_READ, cb, timeout=0.01)
    base.dispatch()
    assert cb.calls == [(a.fileno(), EV_TIMEOUT, None)]


def test_once_keeps_nothing_alive_after_firing(base: Any, pair: Any) -> None:
    a, b = pair
    cb, arg = Recorder(), _Arg()
    refs = [weakref.ref(cb), weakref.ref(arg)]
    base.once(a, EV_READ, cb, arg)
    cb2, arg2 = Recorder(), _Arg()
    refs += [weakref.ref(cb2), weakref.ref(arg2)]
    base.once(-1, EV_TIMEOUT, cb2, arg2, timeout=0)
    b.send(b"x")
    base.dispatch()
    assert len(cb.calls) == 1 and len(cb2.calls) == 1
    del cb, arg, cb2, arg2
    gc.collect()
    assert [r() for r in refs] == [None] * 4


def test_once_keeps_nothing_alive_after_close(core: Any, backend: str, pair: Any) -> None:
    a, _ = pair
    b = core.EventBase(backend=backend)
    cb, arg = Recorder(), _Arg()
    refs = [weakref.ref(cb), weakref.ref(arg)]
    b.once(a, EV_READ, cb, arg, timeout=100)
    b.once(-1, EV_TIMEOUT, cb, arg, timeout=100)
    del cb, arg
    gc.collect()
    assert refs[0]() is not None  # pending: the base holds it
    b.close()
    gc.collect()
    assert [r() for r in refs] == [None, None]
