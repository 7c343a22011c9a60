"""The event record: the fields the base, the fd table and the timer heap work on.

A leaf module: it imports nothing of the core, so the base, the fd table and the heap can
all work on events (``cimport`` in the compiled core) without importing the public ``Event``
class, and without an import circle. ``event.Event`` subclasses it and adds the public
methods; the record adds no method of its own, so an event carries no vtable pointer.

``_state`` holds bits (libevent's ``EVLIST_*``): ``ST_ATTACHED`` while the event is pending;
``ST_INTERNAL`` for the base's own events (the thread wakeup), which never count as attached,
or ``dispatch()`` could never return; ``ST_HANDLER`` when the callback is a ``Handler``;
``ST_FDOBJ`` when the fd was given as an object (a socket, say).

Why ``ST_FDOBJ``: the event keeps the object given as its fd, so that it cannot be collected
and its fd closed while the event lives, in ``_arg`` as the pair ``(arg, object)``. That
costs a tuple for those events only, and keeps a field out of every record: a timer has no
fd, and most events are given an int (the record's size is reasoned out in ``record.pxd``).
A ``Handler``'s events are given an int fd (``streams/driver.py``, ``streams/flow.py``), so
its ``_arg`` is the argument itself.

Why ``Handler``: a stream's read and write events fire once per request, and a Python-level
callback costs a Python call with three boxed arguments before the stream's C code runs. A
``Handler`` is a callable whose ``_io_ready`` the base's loop calls instead (a C call through
the vtable on the compiled core, a plain method call on the pure one) with the record and
what happened as a C int. It stays callable as any callback (debug mode's timed call, the
``callback`` property, ``dump()``); ``assign()`` clears the bit, since the callback is then
whatever the caller gave.
"""

from __future__ import annotations

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

ST_ATTACHED = 0x01
ST_INTERNAL = 0x02
ST_HANDLER = 0x04
ST_FDOBJ = 0x08


@cython.freelist(256)
@cython.cclass
class EventRecord:
    """The state of one event (the C layout is in ``_record.pxd``)."""

    # The C layout is in _record.pxd; these annotations tell type checkers the same.
    _base: Any
    _callback: Any
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
    _state: int


@cython.cclass
class Handler:
    """A callback the base calls in C: an ``ST_HANDLER`` event's ``_callback`` is one.

    A subclass implements ``_io_ready(ev, res)`` (``res``: what happened, the callback's
    ``events`` argument) and, for every other caller (debug mode's timed call, a user
    calling ``event.callback``), ``__call__(fd, events, arg)`` doing the same.
    """

    @cython.cfunc
    def _io_ready(self, ev: EventRecord, res: cython.int) -> None:
        raise NotImplementedError


def _no_callback(fd: int, events: int, arg: object) -> None:
    # An internal event's fd is handled by the base itself; this never runs.
    return None


@cython.ccall
def internal_record(base: object, fd: cython.int, events: cython.int) -> EventRecord:
    """A record of the base's own (``ST_INTERNAL``): watched like an event, never counted."""
    ev = EventRecord()
    ev._base = base
    ev._callback = _no_callback
    ev._arg = None
    ev._deadline = 0.0
    ev._interval = -1.0
    ev._seq = 0
    ev._fd = fd
    ev._heap_index = -1
    ev._qcount = 0
    ev._events = events
    ev._priority = 0
    ev._res = 0
    ev._state = ST_INTERNAL
    return ev
