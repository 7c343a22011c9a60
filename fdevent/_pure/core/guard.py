"""Who is inside the base: its lock, and the protocol ``loop.py``'s docstring explains.

Every public method runs between ``_enter()`` and ``_leave()``. The loop's thread keeps the
lock through its callbacks and waits until another thread calls in (``_keeping``); the first
such call makes the base shared (``_shared``) for good, and it either borrows the base from
the parked loop thread (``_borrow``) or waits for the lock. ``loop.py`` gives the lock back
and takes it again around each callback and wait once the base is shared (``_give_lock``,
``_take_lock``). ``_must_wait`` and ``_wait_callback`` are ``detach()``'s wait for a running
callback, from another thread.

``Guard`` holds the fields of that protocol and its operations; ``BaseState`` (``state.py``)
extends it with the rest of a base's state, ``LoopCore`` (``loop.py``) with the loop, and
``BaseLifecycle`` (``lifecycle.py``) overrides ``_maintain``. Its C layout is in ``guard.pxd``.
"""

from __future__ import annotations

import threading
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

from ..._wakeup import Wakeup
from ..clib.cext import thread_id
from .record import EventRecord

# What _enter() did, for _leave() to undo: nothing (a nested call), took the lock, let the loop's
# thread call in from a callback while it keeps the lock, or borrowed the base (see loop.py).
NESTED = 0
TOOK = 1
FROM_CALLBACK = 2
BORROWED = 3


@cython.cclass
class Guard:
    """The lock protocol's state and operations; ``BaseState`` and its subclasses extend it."""

    # The C layout is in guard.pxd; these annotations tell type checkers the same.
    _lock: Any  # a clib.cext.CLock compiled, a threading.Lock pure
    _holder: int
    _loop_tid: int
    _keeping: bool
    _shared: bool
    _nested: bool
    _borrow: Any  # a lock of the same kind
    _borrower: int
    _current: EventRecord | None
    _nwaiters: int
    _cond: threading.Condition | None
    _polling: bool
    _notified: bool
    _stale_reports: bool
    _maint: bool
    _wakeup: Wakeup | None

    @cython.cfunc
    @cython.exceptval(-1, check=True)
    def _enter(self) -> cython.int:
        """Give this thread the base (see the module docstring); returns what ``_leave`` undoes."""
        me: cython.ulong = thread_id()
        entered: cython.int = NESTED
        if self._holder == me:
            if self._current is not None and not self._nested and me == self._loop_tid:
                # The loop's thread, called from a callback while it keeps the lock.
                self._nested = True
                if self._shared and self._keeping:
                    self._stop_keeping()
                entered = FROM_CALLBACK
        elif self._lock.acquire(False):
            self._holder = me
            entered = TOOK
        else:
            entered = self._enter_busy(me)
        if self._maint:
            self._maintain()
        return entered

    @cython.cfunc
    @cython.exceptval(-1, check=True)
    def _enter_busy(self, me: cython.ulong) -> cython.int:
        # Another thread has the lock: borrow the base if the loop's thread is parked with it
        # (see the module docstring), else wait for the lock.
        if self._borrower == me:
            return NESTED  # a call from inside a borrowing one (a signal handler's)
        if self._keeping:
            self._borrow.acquire()
            self._shared = True
            if (
                self._keeping
                and self._loop_tid != 0
                and self._holder == self._loop_tid
                and (self._polling or (self._current is not None and not self._nested))
            ):
                self._borrower = me
                return BORROWED
            self._borrow.release()
        self._lock.acquire()
        self._holder = me
        return TOOK

    @cython.cfunc
    def _leave(self, entered: cython.int) -> None:
        """Wake a polling loop (once), then undo what ``_enter`` did."""
        if self._polling:
            self._stale_reports = True
            if not self._notified:
                self._notified = True
                if self._wakeup is not None:
                    self._wakeup.notify()
        if entered == TOOK:
            self._holder = 0
            self._lock.release()
        elif entered == FROM_CALLBACK:
            self._nested = False
            if self._shared:
                self._give_lock()
        elif entered == BORROWED:
            self._borrower = 0
            self._borrow.release()

    @cython.cfunc
    def _stop_keeping(self) -> None:
        # The loop's thread, back in the base's code after another thread called in: wait for
        # a borrower to finish, and let none start again.
        self._borrow.acquire()
        self._keeping = False
        self._borrow.release()

    @cython.cfunc
    def _give_lock(self) -> None:
        # The loop's thread, entering a callback or a wait (or back in a callback from one of
        # its calls) with other threads about: give the lock back, unless it did already.
        if self._keeping:
            self._stop_keeping()
        if self._holder == self._loop_tid:
            self._holder = 0
            self._lock.release()

    @cython.cfunc
    def _take_lock(self) -> None:
        # The loop's thread, back from a callback or a wait with other threads about: take the
        # lock again, or, if it kept it, wait for a borrower; then wake detach()es waiting.
        if self._holder == self._loop_tid:
            if self._keeping:
                self._stop_keeping()
        else:
            self._lock.acquire()
            self._holder = self._loop_tid
        if self._nwaiters:
            self._wake_waiters()

    @cython.cfunc
    @cython.exceptval(-1, check=True)
    def _must_wait(self, ev: EventRecord, entered: cython.int) -> cython.bint:
        # detach() from a thread that is not the loop's, inside the base: whether ev's callback
        # is running, so that detach() must wait until it returns (libevent's guarantee). If
        # so, counts the waiter: the loop's thread wakes it (_take_lock).
        if entered == NESTED or self._current is not ev or self._loop_tid == thread_id():
            return False
        if self._cond is None:
            self._cond = threading.Condition(threading.Lock())
        self._nwaiters += 1
        return True

    @cython.cfunc
    def _wait_callback(self, ev: EventRecord) -> None:
        # ... and the wait, outside the base, after _must_wait() said so.
        cond = self._cond
        try:
            with cond:  # type: ignore[union-attr]
                while self._current is ev:
                    cond.wait()  # type: ignore[union-attr]
        finally:
            entered: cython.int = self._enter()
            self._nwaiters -= 1
            self._leave(entered)

    @cython.cfunc
    def _wake_waiters(self) -> None:
        cond = self._cond
        if cond is not None:
            with cond:
                cond.notify_all()

    @cython.cfunc
    def _maintain(self) -> None:
        # Work left for the next entry (BaseLifecycle's: deferred signal restores, fork).
        self._maint = False
