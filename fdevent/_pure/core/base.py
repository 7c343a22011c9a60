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
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # Type checkers read the shim's typed no-ops, never Cython's untyped decorators: so an
    # installed fdevent is typed for its users whether or not Cython is installed.
    from ..include import shim as cython
else:
    try:
        import cython
    except ImportError:  # pragma: no cover - the pure core without Cython installed
        from ..include import shim as cython

from ... import _observe, _process
from ..._flags import (
    EV_CLOSED,
    EV_ET,
    EV_IO,
    EV_PERSIST,
    EV_SIGNAL,
    EV_TIMEOUT,
    MAX_PRIORITIES,
    _Priority,
)
from ..._introspect import TwinSignature
from ..._platform import MECHANISMS
from ..._wakeup import Wakeup
from .. import backends
from .checks import fd_of, timeout_seconds
from .evmap import EvMap
from .record import ST_ATTACHED, ST_INTERNAL, EventRecord
from .sync import new_lock, thread_id
from .timeheap import TimerHeap
from .timing import PERF_IS_MONOTONIC, perf, timed_call

if TYPE_CHECKING:
    from types import TracebackType
    from typing import IO

    from .event import Callback, Event

ExceptionHandler = Callable[["Event", Exception], object]

_INF = math.inf
_monotonic = time.monotonic
_PERF_IS_MONOTONIC = PERF_IS_MONOTONIC


@cython.cfunc
@cython.exceptval(-1.0, check=True)
def _c_monotonic() -> cython.double:
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


@cython.cclass
class EventBase:
    """The event loop: polls fds with the best mechanism available and runs callbacks.

    ``EventBase(backend=None, priorities=3, clock=None, debug=None)``. ``backend`` is one of
    ``fdevent.supported_backends()`` (default: the ``FDEVENT_BACKEND`` environment variable,
    else the first of them); ``priorities`` is the number of priority levels, 1 to 256.
    ``clock``: the time source, a callable returning monotonic seconds (None:
    ``time.monotonic``; see ``fdevent.testing.MockClock``). ``debug``: log slow callbacks
    and warn about a base collected with events attached (None: ``FDEVENT_DEBUG`` set to
    anything but ``""``/``0``). Usable as a context manager, which closes it.

    Raises:
        TypeError: ``backend`` is not a str, ``priorities`` not an int, ``clock`` not
            callable, ``debug`` not a bool.
        ValueError: unknown or unavailable backend (the message lists the available ones);
            ``priorities`` out of range.
        OSError: the OS could not create the poller.
    """

    __signature__ = TwinSignature()  # inspect.signature() on the compiled class too

    @cython.annotation_typing(False)
    def __init__(
        self,
        backend: str | None = None,
        priorities: int = 3,
        clock: Callable[[], float] | None = None,
        debug: bool | None = None,
    ) -> None:
        self._debug = False  # read by __del__ even when __init__ fails half-way
        if backend is None:
            backend = os.environ.get("FDEVENT_BACKEND") or MECHANISMS[0]
        elif not isinstance(backend, str):
            raise TypeError(f"backend must be a str or None, not {type(backend).__name__}")
        if isinstance(priorities, bool) or not isinstance(priorities, int):
            raise TypeError(f"priorities must be an int, not {type(priorities).__name__}")
        if not 1 <= priorities <= MAX_PRIORITIES:
            raise ValueError(f"priorities must be from 1 to {MAX_PRIORITIES}, got {priorities}")
        _observe.check_clock(clock)
        dbg: cython.bint = _observe.debug_from_env(debug)
        self.slow_callback_duration = 0.1
        self._iterations = self._callbacks = 0
        self._poll_time = self._callback_time = 0.0
        poller = backends.create(backend)
        self._poller = poller
        self._backend = backend
        self._evmap = EvMap(poller)
        self._timers = TimerHeap()
        self._queues: list[list[EventRecord]] = [[] for _ in range(priorities)]
        self._npriorities = priorities
        self._nattached = 0
        self._nactive = 0
        self._now = 0.0
        self._exit_at = _INF
        self._clockfn: Any = clock
        self._running = False
        self._closed = False
        self._break = False
        self._got_exit = False
        self._got_break = False
        self._exc_handler: ExceptionHandler | None = None
        self._lock = new_lock()
        self._holder = 0
        self._loop_tid = 0
        self._polling = False
        self._notified = False
        self._stale_reports = False
        self._maint = False
        self._forked = False
        self._current: EventRecord | None = None
        self._nwaiters = 0
        self._cond: threading.Condition | None = None
        self._sigevents: dict[int, list[EventRecord]] = {}
        self._sigpending: set[int] = set()
        self._wakeup: Wakeup | None = None
        self._wakefd = -1
        self._wakeev: EventRecord | None = None
        try:
            self._make_wakeup()
        except BaseException:
            poller.close()
            raise
        _process.track(self)
        self._debug = dbg

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

    @property
    def debug(self) -> bool:
        """Whether debug mode is on (fixed at construction)."""
        return bool(self._debug)

    @property
    def slow_callback_duration(self) -> float:
        """Debug mode logs a callback that runs longer than this (seconds, real time; 0.1).

        Raises TypeError/ValueError when set to something that is not a timeout.
        """
        return self._slow

    @slow_callback_duration.setter
    def slow_callback_duration(self, value: float) -> None:
        self._slow = timeout_seconds(value)

    def stats(self) -> _observe.Stats:
        """A snapshot of the base's counters: see ``fdevent.Stats`` for the fields."""
        from . import snapshot

        return snapshot.stats(self)

    def events(self) -> list[Event]:
        """Every event attached to or active in this base, once each (not the base's own)."""
        from . import snapshot

        return [ev for ev, _, _ in snapshot.rows(self)]

    @cython.annotation_typing(False)
    def dump(self, file: IO[str] | None = None) -> None:
        """Write a table of ``events()`` to ``file`` (None: ``sys.stderr`` at the call).

        One row per event: fd or signal number, flags, priority, attached/active, seconds
        left to its deadline in the base's clock (``-`` for none), callback and ``repr(arg)``.
        Raises what ``file.write()`` raises.
        """
        from . import snapshot

        _observe.dump(snapshot.rows(self), f"{self!r} at {self.now():.6f}", file)

    def __del__(self) -> None:
        try:
            leaked: cython.bint = self._debug and not self._closed and self._nattached > 0
        except AttributeError:  # the pure core, when __init__ never ran (bad arguments)
            return
        if leaked:
            _observe.unclosed(self, self._nattached)

    def now(self) -> float:
        """The cached time of the running iteration (fresh outside a loop), in seconds.

        ``time.monotonic()`` unless the base was given another clock.
        """
        if self._running:
            return self._now
        return self._clock()

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
                called it, or another thread runs it).
        """
        acquired = cython.declare(cython.bint, self._enter())
        try:
            self._check_open()
            if self._running:
                raise RuntimeError(
                    "the base's loop is already running (loop() called from a callback, "
                    "or from a second thread?)"
                )
            self._running = True
            self._loop_tid = thread_id()
            self._got_exit = False
            self._got_break = False
            self._break = False
            try:
                self._loop(once, nonblock)
            finally:
                self._running = False
                self._loop_tid = 0
                if self._closed:
                    self._release_os()
        finally:
            self._leave(acquired)

    @cython.annotation_typing(False)
    def loopexit(self, delay: float | None = None) -> None:
        """Stop the loop after the iteration in which ``delay`` seconds have passed.

        ``None`` or 0: after the current iteration. Applies to the running loop or, if none
        runs, to the next one; a pending loopexit keeps the loop alive until it is due. Called
        twice, the earlier deadline wins.

        Raises:
            TypeError: ``delay`` is not a number or timedelta.
            ValueError: ``delay`` is NaN or negative.
            RuntimeError: the base is closed.
        """
        t: cython.double = 0.0 if delay is None else timeout_seconds(delay)
        acquired = cython.declare(cython.bint, self._enter())
        try:
            self._check_open()
            at: cython.double = -_INF if t == 0.0 else self._clock() + t
            if at < self._exit_at:
                self._exit_at = at
        finally:
            self._leave(acquired)

    def loopbreak(self) -> None:
        """Stop the running loop right after the running callback; does nothing otherwise.

        Events that were active and did not run stay active for the next loop.
        """
        acquired = cython.declare(cython.bint, self._enter())
        try:
            if self._running:
                self._break = True
        finally:
            self._leave(acquired)

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
    def closing(self, fd: Any) -> int:
        """Forget ``fd`` before it is closed: detach every event of this base on it.

        Call it before closing the fd (``base.closing(sock); sock.close()``). Every event of
        this base on ``fd``, attached or only activated, is detached (a pending activation is
        cancelled too) and the fd is dropped from the poller while it is still open, so a new
        file that gets the number later works on every backend. Still works if ``fd`` was
        closed already. Signal events and timers are not on any fd and are left alone.

        Returns:
            How many events it detached (0 for an fd the base does not watch).

        Raises:
            TypeError: ``fd`` is neither an int nor an object with ``fileno()``.
            RuntimeError: the base is closed.
        """
        num: cython.int = fd_of(fd)
        acquired = cython.declare(cython.bint, self._enter())
        try:
            self._check_open()
            return self._closing(num)
        finally:
            self._leave(acquired)

    @cython.cfunc
    @cython.exceptval(-1, check=True)
    def _closing(self, num: cython.int) -> cython.int:
        n: cython.int = 0
        ev: EventRecord
        for ev in self._evmap.drop(num):
            self._forget(ev)
            n += 1
        for queue in self._queues:
            for ev in queue:
                if (
                    ev._res
                    and ev._fd == num
                    and ev._base is self
                    and not ev._events & EV_SIGNAL
                    and not ev._state & ST_INTERNAL
                ):
                    self._forget(ev)
                    n += 1
        return n

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
        acquired = cython.declare(cython.bint, self._enter())
        try:
            self._exc_handler = handler
        finally:
            self._leave(acquired)

    def close(self) -> None:
        """Detach every event and release the poller. Idempotent.

        Called from a callback, it ends the running loop cleanly after that callback; called
        from another thread while the loop runs, it ends that loop at once (the loop's thread
        releases the poller as it returns).
        """
        acquired = cython.declare(cython.bint, self._enter())
        try:
            if self._closed:
                return
            self._closed = True
            self._close_events()
            self._exc_handler = None
            if not self._running or self._loop_tid == thread_id():
                self._release_os()
        finally:
            self._leave(acquired)

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
        core = "compiled" if cython.compiled else "pure"
        return (
            f"<EventBase core={core} backend={self._backend} attached={self._nattached} "
            f"active={self._nactive} {state}>"
        )

    # -- the seams: the clock, and the pair every public entry goes through ------------------

    @cython.cfunc
    @cython.exceptval(-1.0, check=True)
    def _clock(self) -> cython.double:
        # Every time the base reads goes through here.
        if self._clockfn is None:
            return _c_monotonic()
        return float(self._clockfn())

    @cython.cfunc
    @cython.exceptval(-1, check=True)
    def _enter(self) -> cython.bint:
        """Take the base's lock unless this thread holds it; returns whether it took it."""
        me: cython.ulong = thread_id()
        if self._holder == me:
            acquired: cython.bint = False
        else:
            self._lock.acquire()
            self._holder = me
            acquired = True
        if self._maint:
            self._maintain()
        return acquired

    @cython.cfunc
    def _leave(self, acquired: cython.bint) -> None:
        """Wake a polling loop (once), then give the lock back if ``_enter`` took it."""
        if self._polling:
            self._stale_reports = True
            if not self._notified:
                self._notified = True
                if self._wakeup is not None:
                    self._wakeup.notify()
        if acquired:
            self._holder = 0
            self._lock.release()

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

    @cython.cfunc
    def _wait_callback(self, ev: EventRecord) -> None:
        # detach() from a thread that is not the loop's: if ev's callback is running, wait
        # until it returns (libevent's guarantee). Called holding the lock.
        if self._current is not ev or self._loop_tid == thread_id():
            return
        if self._cond is None:
            self._cond = threading.Condition(threading.Lock())
        cond = self._cond
        me: cython.ulong = self._holder
        self._nwaiters += 1
        self._holder = 0
        self._lock.release()
        try:
            with cond:
                while self._current is ev:
                    cond.wait()
        finally:
            self._lock.acquire()
            self._holder = me
            self._nwaiters -= 1

    # -- the loop ----------------------------------------------------------------------------

    @cython.cfunc
    def _loop(self, once: cython.bint, nonblock: cython.bint) -> None:
        ran: cython.bint
        # Stats: t is the real time the iteration's wait began; after the wait it is also
        # now() when the base runs on the default clock (the same clock on every platform
        # where _PERF_IS_MONOTONIC), so counting costs one clock read per iteration.
        t: cython.double = perf()
        now: cython.double
        while True:
            if self._nattached == 0 and self._nactive == 0 and self._exit_at == _INF:
                return
            if self._maint:
                self._maintain()
            self._iterations += 1
            timeout = self._wait_time(nonblock)
            if self._clockfn is not None and timeout != 0.0:
                self._poll_or_jump(timeout)
            else:
                self._poll(timeout)
            now = perf()
            self._poll_time += now - t
            t = now
            if self._closed:
                return
            if self._break:  # loopbreak() from another thread or a signal handler
                self._got_break = True
                return
            self._now = now if self._clockfn is None and _PERF_IS_MONOTONIC else self._clock()
            if self._sigpending:
                self._activate_signals()
            self._expire_timers()
            ran = self._nactive > 0
            if ran:
                try:
                    self._run_active()
                finally:
                    t = perf()
                    self._callback_time += t - now
                if self._closed:
                    return
                if self._break:
                    self._got_break = True
                    return
            if self._exit_at != _INF and self._exit_at <= self._clock():
                self._exit_at = _INF
                self._got_exit = True
                return
            if nonblock or (once and ran):
                return

    @cython.cfunc
    def _wait_time(self, nonblock: cython.bint) -> object:
        if nonblock or self._nactive or self._sigpending:
            return 0.0
        deadline: cython.double = self._exit_at
        heap = self._timers.heap
        if heap:
            top: EventRecord = heap[0]
            if top._deadline < deadline:
                deadline = top._deadline
        if deadline == _INF:
            return None
        wait: cython.double = deadline - self._clock()
        if wait <= 0.0:
            return 0.0
        if wait > MAX_WAIT:
            return MAX_WAIT
        return wait

    @cython.cfunc
    def _poll_or_jump(self, timeout: Any) -> None:
        # A clock of the caller's. With autojump (fdevent.testing.MockClock), look without
        # waiting first; if nothing is ready and a deadline bounds the wait, move the clock to
        # it instead of sleeping. Otherwise wait for real, as with the default clock.
        if not getattr(self._clockfn, "autojump", False):
            self._poll(timeout)
            return
        self._poll(0.0)
        if self._closed or self._break or self._nactive or self._sigpending:
            return
        deadline: cython.double = self._exit_at
        heap = self._timers.heap
        if heap and cython.cast(EventRecord, heap[0])._deadline < deadline:
            deadline = cython.cast(EventRecord, heap[0])._deadline
        if deadline == _INF:
            self._poll(None)
        else:
            self._clockfn._jump_to(deadline)

    @cython.cfunc
    def _poll(self, timeout: Any) -> None:
        poller = self._poller
        self._stale_reports = False
        self._polling = True
        if self._sigpending:
            # A signal handler ran between _wait_time() and now (in this thread, so the lock
            # did not keep it out) and found the loop not yet polling: do not wait.
            timeout = 0.0
        self._holder = 0
        self._lock.release()
        try:
            n: cython.int = poller.wait_into(timeout)
        finally:
            self._lock.acquire()
            self._holder = self._loop_tid
            self._polling = False
        if self._closed:
            return
        if cython.compiled:
            i: cython.int
            for i in range(n):
                self._ready(poller.rfd[i], poller.rmask[i])
        else:
            for fd, mask in poller.ready:
                self._ready(fd, mask)

    @cython.cfunc
    def _ready(self, fd: cython.int, mask: cython.int) -> None:
        if fd == self._wakefd:
            self._wakeup.drain()  # type: ignore[union-attr]
            self._notified = False
            return
        heads = self._evmap.heads
        ev: EventRecord | None = heads[fd] if fd < len(heads) else None
        if ev is None:
            # The OS reports an fd we no longer watch. If nothing changed the table while we
            # polled, the poller may have a registration that outlived its fd (epoll, through
            # a dup): it rebuilds itself rather than let the report spin the loop.
            if not self._stale_reports:
                self._poller.stray(fd, self._evmap.registrations())
            return
        what: cython.int
        while ev is not None:
            what = ev._events & mask
            if what:
                self._activate(ev, what)
            ev = ev._next

    @cython.cfunc
    def _expire_timers(self) -> None:
        timers = self._timers
        heap = timers.heap
        now: cython.double = self._now
        top: EventRecord
        while heap:
            top = heap[0]
            if top._deadline > now:
                break
            timers.pop()
            self._activate(top, EV_TIMEOUT)

    @cython.cfunc
    def _run_active(self) -> None:
        # Snapshot: only what is queued now runs in this iteration, in priority order. One
        # function for the whole run (no call per event: this is the pure core's hot path).
        counts = [len(queue) for queue in self._queues]
        level: cython.Py_ssize_t
        res: cython.int
        debug: cython.bint = self._debug
        for level in range(self._npriorities):
            n: cython.Py_ssize_t = counts[level]
            if n == 0:
                continue
            queue = self._queues[level]
            i: cython.Py_ssize_t = 0
            ran: cython.Py_ssize_t = 0  # callbacks run: added to stats once per level
            try:
                while i < n:
                    ev: EventRecord = queue[i]
                    i += 1
                    if ev._base is not self:
                        continue  # assign()ed to another base after it was queued here
                    ev._qcount -= 1
                    if ev._qcount != 0 or not ev._res:
                        continue  # a stale copy, or cancelled by detach()
                    res = ev._res
                    ev._res = 0
                    self._nactive -= 1
                    if ev._events & EV_PERSIST:
                        if ev._state & ST_ATTACHED and ev._interval >= 0.0:
                            self._rearm(ev, res)
                    elif ev._state & ST_ATTACHED:
                        self._detach(ev)
                    # The callback runs without the lock, so other threads can call in.
                    self._current = ev
                    ran += 1
                    self._holder = 0
                    self._lock.release()
                    try:
                        if debug:
                            timed_call(ev, res, self._slow)
                        else:
                            ev._callback(ev._fd, res, ev._arg)
                    except Exception as exc:
                        handler = self._exc_handler
                        if handler is None:
                            raise
                        handler(ev, exc)
                    finally:
                        self._lock.acquire()
                        self._holder = self._loop_tid
                        self._current = None
                        if self._nwaiters:
                            self._wake_waiters()
                    if self._break or self._closed:
                        return
            finally:
                del queue[:i]
                self._callbacks += ran

    @cython.cfunc
    def _wake_waiters(self) -> None:
        cond = self._cond
        if cond is not None:
            with cond:
                cond.notify_all()

    @cython.cfunc
    def _rearm(self, ev: EventRecord, res: cython.int) -> None:
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

    # -- signals, the wakeup, closing and fork -------------------------------------------

    @cython.cfunc
    def _watch_signal(self, ev: EventRecord) -> None:
        signum: int = ev._fd
        _process.watch(signum, self)
        self._sigevents.setdefault(signum, []).append(ev)

    @cython.cfunc
    def _unwatch_signal(self, ev: EventRecord) -> None:
        signum: int = ev._fd
        evs = self._sigevents.get(signum)
        if evs is None or ev not in evs:
            return
        evs.remove(ev)
        if not evs:
            del self._sigevents[signum]
        _process.unwatch(signum, self)

    def _signal_arrived(self, signum: int) -> None:
        # Called by fdevent's signal handler (main thread, between bytecodes).
        acquired = cython.declare(cython.bint, self._enter())
        try:
            if not self._closed:
                self._sigpending.add(signum)
        finally:
            self._leave(acquired)

    @cython.cfunc
    def _activate_signals(self) -> None:
        pending = self._sigpending
        self._sigpending = set()
        ev: EventRecord
        for signum in pending:
            for ev in list(self._sigevents.get(signum, ())):
                self._activate(ev, EV_SIGNAL)

    @cython.cfunc
    def _make_wakeup(self) -> None:
        from .event import _internal_reader

        wakeup = Wakeup()
        ev: EventRecord = _internal_reader(self, wakeup.rfd)
        try:
            self._attach(ev, False, 0.0)
        except BaseException:
            wakeup.close()
            raise
        self._wakeup = wakeup
        self._wakefd = wakeup.rfd
        self._wakeev = ev
        self._notified = False

    @cython.cfunc
    def _close_events(self) -> None:
        ev: EventRecord
        # Every attached or active event is in the heap, the fd table, a signal list or a
        # queue (an expired timer waiting to run is only in a queue).
        for queue in self._queues:
            for ev in queue:
                ev._state &= ~ST_ATTACHED
                ev._res = 0
                ev._qcount = 0
            queue.clear()
        for ev in self._timers.heap:
            ev._state &= ~ST_ATTACHED
        self._timers.clear()
        for ev in list(self._evmap.events()):
            ev._state &= ~ST_ATTACHED
        for signum, evs in list(self._sigevents.items()):
            for ev in evs:
                if ev._state & ST_ATTACHED:
                    ev._state &= ~ST_ATTACHED
                _process.unwatch(signum, self)
        self._sigevents = {}
        self._sigpending = set()
        self._nattached = 0
        self._nactive = 0

    @cython.cfunc
    def _release_os(self) -> None:
        # Closed: give back the poller and the wakeup (in the loop's thread if it was polling).
        if self._poller is None:
            return
        self._evmap.clear()
        self._poller.close()
        self._poller = None  # type: ignore[assignment]
        if self._wakeup is not None:
            self._wakeup.close()
            self._wakeup = None
        self._wakefd = -1

    def _set_maintenance(self) -> None:
        # Something to do at the next entry: a restore of a signal handler due in the main
        # thread (fdevent._process).
        self._maint = True

    def _after_fork(self) -> None:
        # Run in the child right after fork (fdevent._process), in the only thread left.
        me = thread_id()
        self._lock = new_lock()
        if self._running and self._loop_tid == me and self._holder == me:
            self._lock.acquire()  # forked inside the base's own code in this thread
        elif not (self._running and self._loop_tid == me):
            # The loop ran in a thread that is not here: the base is idle in the child.
            self._running = False
            self._loop_tid = 0
            self._holder = 0
        else:
            self._holder = 0
        self._current = None
        self._nwaiters = 0
        self._cond = None
        self._polling = False
        self._forked = True
        self._maint = True

    @cython.cfunc
    def _maintain(self) -> None:
        done: cython.bint = _process.run_deferred()
        if self._forked:
            self._forked = False
            if not self._closed and self._poller is not None:
                self._rebuild_after_fork()
        self._maint = not done

    @cython.cfunc
    def _rebuild_after_fork(self) -> None:
        # The poller's kernel object and the wakeup are shared with the parent: build new
        # ones holding every registration, and never change the shared ones (just close our
        # copies), so nothing the child does reaches the parent's registrations.
        self._poller.reset(self._evmap.registrations())
        old_ev = self._wakeev
        old = self._wakeup
        if old_ev is not None:
            self._detach(old_ev)
        if old is not None:
            old.close()
        self._wakeup = None
        self._wakefd = -1
        self._wakeev = None
        self._make_wakeup()
