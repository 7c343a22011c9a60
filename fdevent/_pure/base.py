"""EventBase: the event table, the timer heap, the active queues, and the loop.

One iteration of the loop, as libevent's ``event_base_loop`` and asyncio's ``_run_once``:

1. compute how long to wait: not at all if something is active, else until the earliest timer
   or pending loopexit, else for ever;
2. poll, and make the events whose fd is ready active;
3. take the time once (``now()``) and make every due timer active;
4. run the events that are active *at this moment*, all of a higher priority before any of a
   lower one, first come first served within a level. What a callback activates lands behind
   the snapshot and runs in the next iteration, so a busy callback cannot starve I/O.

Active queues hold events, not handles. An event is in a queue once per activation; detaching
it clears its ``_res`` (the mask of what happened; non-zero means active) instead of searching
the queue, and ``_qcount`` (how many copies of it the queues hold) tells a stale copy from the
live one: only the last copy runs.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

try:
    import cython
except ImportError:  # pragma: no cover - the pure core without Cython installed
    from . import _cython_shim as cython  # type: ignore[no-redef]

# EV_READ and EV_WRITE are read by base.pxd's epoll_report (compiled core): keep them imported.
from .._flags import EV_ET, EV_IO, EV_PERSIST, EV_READ, EV_TIMEOUT, EV_WRITE, MAX_PRIORITIES  # noqa: F401

# Through the package's name, not ``from . import``: the compiled copy of this module lives in
# fdevent._compiled and shares the pure core's pollers.
from .._pure import backends
from ._checks import timeout_seconds
from ._evmap import EvMap, FdEntry
from ._timeheap import TimerHeap

if TYPE_CHECKING:
    from types import TracebackType

    from .event import Callback, Event

ExceptionHandler = Callable[["Event", Exception], object]

_INF = math.inf
_monotonic = time.monotonic


@cython.cfunc
@cython.exceptval(-1.0, check=True)
def _clock() -> cython.double:
    """``time.monotonic()``; in the compiled core read in C where that is the same clock."""
    if cython.compiled:
        t: cython.double = fdevent_monotonic()  # type: ignore[name-defined]  # noqa: F821
        if t >= 0.0:
            return t
    return _monotonic()


#: The longest single wait. epoll counts its timeout in a C int of milliseconds (about 24.8
#: days) and select's overflow differs by platform; a loop woken once a day to find nothing
#: due costs nothing. asyncio's MAXIMUM_SELECT_TIMEOUT is the same.
MAX_WAIT = 86400.0

#: How many readiness reports one epoll_wait returns at most (compiled core). More ready fds
#: are reported by the next wait; 256 keeps the array at 3 KiB inside the base.
_EPOLL_BATCH = 256


@cython.cclass
class EventBase:
    """The event loop: polls fds with the best mechanism available and runs callbacks.

    ``EventBase(backend=None, priorities=3)``. ``backend`` is one of
    ``fdevent.supported_backends()`` (default: the ``FDEVENT_BACKEND`` environment variable,
    else the first of them); ``priorities`` is the number of priority levels, 1 to 256.
    Usable as a context manager, which closes it.

    Raises:
        TypeError: ``backend`` is not a str or ``priorities`` not an int.
        ValueError: unknown or unavailable backend (the message lists the available ones);
            ``priorities`` out of range.
        OSError: the OS could not create the poller.
    """

    @cython.annotation_typing(False)
    def __init__(self, backend: str | None = None, priorities: int = 3) -> None:
        if backend is None:
            backend = os.environ.get("FDEVENT_BACKEND") or backends.supported()[0]
        elif not isinstance(backend, str):
            raise TypeError(f"backend must be a str or None, not {type(backend).__name__}")
        if isinstance(priorities, bool) or not isinstance(priorities, int):
            raise TypeError(f"priorities must be an int, not {type(priorities).__name__}")
        if not 1 <= priorities <= MAX_PRIORITIES:
            raise ValueError(f"priorities must be from 1 to {MAX_PRIORITIES}, got {priorities}")
        poller = backends.create(backend)
        self._poller = poller
        self._backend = backend
        self._supports_et = poller.supports_et
        self._epfd = poller.fileno()
        self._evmap = EvMap(poller)
        self._timers = TimerHeap()
        self._queues: list[list[Event]] = [[] for _ in range(priorities)]
        self._npriorities = priorities
        self._nattached = 0
        self._nactive = 0
        self._now = 0.0
        self._exit_at = _INF
        self._running = False
        self._closed = False
        self._break = False
        self._got_exit = False
        self._got_break = False
        self._exc_handler: ExceptionHandler | None = None

    # -- the public API --------------------------------------------------------------------

    @property
    def backend(self) -> str:
        """The name of the polling mechanism in use ("epoll", "kqueue", "poll", "select")."""
        return self._backend

    @property
    def priorities(self) -> int:
        """The number of priority levels; events default to ``priorities // 2``."""
        return self._npriorities

    @property
    def got_exit(self) -> bool:
        """Whether the last loop ended because of ``loopexit()``."""
        return bool(self._got_exit)

    @property
    def got_break(self) -> bool:
        """Whether the last loop ended because of ``loopbreak()``."""
        return bool(self._got_break)

    @property
    def closed(self) -> bool:
        """Whether ``close()`` was called."""
        return bool(self._closed)

    def now(self) -> float:
        """The cached ``time.monotonic()`` of the running iteration (fresh outside a loop)."""
        if self._running:
            return self._now
        return _clock()

    def dispatch(self) -> None:
        """Run the loop until nothing is attached or active, or loopexit/loopbreak/close.

        The same as ``loop()``; raises what it raises.
        """
        self.loop()

    @cython.annotation_typing(False)
    def loop(self, once: bool = False, nonblock: bool = False) -> None:
        """Run the event loop.

        With neither flag, run until no event is attached or active (and no loopexit is
        pending), or until ``loopexit()``, ``loopbreak()`` or ``close()``. ``once=True``: wait
        until at least one event is active, run that iteration's callbacks, return.
        ``nonblock=True``: one iteration that polls without waiting. Returns at once if
        nothing is attached or active.

        An exception from a callback propagates (unless an exception handler is set); the base
        stays consistent and the events still active run when the loop is called again.

        Raises:
            RuntimeError: the base is closed, or its loop is already running (a callback
                called it).
        """
        self._check_open()
        if self._running:
            raise RuntimeError(
                "the base's loop is already running (loop() called from a callback?)"
            )
        self._running = True
        self._got_exit = False
        self._got_break = False
        self._break = False
        try:
            self._loop(once, nonblock)
        finally:
            self._running = False

    @cython.annotation_typing(False)
    def loopexit(self, delay: float | None = None) -> None:
        """Stop the loop after the iteration in which ``delay`` seconds have passed.

        ``None`` or 0: after the current iteration. Applies to the running loop or, if none
        runs, to the next one; a pending loopexit keeps the loop alive until it is due. Called
        twice, the earlier deadline wins.

        Raises:
            TypeError/ValueError: ``delay`` is not a valid timeout (see ``Event.attach``).
            RuntimeError: the base is closed.
        """
        self._check_open()
        if delay is None:
            at = -_INF
        else:
            t = timeout_seconds(delay)
            at = -_INF if t == 0.0 else _clock() + t
        if at < self._exit_at:
            self._exit_at = at

    def loopbreak(self) -> None:
        """Stop the running loop right after the running callback; does nothing otherwise.

        Events that were active and did not run stay active for the next loop.
        """
        if self._running:
            self._break = True

    @cython.annotation_typing(False)
    def once(
        self,
        fd: Any,
        events: int,
        callback: Callback,
        arg: Any = None,
        timeout: float | None = None,
    ) -> None:
        """Run ``callback(fd, events, arg)`` once, when ``events`` happen on ``fd`` or on timeout.

        libevent's ``event_base_once``: no event object to keep; nothing of it stays alive
        after it fired or the base closed. Raises what ``Event()`` and ``attach()`` raise, and
        ValueError for ``EV_PERSIST``.
        """
        from . import event

        ev = event.Event(self, fd, events, callback, arg)
        if ev.events & EV_PERSIST:
            raise ValueError("once() events are one-shot: EV_PERSIST is not allowed")
        ev.attach(timeout)

    @cython.annotation_typing(False)
    def set_exception_handler(self, handler: ExceptionHandler | None) -> None:
        """Call ``handler(event, exc)`` for an ``Exception`` raised by a callback, and go on.

        ``None`` restores the default: the exception propagates out of ``loop()``.
        ``KeyboardInterrupt``, ``SystemExit`` and other non-``Exception`` errors always
        propagate.

        Raises:
            TypeError: ``handler`` is neither callable nor None.
        """
        if handler is not None and not callable(handler):
            raise TypeError(f"handler must be callable or None, not {type(handler).__name__}")
        self._exc_handler = handler

    def close(self) -> None:
        """Detach every event and release the poller. Idempotent.

        Called from a callback, it ends the running loop cleanly after that callback.
        """
        if self._closed:
            return
        self._closed = True
        ev: Event
        # Every attached or active event is in the heap, the fd table or a queue (an expired
        # timer waiting to run is only in a queue).
        for queue in self._queues:
            for ev in queue:
                ev._attached = False
                ev._res = 0
                ev._qcount = 0
            queue.clear()
        for ev in self._timers.heap:
            ev._attached = False
        self._timers.clear()
        entry: FdEntry
        for entry in self._evmap.entries():
            for ev in entry.events:
                ev._attached = False
        self._evmap.clear()
        self._nattached = 0
        self._nactive = 0
        self._exc_handler = None
        self._poller.close()

    def __enter__(self) -> EventBase:
        self._check_open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "running" if self._running else "idle"
        return (
            f"<EventBase backend={self._backend} attached={self._nattached} "
            f"active={self._nactive} {state}>"
        )

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
        if type(priority) is not int and (
            isinstance(priority, bool) or not isinstance(priority, int)
        ):
            raise TypeError(f"priority must be an int, not {type(priority).__name__}")
        p: int = int(priority)
        if not 0 <= p < self._npriorities:
            raise ValueError(f"priority must be from 0 to {self._npriorities - 1}, got {priority}")
        return p

    @cython.cfunc
    def _attach(self, ev: Event, has_timeout: cython.bint, timeout: cython.double) -> None:
        if not ev._attached:
            if ev._events & EV_IO:
                if ev._events & EV_ET and not self._supports_et:
                    raise ValueError(
                        f"EV_ET (edge-triggered) needs the epoll or kqueue backend; "
                        f"this base uses {self._backend}"
                    )
                stale: Any = self._evmap.add(ev)
                if stale is not None:
                    for old in stale:
                        self._forget(old)
            ev._attached = True
            self._nattached += 1
        if has_timeout:
            ev._interval = timeout
            self._timers.schedule(ev, _clock() + timeout)
        elif ev._heap_index >= 0:
            self._timers.remove(ev)

    @cython.cfunc
    def _forget(self, ev: Event) -> None:
        # Everything detach() does but the fd table: for events whose fd entry is already
        # gone (stale), and as the first half of _detach.
        if ev._res:
            ev._res = 0
            self._nactive -= 1
        if ev._attached:
            ev._attached = False
            self._nattached -= 1
            if ev._heap_index >= 0:
                self._timers.remove(ev)

    @cython.cfunc
    def _detach(self, ev: Event) -> None:
        in_table: cython.bint = ev._attached and (ev._events & EV_IO) != 0
        self._forget(ev)
        if in_table:
            stale: Any = self._evmap.remove(ev)
            if stale is not None:
                for old in stale:
                    self._forget(old)

    @cython.cfunc
    def _activate(self, ev: Event, res: cython.int) -> None:
        if ev._res:
            ev._res |= res
            return
        ev._res = res
        ev._qcount += 1
        self._nactive += 1
        self._queues[ev._priority].append(ev)

    # -- the loop ----------------------------------------------------------------------------

    @cython.cfunc
    def _loop(self, once: cython.bint, nonblock: cython.bint) -> None:
        ran: cython.bint
        while True:
            if self._nattached == 0 and self._nactive == 0 and self._exit_at == _INF:
                return
            self._poll(self._wait_time(nonblock))
            if self._closed:
                return
            self._now = _clock()
            self._expire_timers()
            ran = self._nactive > 0
            if ran:
                self._run_active()
                if self._closed:
                    return
                if self._break:
                    self._got_break = True
                    return
            if self._exit_at != _INF and self._exit_at <= _clock():
                self._exit_at = _INF
                self._got_exit = True
                return
            if nonblock or (once and ran):
                return

    @cython.cfunc
    def _wait_time(self, nonblock: cython.bint) -> object:
        if nonblock or self._nactive:
            return 0.0
        deadline: cython.double = self._exit_at
        heap = self._timers.heap
        if heap:
            top: Event = heap[0]
            if top._deadline < deadline:
                deadline = top._deadline
        if deadline == _INF:
            return None
        wait: cython.double = deadline - _clock()
        if wait <= 0.0:
            return 0.0
        if wait > MAX_WAIT:
            return MAX_WAIT
        return wait

    @cython.cfunc
    def _poll(self, timeout: Any) -> None:
        if cython.compiled and self._epfd >= 0:
            self._poll_epoll(timeout)
            return
        for fd, mask in self._poller.poll(timeout):
            self._ready(fd, mask)

    @cython.cfunc
    def _ready(self, fd: cython.int, mask: cython.int) -> None:
        entry: FdEntry | None = self._evmap.get(fd)
        if entry is None:
            # The OS reports an fd we no longer watch: a registration that outlived its fd
            # through a dup (see the epoll poller). Rebuild the poller rather than spin.
            self._poller.reset(self._evmap.registrations())
            self._epfd = self._poller.fileno()
            return
        ev: Event
        what: cython.int
        for ev in entry.events:
            what = ev._events & mask
            if what:
                self._activate(ev, what)

    @cython.cfunc
    def _poll_epoll(self, timeout: Any) -> None:
        # The compiled core's wait on epoll: epoll_wait straight into an array in the base, no
        # tuples, no list (registration still goes through the epoll poller: it is not on the
        # per-event path). First a wait of 0 with the GIL held: a busy loop finds its events
        # there and never pays for releasing and retaking the GIL; only an idle loop waits for
        # real, with the GIL released. Never run by the pure core: the C names below come from
        # base.pxd, hence the lint and type-check waivers.
        ms: cython.int = -1
        if timeout is not None:
            ms = math.ceil(timeout * 1000.0)
        epfd: cython.int = self._epfd
        evs = self._epevents  # type: ignore[attr-defined]
        n: cython.int = epoll_wait(epfd, evs, _EPOLL_BATCH, 0)  # type: ignore[name-defined]  # noqa: F821
        if n == 0 and ms != 0:
            with cython.nogil:
                n = epoll_wait(epfd, evs, _EPOLL_BATCH, ms)  # type: ignore[name-defined]  # noqa: F821
        if n < 0:
            err: cython.int = errno  # type: ignore[name-defined]  # noqa: F821
            if err != EINTR:  # type: ignore[name-defined]  # noqa: F821
                raise OSError(err, os.strerror(err))
            PyErr_CheckSignals()  # type: ignore[name-defined]  # noqa: F821
            return
        i: cython.int
        for i in range(n):
            self._ready(evs[i].data.fd, epoll_report(evs[i].events))  # type: ignore[name-defined]  # noqa: F821

    @cython.cfunc
    def _expire_timers(self) -> None:
        timers = self._timers
        heap = timers.heap
        now: cython.double = self._now
        top: Event
        while heap:
            top = heap[0]
            if top._deadline > now:
                break
            timers.pop()
            self._activate(top, EV_TIMEOUT)

    @cython.cfunc
    def _run_active(self) -> None:
        # Snapshot: only what is queued now runs in this iteration, in priority order.
        counts = [len(queue) for queue in self._queues]
        level: cython.Py_ssize_t
        for level in range(self._npriorities):
            n: cython.Py_ssize_t = counts[level]
            if n == 0:
                continue
            queue = self._queues[level]
            i: cython.Py_ssize_t = 0
            try:
                while i < n:
                    ev: Event = queue[i]
                    i += 1
                    self._run_one(ev)
                    if self._break or self._closed:
                        return
            finally:
                del queue[:i]

    @cython.cfunc
    def _run_one(self, ev: Event) -> None:
        if ev._base is not self:
            return  # assign()ed to another base after it was queued here: not ours to run
        ev._qcount -= 1
        if ev._qcount != 0 or not ev._res:
            return  # a stale copy, or cancelled by detach()
        res: cython.int = ev._res
        ev._res = 0
        self._nactive -= 1
        if ev._events & EV_PERSIST:
            if ev._attached and ev._interval >= 0.0:
                self._rearm(ev, res)
        elif ev._attached:
            self._detach(ev)
        try:
            ev._callback(ev._fd, res, ev._arg)
        except Exception as exc:
            handler = self._exc_handler
            if handler is None:
                raise
            handler(ev, exc)

    @cython.cfunc
    def _rearm(self, ev: Event, res: cython.int) -> None:
        # libevent's event_persist_closure: by its timeout, keep the cadence (previous deadline
        # plus the interval, skipping ticks already missed); by I/O or activate(), restart the
        # idle timeout from now.
        now: cython.double = self._now
        deadline: cython.double
        if res & EV_TIMEOUT:
            deadline = ev._deadline + ev._interval
            if deadline <= now:
                deadline = now + ev._interval
        else:
            deadline = now + ev._interval
        self._timers.schedule(ev, deadline)
