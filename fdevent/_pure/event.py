"""Event, Timer and Ticker: the public face of an event, checking every argument at the door.

An event is a plain record (fd, flags, callback, argument, priority, timer state, queue
state). All the work is the base's: these methods validate, then call the base's typed
internal method (``_attach``, ``_detach``, ``_activate``) so the hot path is straight code.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

try:
    import cython
except ImportError:  # pragma: no cover - the pure core without Cython installed
    from . import _cython_shim as cython  # type: ignore[no-redef]

from .._flags import (
    EV_ALL,
    EV_IO,
    EV_PERSIST,
    EV_RESULTS,
    EV_SIGNAL,
    EV_TIMEOUT,
    flags_repr,
)
from ._checks import check_int, fd_of, timeout_seconds
from .base import EventBase

#: fds are C ints.
_FD_MAX = 0x7FFFFFFF

Callback = Callable[[int, int, Any], object]


@cython.freelist(256)
@cython.cclass
class Event:
    """An fd condition, a timeout, or both, and the callback to run when it happens.

    ``Event(base, fd, events, callback, arg=None, priority=None)``

    ``fd`` is an int or an object with ``fileno()`` (-1 for a pure timer); ``events`` combines
    ``EV_READ``, ``EV_WRITE``, ``EV_TIMEOUT``, ``EV_PERSIST`` and ``EV_ET``. When the event
    happens the base calls ``callback(fd, events, arg)`` with the mask of what happened. An
    event is one-shot unless ``EV_PERSIST`` is given. ``priority`` defaults to the base's
    middle level.

    Raises:
        TypeError: ``base`` is not an EventBase, ``fd``, ``events`` or ``priority`` has the
            wrong type, or ``callback`` is not callable.
        ValueError: unknown flag bits, ``EV_READ``/``EV_WRITE`` with fd -1, a negative fd,
            a priority outside the base's levels.
        NotImplementedError: ``EV_SIGNAL`` (signal events are not supported yet).
        RuntimeError: the base is closed.
    """

    # The C layout is in event.pxd; these annotations tell type checkers the same.
    _base: EventBase
    _callback: Callback
    _arg: Any
    _deadline: float
    _interval: float
    _seq: int
    _fd: int
    _heap_index: int
    _qcount: int
    _events: int
    _priority: int
    _res: int
    _attached: bool

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
        if self._attached or self._res:
            raise RuntimeError(f"cannot assign {self!r}: detach it first")
        old = self._base
        _setup(self, base, fd, events, callback, arg, priority)
        if self._base is not old:
            # Queue entries left in the old base are that base's to skip (base._run_one).
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
                condition and no timeout); a persistent event's timeout is 0; ``EV_ET`` on a
                backend without edge-triggering; ``EV_ET`` and level-triggered events mixed
                on one fd.
            OSError: the poller refused the fd (not open, a regular file under epoll).
            RuntimeError: the base is closed.
        """
        base = self._base
        base._check_open()
        if timeout is None:
            if not self._events & EV_IO:
                raise ValueError(
                    f"{self!r} waits for nothing: give it EV_READ/EV_WRITE or a timeout"
                )
            base._attach(self, False, 0.0)
            self._interval = -1.0
            return
        t = timeout_seconds(timeout)
        if t == 0.0 and self._events & EV_PERSIST:
            raise ValueError("a persistent event's timeout is an interval and must be > 0")
        base._attach(self, True, t)

    def detach(self) -> None:
        """Make the event non-pending and cancel a pending activation.

        Does nothing on a detached event, and never raises for an fd that was closed
        behind the base's back.
        """
        if self._attached or self._res:
            self._base._detach(self)

    @cython.annotation_typing(False)
    def activate(self, events: int) -> None:
        """Make the event active now, as if ``events`` had happened (libevent's event_active).

        Its callback runs in the next iteration of the loop with ``events`` (OR-ed with any
        other reason it became active for). A detached event runs once and stays detached.

        Raises:
            TypeError: ``events`` is not an int.
            ValueError: ``events`` is 0 or has bits other than EV_READ, EV_WRITE, EV_TIMEOUT,
                EV_SIGNAL.
            RuntimeError: the base is closed.
        """
        events = check_int("events", events)
        if not events or events & ~EV_RESULTS:
            raise ValueError(
                f"events to activate must combine EV_READ, EV_WRITE, EV_TIMEOUT, EV_SIGNAL; "
                f"got {events:#x}"
            )
        self._base._check_open()
        self._base._activate(self, events)

    @property
    def base(self) -> EventBase:
        """The EventBase this event belongs to."""
        return self._base

    @property
    def fd(self) -> int:
        """The file descriptor number (-1 for a pure timer)."""
        return self._fd

    @property
    def events(self) -> int:
        """The flags the event was created with."""
        return self._events

    @property
    def callback(self) -> Callback:
        """The callable run as ``callback(fd, events, arg)``."""
        return self._callback

    @property
    def arg(self) -> Any:
        """The argument passed to the callback."""
        return self._arg

    @property
    def timeout(self) -> float | None:
        """The timeout given to the last ``attach()``, in seconds, or None."""
        return self._interval if self._interval >= 0.0 else None

    @property
    def attached(self) -> bool:
        """Whether the event is pending (attached and not yet fired, if one-shot)."""
        return bool(self._attached)

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
        self._priority = self._base._priority_of(value)

    def __repr__(self) -> str:
        state = "active" if self._res else "attached" if self._attached else "detached"
        return (
            f"<{type(self).__name__} fd={self._fd} events={flags_repr(self._events)} "
            f"priority={self._priority} {state}>"
        )


# Module functions, not methods: a cdef method would add a vtable pointer to every event
# (8 bytes, and a pymalloc size class more: 104 bytes instead of 96).
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
    self._heap_index = -1
    self._deadline = 0.0
    self._seq = 0
    self._attached = False
    self._res = 0
    self._qcount = 0
    _setup(self, base, fd, events, callback, arg, priority)


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
    if not isinstance(base_obj, EventBase):
        raise TypeError(f"base must be an EventBase, not {type(base_obj).__name__}")
    base: EventBase = base_obj
    base._check_open()
    num = fd_of(fd)
    events_int = check_int("events", events_obj)
    # EV_ALL is every flag bit (the low six), so a range check finds any unknown bit
    # without building a Python int for ~EV_ALL.
    if not 0 <= events_int <= EV_ALL:
        raise ValueError(f"unknown flags in events: {events_int:#x}")
    events: cython.int = events_int
    if events & EV_SIGNAL:
        raise NotImplementedError("EV_SIGNAL events are not supported yet")
    if not -1 <= num <= _FD_MAX:
        raise ValueError(f"fd must be from 0 to {_FD_MAX} (or -1 for no fd), got {num}")
    if events & EV_IO and num == -1:
        raise ValueError(f"{flags_repr(events & EV_IO)} needs an fd, got fd -1")
    if not callable(callback):
        raise TypeError(f"callback must be callable, not {type(callback).__name__}")
    prio = base._priority_of(priority)
    self._base = base
    self._fd = num
    self._events = events
    self._callback = callback
    self._arg = arg
    self._priority = prio
    self._interval = -1.0


@cython.cclass
class Timer(Event):
    """A one-shot timer: ``Timer(base, callback, arg=None, priority=None).attach(delay)``.

    An Event with fd -1 and ``EV_TIMEOUT``; ``callback(-1, EV_TIMEOUT, arg)`` runs once,
    ``delay`` seconds after ``attach(delay)``. Raises what Event raises.
    """

    @cython.annotation_typing(False)
    def __init__(
        self,
        base: EventBase,
        callback: Callback,
        arg: Any = None,
        priority: int | None = None,
    ) -> None:
        _init(self, base, -1, EV_TIMEOUT, callback, arg, priority)


@cython.cclass
class Ticker(Event):
    """A repeating timer: ``Ticker(base, callback, arg=None, priority=None).attach(interval)``.

    An Event with fd -1 and ``EV_TIMEOUT | EV_PERSIST``. Ticks do not drift: each deadline is
    the previous one plus ``interval``; ticks missed while the process was busy are skipped,
    not replayed. ``interval`` must be > 0. Raises what Event raises.
    """

    @cython.annotation_typing(False)
    def __init__(
        self,
        base: EventBase,
        callback: Callback,
        arg: Any = None,
        priority: int | None = None,
    ) -> None:
        _init(self, base, -1, EV_TIMEOUT | EV_PERSIST, callback, arg, priority)
