"""Bad input: a specific exception at the call that made it, naming the bad value, and the base
left as it was (checked by what ``dispatch()`` does afterwards)."""

from __future__ import annotations

import datetime
import errno
import math
import os
import resource
import socket
from typing import Any

import pytest
from support.loop import spin, timed
from support.recorder import Recorder, noop

import fdevent
from fdevent._flags import EV_ET, EV_PERSIST, EV_READ, EV_TIMEOUT, EV_WRITE


def names(exc: BaseException, value: Any) -> bool:
    """Whether the message names ``value`` (its repr, its str, or for odd objects its type)."""
    msg = str(exc)
    return repr(value) in msg or str(value) in msg or type(value).__name__ in msg


def assert_untouched(base: Any, core: Any) -> None:
    """The base still works: nothing stray is attached and a fresh timer fires."""
    assert timed(base.dispatch) < 0.5
    rec = Recorder()
    core.Timer(base, rec).attach(0)
    base.dispatch()
    assert rec.count == 1


class NoFileno:
    pass


class BadFileno:
    def fileno(self) -> str:
        return "three"


# -- construction --------------------------------------------------------------------------------


@pytest.mark.parametrize("fd", ["3", 3.0, None, NoFileno(), b"3", BadFileno()], ids=repr)
def test_fd_wrong_type(base: Any, core: Any, fd: Any) -> None:
    with pytest.raises(TypeError) as info:
        core.Event(base, fd, EV_READ, noop)
    assert names(info.value, fd) or "fileno" in str(info.value)
    assert_untouched(base, core)


@pytest.mark.parametrize("fd", [-1, -2, -100])
def test_io_event_needs_an_fd(base: Any, core: Any, fd: int) -> None:
    for flags in (EV_READ, EV_WRITE, EV_READ | EV_PERSIST):
        with pytest.raises(ValueError) as info:
            core.Event(base, fd, flags, noop)
        assert names(info.value, fd)
    assert_untouched(base, core)


@pytest.mark.parametrize("events", ["r", 2.0, None, [EV_READ]], ids=repr)
def test_events_wrong_type(base: Any, core: Any, pair: Any, events: Any) -> None:
    a, _ = pair
    with pytest.raises(TypeError) as info:
        core.Event(base, a, events, noop)
    assert names(info.value, events)


# 0x40 lies below EV_CLOSED (0x80), the highest flag: a range check would let it through.
@pytest.mark.parametrize("events", [0x40, 0x100, EV_READ | 0x40, EV_READ | 0x200, -1], ids=hex)
def test_unknown_flag_bits(base: Any, core: Any, pair: Any, events: int) -> None:
    a, _ = pair
    with pytest.raises(ValueError) as info:
        core.Event(base, a, events, noop)
    assert names(info.value, events) or hex(events) in str(info.value)


@pytest.mark.parametrize("callback", [42, None, "cb", object()], ids=repr)
def test_callback_not_callable(base: Any, core: Any, callback: Any) -> None:
    with pytest.raises(TypeError) as info:
        core.Event(base, -1, EV_TIMEOUT, callback)
    assert names(info.value, callback)
    with pytest.raises(TypeError):
        core.Timer(base, callback)
    with pytest.raises(TypeError):
        core.Ticker(base, callback)
    with pytest.raises(TypeError):
        base.once(-1, EV_TIMEOUT, callback, timeout=0)
    assert_untouched(base, core)


@pytest.mark.parametrize("priority", ["high", 1.0, 1.5, [1]], ids=repr)
def test_priority_wrong_type(base: Any, core: Any, priority: Any) -> None:
    with pytest.raises(TypeError):
        core.Event(base, -1, EV_TIMEOUT, noop, priority=priority)
    ev = core.Timer(base, noop)
    with pytest.raises(TypeError):
        ev.priority = priority
    assert ev.priority == 1


@pytest.mark.parametrize("priorities", ["3", 3.0, None], ids=repr)
def test_priorities_wrong_type(core: Any, backend: str, priorities: Any) -> None:
    with pytest.raises(TypeError):
        core.EventBase(backend=backend, priorities=priorities)


def test_base_wrong_type(core: Any) -> None:
    with pytest.raises(TypeError):
        core.Event(object(), -1, EV_TIMEOUT, noop)
    with pytest.raises(TypeError):
        core.Timer(None, noop)


# -- attach --------------------------------------------------------------------------------------


@pytest.mark.parametrize("timeout", ["1", b"1", [1], True, False, 1j], ids=repr)
def test_timeout_wrong_type(base: Any, core: Any, timeout: Any) -> None:
    t = core.Timer(base, noop)
    with pytest.raises(TypeError) as info:
        t.attach(timeout)
    assert names(info.value, timeout)
    assert not t.attached
    assert_untouched(base, core)


@pytest.mark.parametrize(
    "timeout", [-1, -0.001, -math.inf, math.nan, datetime.timedelta(seconds=-1)], ids=repr
)
def test_timeout_bad_value(base: Any, core: Any, timeout: Any) -> None:
    for ev in (core.Timer(base, noop), core.Ticker(base, noop)):
        with pytest.raises(ValueError) as info:
            ev.attach(timeout)
        assert names(info.value, timeout) or "nan" in str(info.value).lower()
        assert not ev.attached
    assert_untouched(base, core)


@pytest.mark.parametrize("flags", [0, EV_TIMEOUT, EV_PERSIST, EV_TIMEOUT | EV_PERSIST])
def test_event_waiting_for_nothing(base: Any, core: Any, flags: int) -> None:
    ev = core.Event(base, -1, flags, noop)
    with pytest.raises(ValueError):
        ev.attach()
    assert not ev.attached
    assert_untouched(base, core)


def test_fd_not_open(base: Any, core: Any) -> None:
    s = socket.socket()
    number = s.fileno()
    s.close()
    ev = core.Event(base, number, EV_READ, noop)
    with pytest.raises(OSError) as info:
        ev.attach()
    # The OS's EBADF, its class and errno kept, with the fd named: not a bare "[Errno 9]".
    assert type(info.value) is OSError
    assert info.value.errno == errno.EBADF
    assert str(info.value) == f"[Errno {errno.EBADF}] fd {number}: {os.strerror(errno.EBADF)}"
    assert not ev.attached
    assert_untouched(base, core)


@pytest.mark.parametrize("flags", [EV_READ, EV_WRITE | EV_PERSIST, EV_TIMEOUT])
def test_closed_socket_says_it_is_closed(base: Any, core: Any, flags: int) -> None:
    s = socket.socket()
    s.close()
    for call in (
        lambda: core.Event(base, s, flags, noop),
        lambda: core.Timer(base, noop).assign(base, s, flags, noop),
        lambda: base.once(s, flags, noop, timeout=1),
    ):
        with pytest.raises(ValueError) as info:
            call()
        assert str(info.value) == f"{s!r} is closed (its fileno() is -1)"
    assert_untouched(base, core)


def test_fd_not_open_second_event(base: Any, core: Any, pair: Any) -> None:
    """A bad attach next to a good one leaves the good one alone."""
    a, b = pair
    rec = Recorder()
    core.Event(base, a, EV_READ, rec).attach()
    s = socket.socket()
    number = s.fileno()
    s.close()
    with pytest.raises(OSError):
        core.Event(base, number, EV_WRITE, noop).attach()
    b.send(b"x")
    base.dispatch()
    assert rec.events == [EV_READ]


def test_regular_file_under_epoll(core: Any, tmp_path: Any) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"data")
    with open(path, "rb") as f, core.EventBase(backend="epoll") as base:
        ev = core.Event(base, f, EV_READ, noop)
        with pytest.raises(OSError, match=r"(?i)regular file"):
            ev.attach()
        assert not ev.attached
        assert_untouched(base, core)


def test_edge_triggered_on_poll_and_select(core: Any, pair: Any) -> None:
    a, _ = pair
    for backend in ("poll", "select"):
        with core.EventBase(backend=backend) as base:
            with pytest.raises(ValueError, match=r"(?i)edge"):
                core.Event(base, a, EV_READ | EV_ET, noop).attach()
            assert_untouched(base, core)


def free_fd_at_least(n: int) -> int:
    """The first fd number >= n that is not open (so dup2 onto it closes nothing of ours)."""
    while True:
        try:
            os.fstat(n)
        except OSError:
            return n
        n += 1


def test_select_fd_setsize(core: Any) -> None:
    high = free_fd_at_least(1500)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft <= high:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, high + 100), hard))
    a, b = socket.socketpair()
    try:
        os.dup2(a.fileno(), high)
        with core.EventBase(backend="select") as base:
            with pytest.raises(ValueError) as info:
                core.Event(base, high, EV_READ, noop).attach()
            assert str(high) in str(info.value)
            assert_untouched(base, core)
        for backend in fdevent.supported_backends():
            if backend == "select":
                continue
            with core.EventBase(backend=backend) as base:
                rec = Recorder()
                core.Event(base, high, EV_READ, rec).attach()
                b.send(b"x")
                base.dispatch()
                assert rec.calls == [(high, EV_READ, None)]
                os.read(high, 10)
    finally:
        os.close(high)
        a.close()
        b.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


# -- activate, once, loopexit --------------------------------------------------------------------


@pytest.mark.parametrize("events", [0, EV_PERSIST, EV_ET, 0x100, EV_READ | EV_PERSIST], ids=hex)
def test_activate_bad_value(base: Any, core: Any, events: int) -> None:
    rec = Recorder()
    ev = core.Timer(base, rec)
    with pytest.raises(ValueError):
        ev.activate(events)
    spin(base, 2)
    assert rec.count == 0


@pytest.mark.parametrize("events", ["r", None, 2.0], ids=repr)
def test_activate_wrong_type(base: Any, core: Any, events: Any) -> None:
    rec = Recorder()
    ev = core.Timer(base, rec)
    with pytest.raises(TypeError):
        ev.activate(events)
    spin(base, 2)
    assert rec.count == 0


def test_once_bad_input(base: Any, core: Any, pair: Any) -> None:
    a, _ = pair
    with pytest.raises(ValueError):
        base.once(a, EV_READ | EV_PERSIST, noop)
    with pytest.raises(ValueError):
        base.once(-1, EV_TIMEOUT, noop)  # waits for nothing
    with pytest.raises(ValueError):
        base.once(-1, EV_READ, noop)
    with pytest.raises(ValueError):
        base.once(-1, EV_TIMEOUT, noop, timeout=-1)
    with pytest.raises(TypeError):
        base.once(-1, EV_TIMEOUT, noop, timeout="1")
    with pytest.raises(TypeError):
        base.once("x", EV_READ, noop)
    assert_untouched(base, core)


@pytest.mark.parametrize("delay", [-1, math.nan, datetime.timedelta(seconds=-1)], ids=repr)
def test_loopexit_bad_value(base: Any, core: Any, delay: Any) -> None:
    with pytest.raises(ValueError):
        base.loopexit(delay)
    rec = Recorder()
    core.Timer(base, rec).attach(0)
    core.Timer(base, rec).attach(0.01)
    base.dispatch()
    assert rec.count == 2 and not base.got_exit


@pytest.mark.parametrize("delay", ["1", True, [1]], ids=repr)
def test_loopexit_wrong_type(base: Any, delay: Any) -> None:
    with pytest.raises(TypeError):
        base.loopexit(delay)


def test_assign_bad_input_leaves_event_as_it_was(base: Any, core: Any) -> None:
    rec = Recorder()
    ev = core.Timer(base, rec, "arg")
    with pytest.raises(TypeError):
        ev.assign(base, -1, EV_TIMEOUT, 42)
    with pytest.raises(ValueError):
        ev.assign(base, -1, EV_READ, noop)
    assert (ev.fd, ev.events, ev.callback, ev.arg) == (-1, EV_TIMEOUT, rec, "arg")
    ev.attach(0)
    base.dispatch()
    assert rec.calls == [(-1, EV_TIMEOUT, "arg")]


# -- backends ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["nope", "kqueue-ish", ""])
def test_unknown_backend(core: Any, name: str) -> None:
    with pytest.raises(ValueError) as info:
        core.EventBase(backend=name)
    msg = str(info.value)
    assert repr(name) in msg or (name and name in msg)
    for available in fdevent.supported_backends():
        assert available in msg


def test_unavailable_backend(core: Any) -> None:
    missing = [
        b for b in ("epoll", "kqueue", "poll", "select") if b not in fdevent.supported_backends()
    ]
    for name in missing:
        with pytest.raises(ValueError) as info:
            core.EventBase(backend=name)
        assert name in str(info.value)


# -- a closed base -------------------------------------------------------------------------------


def test_closed_base_is_runtime_error(core: Any, backend: str, pair: Any) -> None:
    a, _ = pair
    base = core.EventBase(backend=backend)
    ev = core.Event(base, a, EV_READ, noop)
    timer = core.Timer(base, noop)
    timer.attach(10)
    base.close()
    calls = {
        "Event": lambda: core.Event(base, a, EV_READ, noop),
        "Timer": lambda: core.Timer(base, noop),
        "Ticker": lambda: core.Ticker(base, noop),
        "attach": ev.attach,
        "attach timeout": lambda: timer.attach(1),
        "activate": lambda: ev.activate(EV_READ),
        "assign": lambda: ev.assign(base, -1, EV_TIMEOUT, noop),
        "loop": base.loop,
        "loop nonblock": lambda: base.loop(nonblock=True),
        "dispatch": base.dispatch,
        "loopexit": base.loopexit,
        "once": lambda: base.once(-1, EV_TIMEOUT, noop, timeout=0),
    }
    for name, call in calls.items():
        with pytest.raises(RuntimeError):
            call()
            pytest.fail(f"{name} on a closed base did not raise")
    ev.detach()  # no-op
    timer.detach()
    assert not timer.attached
    base.close()
