"""The two cores are one behaviour: same names, signatures, docstrings, reprs and errors.

The compiled core is the pure core's source compiled by Cython, so parity holds by
construction; these tests catch what compilation can still change (a typed argument that
Cython checks with its own message, a property that did not survive, a docstring lost).
"""

from __future__ import annotations

import inspect
import math
import socket
import tempfile
from collections.abc import Callable
from typing import Any

import pytest

import fdevent._compiled as compiled
import fdevent._pure as pure
from fdevent import EV_ET, EV_PERSIST, EV_READ, EV_SIGNAL, EV_TIMEOUT, EV_WRITE

CLASSES = ("Event", "Timer", "Ticker", "EventBase")


def _public(cls: type) -> list[str]:
    return sorted(name for name in dir(cls) if not name.startswith("_"))


def test_cores_are_what_they_say() -> None:
    assert pure.CORE == "pure"
    assert compiled.CORE == "compiled"
    # The compiled classes really are compiled: extension types, not Python classes.
    assert not hasattr(compiled.Event, "__dict__") or "__slots__" not in compiled.Event.__dict__
    assert type(compiled.EventBase.loop).__name__ != "function"
    assert type(pure.EventBase.loop).__name__ == "function"


@pytest.mark.parametrize("name", CLASSES)
def test_same_public_names(name: str) -> None:
    assert _public(getattr(pure, name)) == _public(getattr(compiled, name))


@pytest.mark.parametrize("name", CLASSES)
def test_same_signatures_and_docstrings(name: str) -> None:
    p, c = getattr(pure, name), getattr(compiled, name)
    # Compared cleaned: CPython 3.13 dedents the docstrings of code it compiles, Cython not.
    assert inspect.getdoc(p) == inspect.getdoc(c)
    assert p.__doc__ and len(p.__doc__) > 40
    for attr in _public(p):
        pa, ca = getattr(p, attr), getattr(c, attr)
        assert inspect.getdoc(pa) == inspect.getdoc(ca), attr
        assert pa.__doc__, f"{name}.{attr} has no docstring"
        if callable(pa):
            assert inspect.signature(pa) == inspect.signature(ca), attr
        else:
            assert isinstance(pa, property) == (
                type(ca).__name__ in ("property", "getset_descriptor")
            ), attr


def _reprs(core: Any) -> list[str]:
    out = []
    base = core.EventBase(backend="poll")
    try:
        a, b = socket.socketpair()
        with a, b:
            ev = core.Event(base, a, EV_READ | EV_PERSIST, lambda *args: None, priority=0)
            out.append(repr(ev).replace(f"fd={a.fileno()}", "fd=N"))
            ev.attach()
            out.append(repr(ev).replace(f"fd={a.fileno()}", "fd=N"))
            t = core.Timer(base, lambda *args: None)
            t.activate(EV_TIMEOUT)
            out.append(repr(t))
            out.append(repr(core.Ticker(base, lambda *args: None)))
            out.append(repr(base).replace(f"core={core.CORE} ", "core=CORE "))
            ev.detach()
            t.detach()
    finally:
        base.close()
    out.append(repr(base).replace(f"core={core.CORE} ", "core=CORE "))
    return out


def test_same_reprs() -> None:
    assert _reprs(pure) == _reprs(compiled)


def _noop(fd: int, events: int, arg: Any) -> None:
    pass


def _bad_calls(core: Any, fd: int, regular: int, bases: list[Any]) -> list[Callable[[], object]]:
    base = core.EventBase(backend="epoll" if "epoll" in pure_backends() else "poll")
    on_poll = core.EventBase(backend="poll")
    closed = core.EventBase()
    closed.close()
    bases.extend((base, on_poll))
    timer = core.Timer(base, _noop)
    ticker = core.Ticker(base, _noop)
    reader = core.Event(base, fd, EV_READ, _noop)
    nothing = core.Event(base, -1, EV_PERSIST, _noop)
    return [
        lambda: core.EventBase(backend="nope"),
        lambda: core.EventBase(backend=3),
        lambda: core.EventBase(priorities=0),
        lambda: core.EventBase(priorities=257),
        lambda: core.EventBase(priorities=True),
        lambda: core.Event(None, fd, EV_READ, _noop),
        lambda: core.Event(base, "x", EV_READ, _noop),
        lambda: core.Event(base, True, EV_READ, _noop),
        lambda: core.Event(base, -2, EV_READ, _noop),
        lambda: core.Event(base, 2**40, EV_READ, _noop),
        lambda: core.Event(base, fd, "r", _noop),
        lambda: core.Event(base, fd, 0x400, _noop),
        lambda: core.Event(base, 999, EV_SIGNAL, _noop),
        lambda: core.Event(base, 9, EV_SIGNAL, _noop),
        lambda: core.Event(base, 15, EV_SIGNAL | EV_READ, _noop),
        lambda: core.Event(on_poll, fd, EV_READ, _noop).attach() or base.closing("x"),
        lambda: closed.closing(fd),
        lambda: core.Event(base, -1, EV_READ, _noop),
        lambda: core.Event(base, fd, EV_READ, 42),
        lambda: core.Event(base, fd, EV_READ, _noop, None, 3),
        lambda: core.Event(base, fd, EV_READ, _noop, None, 1.0),
        lambda: core.Event(closed, fd, EV_READ, _noop),
        lambda: timer.attach(),
        lambda: timer.attach(-1),
        lambda: timer.attach(math.nan),
        lambda: timer.attach("1"),
        lambda: timer.attach(True),
        lambda: ticker.attach(0),
        lambda: nothing.attach(),
        lambda: reader.activate(0),
        lambda: reader.activate(EV_PERSIST),
        lambda: reader.activate("r"),
        lambda: setattr(reader, "priority", 9),
        lambda: setattr(reader, "priority", None),
        lambda: setattr(reader, "fd", 3),
        lambda: core.Event(base, regular, EV_READ, _noop).attach(),
        lambda: core.Event(base, 10**6, EV_READ, _noop).attach(),
        lambda: base.once(fd, EV_READ | EV_PERSIST, _noop),
        lambda: base.loopexit(-1),
        lambda: base.set_exception_handler(3),
        lambda: closed.loop(),
        lambda: closed.loopexit(),
        lambda: core.Event(on_poll, fd, EV_READ | EV_ET, _noop).attach(),
        lambda: (reader.attach(), reader.assign(base, fd, EV_WRITE, _noop)),
    ]


def pure_backends() -> list[str]:
    import fdevent

    return fdevent.supported_backends()


def _outcomes(core: Any, fd: int, regular: int) -> list[tuple[str, str]]:
    out = []
    bases: list[Any] = []
    try:
        for call in _bad_calls(core, fd, regular, bases):
            try:
                call()
            except AttributeError as exc:
                # Setting a read-only property: CPython and Cython word it differently.
                out.append(("AttributeError", "read-only" if str(exc) else ""))
            except Exception as exc:
                out.append((type(exc).__name__, str(exc)))
            else:
                out.append(("no error", ""))
    finally:
        for base in bases:
            base.close()
    return out


def test_same_exceptions_and_messages() -> None:
    a, b = socket.socketpair()
    with a, b, tempfile.TemporaryFile() as regular:
        p = _outcomes(pure, a.fileno(), regular.fileno())
        c = _outcomes(compiled, a.fileno(), regular.fileno())
    assert p == c
    # Every bad call was refused with a message.
    for kind, message in p:
        assert kind != "no error"
        assert message


@pytest.mark.parametrize("core", [pure, compiled], ids=["pure", "compiled"])
def test_clock_is_time_monotonic(core: Any) -> None:
    # The compiled core reads CLOCK_MONOTONIC in C; it must be time.monotonic()'s clock.
    import time

    base = core.EventBase()
    try:
        for _ in range(1000):
            before = time.monotonic()
            now = base.now()
            after = time.monotonic()
            assert before <= now <= after
    finally:
        base.close()
