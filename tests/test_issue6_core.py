"""Two defects of issue 6 fixed in the core: an event keeps its fd object alive, and the
priority names mean the highest, middle and lowest level of a base of any size."""

from __future__ import annotations

import gc
import socket
import weakref
from typing import Any

import pytest
from support.recorder import Recorder

from fdevent import EV_PERSIST, EV_READ, PRIORITY_HIGH, PRIORITY_LOW, PRIORITY_MEDIUM


def test_event_keeps_the_socket_it_watches_alive(base: Any, core: Any) -> None:
    a, b = socket.socketpair()
    number = a.fileno()
    watched = weakref.ref(a)
    rec = Recorder()
    ev = core.Event(base, a, EV_READ | EV_PERSIST, rec)
    ev.attach()
    del a  # the user drops the socket; the event must keep it (asyncio keeps it too)
    gc.collect()
    assert watched() is not None
    assert ev.fd == number  # still the int
    b.send(b"x")
    base.loop(once=True)
    assert rec.calls == [(number, EV_READ, None)]
    ev.detach()
    del ev
    gc.collect()
    assert watched() is None  # nothing else held it: no leak once the event is gone
    b.close()


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


def test_low_runs_after_the_default_on_a_ten_level_base(core: Any, backend: str) -> None:
    order: list[str] = []
    with core.EventBase(backend=backend, priorities=10) as base:
        for name, prio in (("low", PRIORITY_LOW), ("default", None), ("high", PRIORITY_HIGH)):
            core.Timer(base, lambda fd, ev, arg: order.append(arg), name, prio).attach(0)
        base.dispatch()
    assert order == ["high", "default", "low"]


def test_priority_names_compare_as_the_default_levels() -> None:
    assert (PRIORITY_HIGH, PRIORITY_MEDIUM, PRIORITY_LOW) == (0, 1, 2)
    assert repr(PRIORITY_LOW) == "fdevent.PRIORITY_LOW"
