"""The state of an event base, and what attaching, detaching and activating an event do to it.

``BaseState`` declares every field of a base but the lock protocol's (those are ``Guard``'s,
``guard.py``); its C layout is in ``state.pxd``. It owns the tables the loop runs over: the
fd table and the signal table (``evmap.py``), the timer heap (``timeheap.py``), the active
queues, one per priority, and the counts of attached and active events. Its operations are
the ones that change those tables, which an event's methods call through its base:
``_attach``, ``_detach`` (``_forget``, its first half, on its own for an fd already gone),
``_activate``, and the signal table's ``_watch_signal``/``_unwatch_signal``; with them the
checks they need (``_check_open``, ``_priority_of``) and the clock every time read goes
through (``_clock``).

``LoopCore`` (``loop.py``), its subclass, is the loop that runs over these tables; the
public face is ``EventBase`` (``base.py``). Compiled, these are C methods of the base's
class: the loop and the events call them through its vtable, whichever class defines them.
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

from ... import _process
from ..._flags import EV_CLOSED, EV_ET, EV_IO, EV_SIGNAL, _Priority
from ..clib.cext import monotonic
from .evmap import EvMap
from .guard import Guard
from .record import ST_ATTACHED, ST_INTERNAL, EventRecord
from .timeheap import TimerHeap

if TYPE_CHECKING:
    from collections.abc import Callable


@cython.cclass
class BaseState(Guard):
    """The fields of an event base and the operations on its tables; see the module docstring.

    Not instantiated on its own: ``EventBase.__init__`` fills every field (the lock
    protocol's are ``Guard``'s, in ``guard.py``).
    """

    # The C layout is in state.pxd; these annotations tell type checkers the same.
    _poller: Any  # a backends.Poller (cimported in state.pxd)
    _backend: str
    _evmap: EvMap
    _timers: TimerHeap
    _queues: list[list[EventRecord]]
    _npriorities: int
    _nattached: int
    _nactive: int
    _now: float
    _exit_at: float
    _clockfn: Any
    _debug: bool
    _slow: float
    _iterations: int
    _callbacks: int
    _poll_time: float
    _callback_time: float
    _running: bool
    _closed: bool
    _break: bool
    _got_exit: bool
    _got_break: bool
    _exc_handler: Callable[[Any, Exception], object] | None
    _forked: bool
    _sigpending: set[int]
    _wakefd: int
    _wakeev: EventRecord | None
    #: kind -> a callable that ``close()`` calls once: what holds OS resources on this base
    #: and must be released with it (the streams of the base: ``streams/owners.py``).
    _closers: dict[Any, Callable[[], object]]

    # -- the seam every time read goes through (the pair every entry goes through: guard.py) --

    @cython.cfunc
    @cython.exceptval(-1.0, check=True)
    def _clock(self) -> cython.double:
        # Every time the base reads goes through here.
        if self._clockfn is None:
            return monotonic()
        return float(self._clockfn())

    # -- internals called by Event ---------------------------------------------------------

    @cython.cfunc
    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("the event base is closed")

    @cython.cfunc
    @cython.exceptval(-1, check=True)
    def _priority_of(self, priority: object) -> cython.int:
        if priority is None:
            return self._npriorities // 2
        if type(priority) is not int:
            if isinstance(priority, bool) or not isinstance(priority, int):
                raise TypeError(f"priority must be an int, not {type(priority).__name__}")
            if isinstance(priority, _Priority):
                return int(priority.level(self._npriorities))
        p: int = int(priority)
        if not 0 <= p < self._npriorities:
            raise ValueError(f"priority must be from 0 to {self._npriorities - 1}, got {priority}")
        return p

    @cython.cfunc
    def _attach(self, ev: EventRecord, has_timeout: cython.bint, timeout: cython.double) -> None:
        if not ev._state & ST_ATTACHED:
            if ev._events & EV_SIGNAL:
                self._watch_signal(ev)
            elif ev._events & EV_IO:
                if ev._events & EV_ET and not self._poller.supports_et:
                    raise ValueError(
                        f"EV_ET (edge-triggered) needs the epoll or kqueue backend; "
                        f"this base uses {self._backend}"
                    )
                if ev._events & EV_CLOSED and not self._poller.supports_closed:
                    raise ValueError(
                        f"EV_CLOSED (the peer's close) cannot be reported by the "
                        f"{self._backend} backend; use epoll, kqueue or poll (on Linux)"
                    )
                stale: Any = self._evmap.add(ev)
                if stale is not None:
                    for old in stale:
                        self._forget(old)
            ev._state |= ST_ATTACHED
            if not ev._state & ST_INTERNAL:
                self._nattached += 1
        if has_timeout:
            ev._interval = timeout
            self._timers.schedule(ev, self._clock() + timeout)
        elif ev._heap_index >= 0:
            self._timers.remove(ev)

    @cython.cfunc
    def _forget(self, ev: EventRecord) -> None:
        # Everything detach() does but the fd table: for events whose fd entry is already
        # gone (stale, closing), and as the first half of _detach.
        if ev._res:
            ev._res = 0
            self._nactive -= 1
        if ev._state & ST_ATTACHED:
            ev._state &= ~ST_ATTACHED
            if not ev._state & ST_INTERNAL:
                self._nattached -= 1
            if ev._heap_index >= 0:
                self._timers.remove(ev)

    @cython.cfunc
    def _detach(self, ev: EventRecord) -> None:
        attached: cython.bint = (ev._state & ST_ATTACHED) != 0
        self._forget(ev)
        if not attached:
            return
        if ev._events & EV_SIGNAL:
            self._unwatch_signal(ev)
        elif ev._events & EV_IO:
            stale: Any = self._evmap.remove(ev)
            if stale is not None:
                for old in stale:
                    self._forget(old)

    @cython.cfunc
    def _activate(self, ev: EventRecord, res: cython.int) -> None:
        if ev._res:
            ev._res |= res
            return
        ev._res = res
        ev._qcount += 1
        self._nactive += 1
        self._queues[ev._priority].append(ev)

    # -- the signal table (the process-wide registry is fdevent._process) ------------------

    @cython.cfunc
    def _watch_signal(self, ev: EventRecord) -> None:
        _process.watch(ev._fd, self)
        self._evmap.add_signal(ev)

    @cython.cfunc
    def _unwatch_signal(self, ev: EventRecord) -> None:
        if self._evmap.remove_signal(ev):
            _process.unwatch(ev._fd, self)
