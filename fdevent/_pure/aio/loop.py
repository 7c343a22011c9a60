"""``Loop``: asyncio's Unix selector loop, with its ready queue, timers and polling on a base.

What the stdlib keeps and what moves to the base (the why is in ``aio/__init__.py``):

- ``_run_once`` is one iteration of the base (``base.loop(once=True)``; non-blocking once
  ``stop()`` was called). ``run_forever``, ``run_until_complete`` and ``stop`` are the
  stdlib's, around it.
- The ready queue stays asyncio's ``_ready`` deque (the stdlib and its transports append to
  it), and one never-attached timer event of the base, ``_ready_ev``, is active exactly while
  the deque holds handles. Its callback runs the handles queued when it starts and no more
  (asyncio's ``ntodo`` snapshot), then activates itself again if more arrived: what a callback
  schedules runs in the next iteration, after the next poll.
- Each ``call_at``/``call_later`` handle owns a one-shot fdevent ``Timer`` on the base (the
  base's heap orders them); ``cancel()`` detaches it. Its callback checks ``time() >= when``
  before running the handle, and re-arms for the rest otherwise, so a callback never runs
  before its time (the stdlib runs up to a clock tick early).
- ``time()`` is the base's clock, read fresh (not the cached ``base.now()``), so
  ``call_later(d)`` counts from the moment of the call.
- ``call_soon_threadsafe`` (and the stdlib's ``_write_to_self``) activates ``_ready_ev``:
  ``Event.activate`` from another thread wakes the base through its own wakeup.
- Readers and writers are the stdlib's ``_add_reader``/``_remove_reader`` over an
  ``EventSelector`` (``selector.py``): each registration is a persistent event on the base.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import contextvars
import math
import sys
from asyncio import futures as _futures
from asyncio.log import logger
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

from ..._flags import EV_TIMEOUT
from ..core.base import EventBase
from ..core.event import Event, Timer
from .handles import (
    TimerHandle,
    is_cancelled,
    new_handle,
    new_timer_handle,
    run,
    slot_offsets,
)
from .selector import EventSelector
from .transports import ENSURES_FD, SocketTransport
from .unix import UnixParts

if TYPE_CHECKING:
    from collections.abc import Callable


#: Whether the running Python's call_at() refuses when=None itself (3.11+); 3.10's
#: TimerHandle asserts instead, and this loop raises what the stdlib of its Python raises.
_CHECKS_WHEN = sys.version_info >= (3, 11)

_Handle = asyncio.Handle

#: Loop's slots, in the order of their offsets (read at the end of this module).
_SLOTS = ("_base", "_ready", "_ready_ev", "_closed", "_debug", "_stopping")


@cython.cfunc
def _check_call(loop: Any, callback: object, method: str) -> None:
    # What the stdlib's call_soon/call_at check before scheduling (_check_closed() inline).
    if _get(loop, _O_CLOSED, "_closed"):
        raise RuntimeError("Event loop is closed")
    if _get(loop, _O_DEBUG, "_debug"):
        loop._check_thread()
        loop._check_callback(callback, method)


def _describe(handle: asyncio.Handle) -> str:
    # As the stdlib's slow-callback warning names a handle: a task's step by its task.
    owner = getattr(handle._callback, "__self__", None)  # type: ignore[attr-defined]
    if isinstance(owner, asyncio.Task):
        return repr(owner)
    return str(handle)


class Loop(UnixParts):
    """An asyncio event loop run by an fdevent ``EventBase``.

    ``Loop(base=None)``: ``base`` is the ``EventBase`` to run on (None: a new one, on the
    default backend, which the loop closes when it is closed). fdevent events, timers and
    streams attached to ``loop.base`` run in the loop's thread, between asyncio callbacks; on
    a base the loop made, an exception from one of them goes to the loop's exception handler
    as an asyncio callback's would (on a base given to it, the base's own rule applies).

    Everything else is ``asyncio.AbstractEventLoop`` as the stdlib's selector loop does it,
    with one difference: a callback scheduled with ``call_at(when)`` never runs before
    ``loop.time() >= when``.

    Raises:
        TypeError: ``base`` is not an ``EventBase`` of this core.
        RuntimeError: ``base`` is closed.
    """

    # The state every callback's path reads is kept in slots, which the compiled code reads
    # by offset (the stdlib's code reaches them through the slots' descriptors, as any
    # attribute); the rest of the stdlib's state stays in the instance's dict.
    __slots__ = _SLOTS

    _closed: bool  # BaseEventLoop's, set before its __init__ runs when a base is refused

    @cython.annotation_typing(False)  # checked here, with the stdlib's kind of message
    def __init__(self, base: EventBase | None = None) -> None:
        if base is None:
            base = EventBase()
            self._owns_base = True
            base.set_exception_handler(self._event_failed)
        elif not isinstance(base, EventBase):
            # BaseEventLoop.__del__ reads _closed: a refused loop holds nothing to close.
            self._closed = True
            raise TypeError(f"base must be an fdevent EventBase or None, not {type(base).__name__}")
        elif base.closed:
            self._closed = True
            raise RuntimeError("the event base is closed")
        else:
            self._owns_base = False
        self._base = base
        self._ready_ev = Timer(base, self._run_ready)
        # BaseEventLoop.__init__ replaces _ready; _call_soon may run before it does.
        self._ready: collections.deque[asyncio.Handle] = collections.deque()
        # Before BaseEventLoop.__init__, which calls set_debug().
        self._evsel = EventSelector(base, self._run_handle, self._drop)
        super().__init__(self._evsel)

    @property
    def base(self) -> EventBase:
        """The ``EventBase`` under the loop."""
        return self._base

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} running={self.is_running()} closed={self.is_closed()} "
            f"debug={self.get_debug()} base={self._base!r}>"
        )

    def _make_socket_transport(
        self,
        sock: Any,
        protocol: asyncio.BaseProtocol,
        waiter: asyncio.Future[Any] | None = None,
        *,
        extra: dict[str, Any] | None = None,
        server: Any = None,
    ) -> asyncio.Transport:
        # The stdlib's socket transport with its read and write paths compiled.
        if ENSURES_FD:
            self._ensure_fd_no_transport(sock)  # type: ignore[attr-defined]
        return SocketTransport(self, sock, protocol, waiter, extra, server)

    def get_debug(self) -> bool:
        """Whether debug mode is on (every Future and Task asks, as it is made)."""
        return _get(self, _O_DEBUG, "_debug")  # type: ignore[no-any-return]

    def create_future(self) -> asyncio.Future[Any]:
        """A Future attached to the loop (the stdlib's one line, compiled)."""
        return _futures.Future(loop=self)

    def set_debug(self, enabled: bool) -> None:
        """Turn debug mode on or off, as the stdlib's loop (its readers and writers too)."""
        super().set_debug(enabled)
        self._evsel.set_debug(enabled)

    # -- time and timers -------------------------------------------------------------------

    def time(self) -> float:
        """The base's clock, read now (``time.monotonic()`` unless the base has another)."""
        return cython.cast(EventBase, _get(self, _O_BASE, "_base"))._clock()

    @cython.annotation_typing(False)  # when=None is the stdlib's TypeError, below
    def call_at(  # type: ignore[override]  # typeshed's TypeVarTuple form needs 3.11 typing
        self,
        when: float,
        callback: Callable[..., object],
        *args: Any,
        context: contextvars.Context | None = None,
    ) -> asyncio.TimerHandle:
        """Run ``callback(*args)`` once ``time() >= when`` (never before); returns its handle.

        Raises:
            TypeError: ``when`` is None (on 3.10 an AssertionError, as its stdlib) or not a
                number.
            RuntimeError: the loop is closed.
        """
        if when is None:
            if _CHECKS_WHEN:
                raise TypeError("when cannot be None")
            TimerHandle(when, callback, args, self, context)  # 3.10's refusal: its assert
        _check_call(self, callback, "call_at")
        return self._schedule(when, callback, args, context)

    @cython.annotation_typing(False)  # delay=None is the stdlib's TypeError, below
    def call_later(  # type: ignore[override]  # typeshed's TypeVarTuple form needs 3.11 typing
        self,
        delay: float,
        callback: Callable[..., object],
        *args: Any,
        context: contextvars.Context | None = None,
    ) -> asyncio.TimerHandle:
        """Run ``callback(*args)`` once ``delay`` seconds have passed (never before).

        Raises:
            TypeError: ``delay`` is None or not a number.
            RuntimeError: the loop is closed.
        """
        if delay is None and _CHECKS_WHEN:
            raise TypeError("delay must not be None")
        _check_call(self, callback, "call_at")  # as the stdlib's call_later -> call_at
        return self._schedule(self.time() + delay, callback, args, context)

    def _schedule(
        self,
        when: float,
        callback: Callable[..., object],
        args: Any,
        context: contextvars.Context | None,
    ) -> asyncio.TimerHandle:
        # One fdevent timer on the base's heap per handle; cancel() detaches it.
        timer = new_timer_handle(when, callback, args, self, context)
        delay = when - self.time()
        ev = Timer(self._base, self._timer_fired, timer)
        # A NaN delay waits for ever, as the stdlib's heap never reaches a NaN deadline.
        ev.attach(delay if delay > 0.0 else math.inf if delay != delay else 0.0)
        timer._event = ev
        timer._scheduled = True  # type: ignore[attr-defined]
        return timer

    def _timer_fired(self, fd: int, events: int, timer: TimerHandle) -> None:
        # Once per due timer, a backlog of them after a stall included: the clock and the
        # run are C calls here (time() and _run_handle() are Python calls on the loop).
        if timer._cancelled:
            return
        left = timer._when - cython.cast(EventBase, _get(self, _O_BASE, "_base"))._clock()  # type: ignore[attr-defined]
        if left > 0.0:  # float rounding of the relative timeout: wait out the rest
            ev = timer._event
            if ev is not None:
                ev.attach(left)
            return
        timer._scheduled = False  # type: ignore[attr-defined]
        timer._event = None  # the event holds the handle as its arg: no cycle to collect
        if _get(self, _O_DEBUG, "_debug"):
            self._run_handle(timer)
        else:
            run(timer)
        del timer  # see _run_handle

    def _timer_handle_cancelled(self, handle: asyncio.TimerHandle) -> None:
        ev = getattr(handle, "_event", None)
        if ev is not None:
            ev.detach()
            handle._event = None  # type: ignore[attr-defined]

    # -- the ready queue -------------------------------------------------------------------

    @cython.annotation_typing(False)
    def call_soon(  # type: ignore[override]  # typeshed's TypeVarTuple form needs 3.11 typing
        self,
        callback: Callable[..., object],
        *args: Any,
        context: contextvars.Context | None = None,
    ) -> asyncio.Handle:
        """Run ``callback(*args)`` in a coming iteration, after what was scheduled before it.

        Raises:
            RuntimeError: the loop is closed.
        """
        _check_call(self, callback, "call_soon")
        handle = new_handle(callback, args, self, context)
        ready = _get(self, _O_READY, "_ready")  # _enqueue(), inline
        if not ready:
            _get(self, _O_READY_EV, "_ready_ev").activate(EV_TIMEOUT)
        ready.append(handle)
        return handle

    def _call_soon(
        self, callback: Callable[..., object], args: Any, context: contextvars.Context | None
    ) -> asyncio.Handle:
        # The stdlib's callers (call_soon_threadsafe) drop their own frame from a debug
        # handle's traceback; new_handle() dropped this package's.
        handle = new_handle(callback, args, self, context)
        self._enqueue(handle)
        return handle

    def _add_callback(self, handle: asyncio.Handle) -> None:
        if not handle._cancelled:
            self._enqueue(handle)

    def _enqueue(self, handle: asyncio.Handle) -> None:
        # While _ready holds handles, _ready_ev is active (in the loop's thread; a call from
        # another thread is call_soon_threadsafe, whose _write_to_self activates it anyway).
        ready = self._ready
        if not ready:
            self._ready_ev.activate(EV_TIMEOUT)
        ready.append(handle)

    def _write_to_self(self) -> None:
        # call_soon_threadsafe and signals: the base's wakeup, not the self-pipe.
        # RuntimeError: the base is closed and nothing runs any more (the stdlib ignores the
        # matching OSError of its closed self-pipe too).
        with contextlib.suppress(RuntimeError):
            self._ready_ev.activate(EV_TIMEOUT)

    def _run_ready(self, fd: int, events: int, arg: object) -> None:
        ready = _get(self, _O_READY, "_ready")
        ntodo = len(ready)
        try:
            for _ in range(ntodo):
                handle = ready.popleft()
                if type(handle) is _Handle and not _get(self, _O_DEBUG, "_debug"):
                    if not is_cancelled(handle):
                        run(handle)  # the common case, in C
                elif not handle._cancelled:
                    self._run_handle(handle)
                del handle  # see _run_handle
        finally:
            if ready:
                self._ready_ev.activate(EV_TIMEOUT)

    def _run_handle(self, handle: asyncio.Handle) -> None:
        # No frame here holds a handle once it has run (``del``), as the stdlib's _run_once
        # and Handle._run drop theirs: on 3.12+ a frame that ends while a traceback holds a
        # frame it called keeps its locals, so a task failing in its step would otherwise be
        # kept (by its exception's traceback, through these frames) until the cyclic GC runs,
        # and report "exception was never retrieved" late, out of its context.
        if not _get(self, _O_DEBUG, "_debug"):
            kind = type(handle)
            if kind is _Handle or kind is TimerHandle:
                run(handle)  # Handle._run, without its Python frame
            else:
                handle._run()
            del handle
            return
        self._current_handle = handle
        try:
            t0 = self.time()
            handle._run()
            dt = self.time() - t0
            if dt >= self.slow_callback_duration:
                logger.warning("Executing %s took %.3f seconds", _describe(handle), dt)
            del handle
        finally:
            self._current_handle = None  # type: ignore[assignment]

    def _drop(self, fd: int, direction: int) -> None:
        # A ready reader or writer whose handle was cancelled: unregister it, as the stdlib.
        if direction == 1:  # selectors.EVENT_READ
            self._remove_reader(fd)  # type: ignore[attr-defined]
        else:
            self._remove_writer(fd)  # type: ignore[attr-defined]

    # -- one iteration, and the end ----------------------------------------------------------

    def _run_once(self) -> None:
        # run_forever() calls this until stop(). Not one iteration but as many as the base
        # runs before stop() asks it to end after the current one (loopexit): no Python
        # between iterations. After stop(), one pass that does not wait. The base's loop()
        # is called positionally: a keyword call costs its parsing every time.
        base = _get(self, _O_BASE, "_base")
        if _get(self, _O_STOPPING, "_stopping"):
            base.loop(False, True)
        else:
            base.loop()

    def stop(self) -> None:
        """Stop the loop after the callbacks of the current iteration, as the stdlib's."""
        super().stop()
        if self.is_running():
            # The base's loop ends after this iteration; a closed base has ended already.
            with contextlib.suppress(RuntimeError):
                _get(self, _O_BASE, "_base").loopexit()

    def _event_failed(self, event: Event, exc: Exception) -> None:
        # An fdevent callback on a base the loop made raised: report it as asyncio does.
        self.call_exception_handler(
            {"message": f"Exception in fdevent callback {event!r}", "exception": exc}
        )

    def close(self) -> None:
        """Close the loop as the stdlib does, then release what it holds on its base.

        Its timers and ready event are detached; a base the loop made is closed.

        Raises:
            RuntimeError: the loop is running.
        """
        was_closed = self.is_closed()
        super().close()
        if was_closed:
            return
        base = self._base
        self._release_children()
        self._ready_ev.detach()
        if self._owns_base:
            base.close()
            return
        for ev in base.events():
            if ev.callback == self._timer_fired:
                ev.detach()


_OFFSETS = slot_offsets(Loop, _SLOTS)
_O_BASE: cython.Py_ssize_t = _OFFSETS[0]
_O_READY: cython.Py_ssize_t = _OFFSETS[1]
_O_READY_EV: cython.Py_ssize_t = _OFFSETS[2]
_O_CLOSED: cython.Py_ssize_t = _OFFSETS[3]
_O_DEBUG: cython.Py_ssize_t = _OFFSETS[4]
_O_STOPPING: cython.Py_ssize_t = _OFFSETS[5]


@cython.cfunc
@cython.inline
def _get(loop: object, off: cython.Py_ssize_t, name: str) -> Any:
    # loop.<name>: on the compiled core, read by the slot's offset, which a subclass keeps
    # (one that declared these slots again would shadow them: don't).
    if cython.compiled:
        return fdevent_slot_get(loop, off, name)  # type: ignore[name-defined]  # noqa: F821
    return getattr(loop, name)
