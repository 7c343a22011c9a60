"""EventBase: the public face of an event base; the machinery under it is its parent classes.

Each public method checks its arguments at the door, gets the base to itself (``_enter``),
calls the typed internals of the classes under it and gives it back (``_leave``): calls from
any thread are safe, and those of the loop's own thread take no lock while no other thread
calls in (``loop.py`` says how). Under it, each in its module: ``BaseLifecycle`` (its OS
resources, closing, fork and the process's calls; ``lifecycle.py``), ``LoopCore`` (the loop;
``loop.py``), ``BaseState`` (every field, attach/detach/activate; ``state.py``) and ``Guard``
(the lock; ``guard.py``).
"""

from __future__ import annotations

import math
import os
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

from ... import _observe, _process
from ..._flags import EV_PERSIST, MAX_PRIORITIES
from ..._introspect import TwinSignature
from ..._observe import Stats
from ..._platform import MECHANISMS
from .. import backends
from ..clib.cext import new_lock, thread_id
from . import snapshot
from .checks import fd_of, timeout_seconds
from .evmap import EvMap
from .lifecycle import BaseLifecycle
from .timeheap import TimerHeap

if TYPE_CHECKING:
    from types import TracebackType
    from typing import IO

    from .event import Callback, Event

ExceptionHandler = Callable[["Event", Exception], object]

_INF = math.inf

#: The public ``Event`` class, set by ``event.py`` when it is imported: ``once()`` makes its
#: one-shot events with it. (``event`` imports this module, so this one cannot import it.)
_Event: Any = None


@cython.cclass
class EventBase(BaseLifecycle):
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
        self._queues = [[] for _ in range(priorities)]
        self._npriorities = priorities
        self._nattached = 0
        self._nactive = 0
        self._now = 0.0
        self._exit_at = _INF
        self._clockfn = clock
        self._running = False
        self._closed = False
        self._break = False
        self._got_exit = False
        self._got_break = False
        self._exc_handler = None
        self._lock = new_lock()
        self._holder = 0
        self._loop_tid = 0
        self._keeping = True
        self._shared = False
        self._nested = False
        self._borrow = new_lock()
        self._borrower = 0
        self._polling = False
        self._notified = False
        self._stale_reports = False
        self._maint = False
        self._forked = False
        self._current = None
        self._nwaiters = 0
        self._cond = None
        self._sigpending = set()
        self._wakeup = None
        self._wakefd = -1
        self._wakeev = None
        self._closers = {}
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

    def stats(self) -> Stats:
        """A snapshot of the base's counters: see ``fdevent.Stats`` for the fields."""
        entered = cython.declare(cython.int, self._enter())
        try:
            # polls = iterations: every iteration asks the OS, a zero timeout included; the
            # thread wakeup is the base's own fd, not one of the user's.
            return _observe.Stats(
                self._iterations, self._iterations, self._callbacks, self._nattached,
                self._nactive, len(self._timers.heap),
                self._evmap.nfds() - (1 if self._wakefd >= 0 else 0),
                self._poll_time, self._callback_time,
            )  # fmt: skip
        finally:
            self._leave(entered)

    def events(self) -> list[Event]:
        """Every event attached to or active in this base, once each (not the base's own)."""
        return [ev for ev, _, _ in self._rows()]

    @cython.annotation_typing(False)
    def dump(self, file: IO[str] | None = None) -> None:
        """Write a table of ``events()`` to ``file`` (None: ``sys.stderr`` at the call).

        One row per event: fd or signal number, flags, priority, attached/active, seconds
        left to its deadline in the base's clock (``-`` for none), callback and ``repr(arg)``.
        Raises what ``file.write()`` raises.
        """
        _observe.dump(self._rows(), f"{self!r} at {self.now():.6f}", file)

    def _rows(self) -> list[tuple[Any, float | None, bool]]:
        # events() and dump(): the snapshot module walks what it is handed, under the lock.
        entered = cython.declare(cython.int, self._enter())
        try:
            groups = [*self._queues, self._timers.heap, list(self._evmap.events())]
            groups.append(list(self._evmap.signal_events()))
            return snapshot.rows(self, self._clock(), groups)
        finally:
            self._leave(entered)

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
        entered = cython.declare(cython.int, self._enter())
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
            self._leave(entered)

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
        entered = cython.declare(cython.int, self._enter())
        try:
            self._check_open()
            at: cython.double = -_INF if t == 0.0 else self._clock() + t
            if at < self._exit_at:
                self._exit_at = at
        finally:
            self._leave(entered)

    def loopbreak(self) -> None:
        """Stop the running loop right after the running callback; does nothing otherwise.

        Events that were active and did not run stay active for the next loop.
        """
        entered = cython.declare(cython.int, self._enter())
        try:
            if self._running:
                self._break = True
        finally:
            self._leave(entered)

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
        ev = _Event(self, fd, events, callback, arg)
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
        entered = cython.declare(cython.int, self._enter())
        try:
            self._check_open()
            return self._closing(num)
        finally:
            self._leave(entered)

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
        entered = cython.declare(cython.int, self._enter())
        try:
            self._exc_handler = handler
        finally:
            self._leave(entered)

    def close(self) -> None:
        """Detach every event and release the poller. Idempotent.

        Called from a callback, it ends the running loop cleanly after that callback; called
        from another thread while the loop runs, it ends that loop at once (the loop's thread
        releases the poller as it returns).
        """
        entered = cython.declare(cython.int, self._enter())
        try:
            if self._closed:
                return
            self._closed = True
            self._close_events()
            self._exc_handler = None
            # What holds OS resources on this base (its streams) is released now, here.
            closers = self._closers
            self._closers = {}
            for closer in closers.values():
                closer()
            if not self._running or self._loop_tid == thread_id():
                self._release_os()
        finally:
            self._leave(entered)

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
