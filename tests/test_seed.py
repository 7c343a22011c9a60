"""The seed's Go tests (github.com/cheng-zhongliang/event, event_test.go) rendered in Python.

Where the seed used an eventfd we use a socket pair; where it called ``base.Exit()`` from a
callback (which closed the poller, so Dispatch returned ErrBadFileDescriptor) we call
``base.close()``, which docs/contract.md says ends ``dispatch()`` cleanly. ``AddEvent(ev, 0)`` is
``attach()`` (no timeout), ``AddEvent(ev, d)`` is ``attach(d)``, ``DelEvent`` is ``detach()``,
``SetPriority(HPri)`` is ``priority = PRIORITY_HIGH``, and ``Loop(EvLoopOnce|EvLoopNoblock)``
is ``loop(once=True, nonblock=True)``.
"""

from __future__ import annotations

from typing import Any

import pytest
from support.loop import EDGE_BACKENDS, timed
from support.recorder import Recorder, noop

from fdevent._flags import EV_ET, EV_PERSIST, EV_READ, EV_TIMEOUT, PRIORITY_HIGH


def test_new_base(core: Any, backend: str) -> None:
    # The seed's NewBase: a base on the chosen mechanism, usable at once, closed once.
    with core.EventBase(backend=backend) as base:
        assert base.backend == backend
        assert not base.closed
        assert timed(base.dispatch) < 0.5  # nothing attached: returns at once
    assert base.closed
    with pytest.raises(RuntimeError):
        base.dispatch()


def test_add_event(base: Any, core: Any, pair: Any) -> None:
    a, _ = pair
    ev = core.Event(base, a, EV_READ, noop)
    ev.attach()
    assert ev.attached
    base.close()
    assert not ev.attached


def test_del_event(base: Any, core: Any, pair: Any) -> None:
    a, _ = pair
    ev = core.Event(base, a, EV_READ, noop)
    ev.attach()
    ev.detach()
    assert not ev.attached


def test_event_dispatch(base: Any, core: Any, pair: Any) -> None:
    a, b = pair
    checked: list[bool] = []

    def cb(fd: int, events: int, arg: Any, /) -> None:
        checked.append(fd == a.fileno() and events == EV_READ and arg == "hello")
        a.recv(8)
        base.close()

    core.Event(base, a, EV_READ, cb, "hello").attach()
    b.send(b"\0\0\0\0\0\0\0\1")
    base.dispatch()
    assert checked == [True]


def test_event_timeout(base: Any, core: Any, pair: Any) -> None:
    a, _ = pair
    checked: list[bool] = []

    def cb(fd: int, events: int, arg: Any, /) -> None:
        checked.append(fd == a.fileno() and events == EV_TIMEOUT and arg == "hello")
        base.close()

    core.Event(base, a, EV_READ | EV_TIMEOUT, cb, "hello").attach(0.01)
    base.dispatch()
    assert checked == [True]


def test_timer(base: Any, core: Any) -> None:
    checked: list[bool] = []

    def cb(fd: int, events: int, arg: Any, /) -> None:
        checked.append(fd == -1 and events == EV_TIMEOUT and arg == "hello")
        base.close()

    core.Event(base, -1, EV_TIMEOUT, cb, "hello").attach(0.01)
    base.dispatch()
    assert checked == [True]


def test_timer_class(base: Any, core: Any) -> None:
    rec = Recorder()
    core.Timer(base, rec, "hello").attach(0.01)
    base.dispatch()
    assert rec.calls == [(-1, EV_TIMEOUT, "hello")]


def test_ticker(base: Any, core: Any) -> None:
    n = 0
    checked: list[bool] = []

    def cb(fd: int, events: int, arg: Any, /) -> None:
        nonlocal n
        checked.append(events == EV_TIMEOUT and arg == "hello")
        n += 1
        if n == 3:
            base.close()

    core.Event(base, -1, EV_TIMEOUT | EV_PERSIST, cb, "hello").attach(0.005)
    base.dispatch()
    assert n == 3
    assert checked == [True] * 3


def test_ticker_class(base: Any, core: Any) -> None:
    rec = Recorder(lambda fd, e, arg: base.loopexit() if rec.count == 3 else None)
    core.Ticker(base, rec, "hello").attach(0.005)
    base.dispatch()
    assert rec.calls == [(-1, EV_TIMEOUT, "hello")] * 3


def test_priority(base: Any, core: Any, make_pair: Any) -> None:
    a0, b0 = make_pair()
    a1, b1 = make_pair()
    b0.send(b"\0\0\0\0\0\0\0\1")
    b1.send(b"\0\0\0\0\0\0\0\1")
    order: list[int] = []

    def cb0(fd: int, events: int, arg: Any, /) -> None:
        assert (fd, events, arg) == (a0.fileno(), EV_READ, "hello")
        a0.recv(8)
        order.append(0)
        base.close()

    def cb1(fd: int, events: int, arg: Any, /) -> None:
        assert (fd, events, arg) == (a1.fileno(), EV_READ, "hello")
        a1.recv(8)
        order.append(1)

    ev0 = core.Event(base, a0, EV_READ, cb0, "hello")
    ev1 = core.Event(base, a1, EV_READ, cb1, "hello")
    ev1.priority = PRIORITY_HIGH
    ev0.attach()
    ev1.attach()
    base.dispatch()
    assert order == [1, 0]


def test_edge_trigger(base: Any, core: Any, backend: str, pair: Any) -> None:
    a, b = pair
    b.send(b"\0\0\0\0\0\0\0\1")
    n = 0

    def cb(fd: int, events: int, arg: Any, /) -> None:
        nonlocal n
        if events & EV_TIMEOUT:
            base.close()
            return
        n += 1

    ev = core.Event(base, a, EV_READ | EV_TIMEOUT | EV_PERSIST | EV_ET, cb, "hello")
    if backend not in EDGE_BACKENDS:
        with pytest.raises(ValueError, match=r"(?i)edge"):
            ev.attach(0.01)
        assert not ev.attached
        return
    ev.attach(0.01)
    base.dispatch()
    assert n == 1


def test_event_loop_many(base: Any, core: Any, make_pair: Any) -> None:
    """The seed's BenchmarkEventLoop, as a test: 100 readers, each fed one byte."""
    fires = 0

    def cb(fd: int, events: int, arg: Any, /) -> None:
        nonlocal fires
        arg.recv(1)
        fires += 1

    pairs = [make_pair() for _ in range(100)]
    for a, b in pairs:
        core.Event(base, a, EV_READ | EV_PERSIST, cb, a).attach()
        b.send(b"e")
    rounds = 0
    while fires < len(pairs):
        base.loop(once=True, nonblock=True)
        rounds += 1
        assert rounds < 100
    assert fires == len(pairs)
