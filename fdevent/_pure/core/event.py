"""Event, Timer, Ticker and Signal: the public face of an event, checking every argument.

An event is a plain record (``_record.EventRecord``: fd, flags, callback, argument, priority,
timer state, queue state). All the work is the base's: these methods validate, then call the
base's typed internal method (``_attach``, ``_detach``, ``_activate``) between the base's
``_enter()`` and ``_leave()`` (its lock, for threads), so the hot path is straight code.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # Type checkers read the shim's typed no-ops, never Cython's untyped decorators: so an
    # installed fdevent is typed for its users whether or not Cython is installed.
    from ..clib import shim as cython
else:
    try:
        import cython
    except ImportError:  # pragma: no cover - the pure core without Cython installed
        from ..clib import shim as cython
    if not cython.compiled:  # at run time the pure core takes the shim (its docstring)
        from ..clib import shim as cython

from ... import _process
from ..._flags import (
    EV_ALL,
    EV_ET,
    EV_IO,
    EV_PERSIST,
    EV_RESULTS,
    EV_SIGNAL,
    EV_TIMEOUT,
    flags_repr,
)
from ..._introspect import TwinSignature
from . import base as _base_module
from .base import EventBase
from .checks import check_int, fd_of, timeout_seconds
from .record import ST_ATTACHED, ST_FDOBJ, ST_HANDLER, EventRecord

#: fds are C ints.
_FD_MAX = 0x7FFFFFFF

Callback = Callable[[int, int, Any], object]


@cython.cclass
class Event(EventRecord):
    """An fd condition, a timeout, or both, and the callback to run when it happens.

    ``Event(base, fd, events, callback, arg=None, priority=None)``

    ``fd`` is an int or an object with ``fileno()`` (-1 for a pure timer), or a signal number
    with ``EV_SIGNAL``; ``events`` combines ``EV_READ``, ``EV_WRITE``, ``EV_CLOSED``,
    ``EV_SIGNAL``, ``EV_TIMEOUT``, ``EV_PERSIST`` and ``EV_ET``. When the event happens the
    base calls ``callback(fd, events, arg)`` with the mask of what happened. An event is
    one-shot unless ``EV_PERSIST`` is given. ``priority`` defaults to the base's middle level
    (``PRIORITY_HIGH``, ``PRIORITY_MEDIUM`` and ``PRIORITY_LOW`` name the highest, middle and
    lowest level of any base).

    The event keeps a reference to the object given as ``fd`` (a socket, say), so the object
    cannot be garbage-collected, and its fd closed, while the event watches it; ``ev.fd`` is
    the int.

    Raises:
        TypeError: ``base`` is not an EventBase, ``fd``, ``events`` or ``priority`` has the
            wrong type, or ``callback`` is not callable.
        ValueError: unknown flag bits, ``EV_READ``/``EV_WRITE``/``EV_CLOSED`` with fd -1, a
            negative fd, a closed socket (``fileno()`` -1), a priority outside the base's
            levels; ``EV_SIGNAL`` with an fd condition or ``EV_ET``, or with a number that is
            not a catchable signal.
        RuntimeError: the base is closed.
    """

    __signature__ = TwinSignature()  # inspect.signature() on the compiled classes too

    @cython.annotation_typing(False)
    def __init__(
        self,
        base: EventBase,
        fd: Any,
        events: int,
        callback: Callback,
        arg: Any = None,
        priority: int | None = None,
    ) -> None:
        _init(self, base, fd, events, callback, arg, priority)

    @cython.annotation_typing(False)
    def assign(
        self,
        base: EventBase,
        fd: Any,
        events: int,
        callback: Callback,
        arg: Any = None,
        priority: int | None = None,
    ) -> None:
        """Reinitialise a detached, inactive event with new arguments, for reuse.

        Takes the constructor's arguments and raises what it raises; the event is unchanged
        if they are refused.

        Raises:
            RuntimeError: the event is attached or active.
        """
        if self._state & ST_ATTACHED or self._res:
            raise RuntimeError(f"cannot assign {self!r}: detach it first")
        old = self._base
        _setup(self, base, fd, events, callback, arg, priority)
        self._state &= ~ST_HANDLER  # the arguments are the caller's now (record.py)
        if self._base is not old:
            # Queue entries left in the old base are that base's to skip (base._run_active).
            self._qcount = 0

    @cython.annotation_typing(False)
    def attach(self, timeout: float | datetime.timedelta | None = None) -> None:
        """Make the event pending: wait for its fd condition and/or ``timeout`` seconds.

        A timeout arms a timer whether or not ``EV_TIMEOUT`` is among the flags. On an event
        that is already attached this re-arms the timeout (``None`` cancels an earlier one);
        the fd registration is kept. Never early: the deadline is ``time.monotonic()`` now
        plus ``timeout``.

        Raises:
            TypeError: ``timeout`` is not a number or timedelta.
            ValueError: ``timeout`` is NaN or negative; the event waits for nothing (no fd
                condition, no signal and no timeout); a persistent event's timeout is 0;
                ``EV_ET`` on a backend without edge-triggering; ``EV_CLOSED`` on one that
                cannot report it (select); ``EV_ET`` and level-triggered events mixed on one
                fd; the first event for a signal attached outside the main thread.
            OSError: the poller refused the fd (not open, a regular file under epoll); the
                message names the fd.
            RuntimeError: the base is closed.
        """
        base = cython.cast(EventBase, self._base)
        has_timeout: cython.bint = timeout is not None
        t: cython.double = timeout_seconds(timeout) if has_timeout else 0.0
        entered = cython.declare(cython.int, base._enter())
        try:
            base._check_open()
            if not has_timeout:
                if not self._events & (EV_IO | EV_SIGNAL):
                    raise _waits_for_nothing(self)
                base._attach(self, False, 0.0)
                self._interval = -1.0
                return
            if t == 0.0 and self._events & EV_PERSIST:
                raise ValueError("a persistent event's timeout is an interval and must be > 0")
            base._attach(self, True, t)
        finally:
            base._leave(entered)

    def detach(self) -> None:
        """Make the event non-pending and cancel a pending activation.

        Does nothing on a detached event, and never raises for an fd that was closed
        behind the base's back. Called from a thread that is not running the loop, it returns
        only when the event's callback is not running (it waits for it if it was); from the
        loop's own thread it never waits.
        """
        base = cython.cast(EventBase, self._base)
        waits: cython.bint = False
        entered = cython.declare(cython.int, base._enter())
        try:
            if self._state & ST_ATTACHED or self._res:
                base._detach(self)
            waits = base._must_wait(self, entered)
        finally:
            base._leave(entered)
        if waits:
            base._wait_callback(self)

    @cython.annotation_typing(False)
    def activate(self, events: int) -> None:
        """Make the event active now, as if ``events`` had happened (libevent's event_active).

        Its callback runs in the next iteration of the loop with ``events`` (OR-ed with any
        other reason it became active for). A detached event runs once and stays detached.

        Raises:
            TypeError: ``events`` is not an int.
            ValueError: ``events`` is 0 or has bits other than EV_READ, EV_WRITE, EV_CLOSED,
                EV_TIMEOUT, EV_SIGNAL.
            RuntimeError: the base is closed.
        """
        events = check_int("events", events)
        if not events or events & ~EV_RESULTS:
            raise ValueError(
                f"events to activate must combine EV_READ, EV_WRITE, EV_CLOSED, EV_TIMEOUT, "
                f"EV_SIGNAL; got {events:#x}"
            )
        base = cython.cast(EventBase, self._base)
        entered = cython.declare(cython.int, base._enter())
        try:
            base._check_open()
            base._activate(self, events)
        finally:
            base._leave(entered)

    @property
    def base(self) -> EventBase:
        """The EventBase this event belongs to."""
        return self._base  # type: ignore[no-any-return]

    @property
    def fd(self) -> int:
        """The file descriptor number (-1 for a pure timer; the signal number for a signal)."""
        return self._fd

    @property
    def events(self) -> int:
        """The flags the event was created with."""
        return self._events

    @property
    def callback(self) -> Callback:
        """The callable run as ``callback(fd, events, arg)``."""
        return self._callback  # type: ignore[no-any-return]

    @property
    def arg(self) -> Any:
        """The argument passed to the callback."""
        return self._arg[0] if self._state & ST_FDOBJ else self._arg

    @property
    def timeout(self) -> float | None:
        """The timeout given to the last ``attach()``, in seconds, or None."""
        return self._interval if self._interval >= 0.0 else None

    @property
    def attached(self) -> bool:
        """Whether the event is pending (attached and not yet fired, if one-shot)."""
        return bool(self._state & ST_ATTACHED)

    @property
    def priority(self) -> int:
        """The priority level, 0 (highest) to the base's ``priorities - 1``.

        Settable at any time; an event already active keeps its place in the queue and the
        new level applies from its next activation. Raises TypeError/ValueError like the
        constructor's ``priority``.
        """
        return self._priority

    @priority.setter
    def priority(self, value: object) -> None:
        if value is None:
            raise TypeError("priority must be an int, not NoneType")
        base = cython.cast(EventBase, self._base)
        entered = cython.declare(cython.int, base._enter())
        try:
            self._priority = base._priority_of(value)
        finally:
            base._leave(entered)

    def __repr__(self) -> str:
        state = "active" if self._res else "attached" if self._state & ST_ATTACHED else "detached"
        return (
            f"<{type(self).__name__} fd={self._fd} events={flags_repr(self._events)} "
            f"priority={self._priority} {state}>"
        )


# Module functions, not methods: a cdef method would add a vtable pointer to every event
# (8 bytes, and a pymalloc size class more: see record.pxd).
@cython.cfunc
def _init(
    self: Event,
    base: object,
    fd: object,
    events: object,
    callback: object,
    arg: object,
    priority: object,
) -> None:
    _reset(self)
    _setup(self, base, fd, events, callback, arg, priority)


@cython.cfunc
def _init_timer(
    self: Event, base: object, events: cython.int, callback: object, arg: object, priority: object
) -> None:
    # Timer and Ticker: fd -1 and their flags are good by construction; the rest is checked
    # as _setup checks it, in the same order and with the same messages.
    _reset(self)
    _fill(self, _open_base(base), -1, events, callback, arg, priority)


@cython.cfunc
def _reset(self: Event) -> None:
    self._heap_index = -1
    self._deadline = 0.0
    self._seq = 0
    self._state = 0
    self._res = 0
    self._qcount = 0


@cython.cfunc
def _open_base(base_obj: object) -> EventBase:
    if not isinstance(base_obj, EventBase):
        raise TypeError(f"base must be an EventBase, not {type(base_obj).__name__}")
    base: EventBase = base_obj
    base._check_open()
    return base


@cython.cfunc
def _setup(
    self: Event,
    base_obj: object,
    fd: object,
    events_obj: object,
    callback: object,
    arg: object,
    priority: object,
) -> None:
    base: EventBase = _open_base(base_obj)
    num = fd_of(fd)
    events_int = check_int("events", events_obj)
    if events_int < 0 or events_int & ~EV_ALL:
        raise ValueError(f"unknown flags in events: {events_int:#x}")
    events: cython.int = events_int
    if not -1 <= num <= _FD_MAX:
        raise ValueError(f"fd must be from 0 to {_FD_MAX} (or -1 for no fd), got {num}")
    if events & EV_SIGNAL:
        if events & (EV_IO | EV_ET):
            raise ValueError(
                f"EV_SIGNAL cannot be combined with {flags_repr(events & (EV_IO | EV_ET))}"
            )
        _process.check_signal(num)
    elif events & EV_IO and num == -1:
        raise ValueError(f"{flags_repr(events & EV_IO)} needs an fd, got fd -1")
    _fill(self, base, num, events, callback, arg, priority)
    if not isinstance(fd, int):
        self._arg = (arg, fd)  # keeps the fd's object alive (record.py)
        self._state |= ST_FDOBJ


@cython.cfunc
def _fill(
    self: Event,
    base: EventBase,
    fd: cython.int,
    events: cython.int,
    callback: object,
    arg: object,
    priority: object,
) -> None:
    if not callable(callback):
        raise TypeError(f"callback must be callable, not {type(callback).__name__}")
    prio = base._priority_of(priority)
    self._base = base
    self._fd = fd
    self._events = events
    self._callback = callback
    self._arg = arg
    self._state &= ~ST_FDOBJ
    self._priority = prio
    self._interval = -1.0


@cython.cclass
class Timer(Event):
    """A one-shot timer: ``Timer(base, callback, arg=None, priority=None).attach(delay)``.

    An Event with fd -1 and ``EV_TIMEOUT``; ``callback(-1, EV_TIMEOUT, arg)`` runs once,
    ``delay`` seconds after ``attach(delay)`` (0: in the next iteration of the loop).

    Raises:
        TypeError, ValueError, RuntimeError: as Event; ``attach()`` without a delay is a
            ValueError that says a timer needs one.
    """

    @cython.annotation_typing(False)
    def __init__(
        self,
        base: EventBase,
        callback: Callback,
        arg: Any = None,
        priority: int | None = None,
    ) -> None:
        _init_timer(self, base, EV_TIMEOUT, callback, arg, priority)


def _waits_for_nothing(ev: Event) -> ValueError:
    # attach() without a timeout, on an event with no fd condition and no signal: a timer
    # (EV_TIMEOUT, so every Timer and Ticker) lacks its delay; anything else lacks everything.
    if ev._events & EV_TIMEOUT:
        if ev._events & EV_PERSIST:
            return ValueError("a ticker needs an interval: call attach(seconds)")
        return ValueError("a timer needs a delay: call attach(seconds)")
    return ValueError(
        f"{ev!r} waits for nothing: give it EV_READ/EV_WRITE/EV_CLOSED, EV_SIGNAL or a timeout"
    )


@cython.cclass
class Ticker(Event):
    """A repeating timer: ``Ticker(base, callback, arg=None, priority=None).attach(interval)``.

    An Event with fd -1 and ``EV_TIMEOUT | EV_PERSIST``. Ticks do not drift: each deadline is
    the previous one plus ``interval``; ticks missed while the process was busy are skipped,
    not replayed. ``interval`` must be > 0.

    Raises:
        TypeError, ValueError, RuntimeError: as Event; ``attach()`` without an interval is a
            ValueError that says a ticker needs one (and ``attach(0)`` one that it must be > 0).
    """

    @cython.annotation_typing(False)
    def __init__(
        self,
        base: EventBase,
        callback: Callback,
        arg: Any = None,
        priority: int | None = None,
    ) -> None:
        _init_timer(self, base, EV_TIMEOUT | EV_PERSIST, callback, arg, priority)


@cython.cclass
class Signal(Event):
    """A persistent signal event: ``Signal(base, signum, callback, arg=None, priority=None)``.

    An Event with ``fd`` = ``signum`` and ``EV_SIGNAL | EV_PERSIST``; ``attach()`` it.
    ``callback(signum, EV_SIGNAL, arg)`` runs in the loop's thread, in a normal iteration,
    once per iteration in which the signal arrived at least once (signals coalesce). The first
    attached event for a signal in the process installs fdevent's handler; when the last one
    is detached the previous handler is restored.

    Raises:
        TypeError: as Event; ``signum`` is not an int.
        ValueError: ``signum`` is not a signal number, or is SIGKILL or SIGSTOP.
        RuntimeError: the base is closed.
    """

    @cython.annotation_typing(False)
    def __init__(
        self,
        base: EventBase,
        signum: int,
        callback: Callback,
        arg: Any = None,
        priority: int | None = None,
    ) -> None:
        _init(
            self, base, check_int("signum", signum), EV_SIGNAL | EV_PERSIST, callback, arg, priority
        )


# EventBase.once() makes its events with this class (base.py cannot import this module).
_base_module._Event = Event
