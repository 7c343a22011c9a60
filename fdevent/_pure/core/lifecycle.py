"""An event base's life around its loop: its OS resources, closing, and the process's calls.

A base holds two OS resources: its poller and its thread wakeup (an eventfd or a pipe, read
by an internal event of the base). ``_make_wakeup`` makes the wakeup; ``close()`` detaches
every event (``_close_events``; ``closing(fd)`` does it for one fd, ``_closing``) and then
gives both back (``_release_os``, in the loop's thread if it was polling).
``fdevent._process`` calls in for what happens to the process: a signal arrived
(``_signal_arrived``, which takes no lock), work deferred to this thread is due
(``_set_maintenance``), the process forked (``_after_fork``, in the child). That work is
done at the next entry into the base (``_maintain``, ``Guard``'s hook, which the loop calls
too), where a forked base gets a poller and a wakeup of its own (``_rebuild_after_fork``).

``BaseLifecycle`` extends ``LoopCore`` (``loop.py``) with these; ``EventBase`` (``base.py``),
its subclass, is the public face whose ``__init__``, ``close()``, ``closing()`` and ``loop()``
call them. Compiled, the cdef ones are called through the base's vtable, as they were when
``LoopCore`` and ``EventBase`` defined them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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
from ..._flags import EV_PERSIST, EV_READ, EV_SIGNAL
from ..._wakeup import Wakeup
from ..clib.cext import new_lock, thread_id
from .loop import LoopCore
from .record import ST_ATTACHED, ST_INTERNAL, EventRecord, internal_record


@cython.cclass
class BaseLifecycle(LoopCore):
    """A base's OS resources, its closing and the process's calls; see the module docstring.

    Not instantiated on its own: ``EventBase`` (``base.py``) is the public face.
    """

    # -- the wakeup ------------------------------------------------------------------------

    @cython.cfunc
    def _make_wakeup(self) -> None:
        wakeup = Wakeup()
        # The base's own read event: built here (not an Event: events import the base), never
        # counted as attached; the base drains the fd itself in _ready.
        ev: EventRecord = internal_record(self, wakeup.rfd, EV_READ | EV_PERSIST)
        try:
            self._attach(ev, False, 0.0)
        except BaseException:
            wakeup.close()
            raise
        self._wakeup = wakeup
        self._wakefd = wakeup.rfd
        self._wakeev = ev
        self._notified = False

    # -- closing ---------------------------------------------------------------------------

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
        for signum, evs in list(self._evmap.signals.items()):
            for ev in evs:
                if ev._state & ST_ATTACHED:
                    ev._state &= ~ST_ATTACHED
                _process.unwatch(signum, self)
        self._evmap.signals = {}
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
        self._poller = None
        if self._wakeup is not None:
            self._wakeup.close()
            self._wakeup = None
        self._wakefd = -1

    # -- called by fdevent._process: signals, deferred work, fork ----------------------------

    def _signal_arrived(self, signum: int) -> None:
        # Called by fdevent's signal handler: in the main thread, between two bytecodes of
        # whatever runs there, possibly this base's own _enter() after it took the lock and
        # before it recorded its holder. So no lock here (taking it would wait for ever on
        # the pure core): under the GIL set.add is atomic and the loop swaps the set out whole
        # (_activate_signals). A loop blocked in its poll is woken; one about to poll sees
        # _sigpending and does not wait.
        if self._closed:
            return
        self._sigpending.add(signum)
        if self._polling and not self._notified and self._wakeup is not None:
            self._notified = True
            self._wakeup.notify()

    def _set_maintenance(self) -> None:
        # Something to do at the next entry: a restore of a signal handler due in the main
        # thread (fdevent._process).
        self._maint = True

    def _after_fork(self) -> None:
        # Run in the child right after fork (fdevent._process), in the only thread left.
        me = thread_id()
        self._lock = new_lock()
        self._borrow = new_lock()  # a borrowing thread of the parent is not here
        self._borrower = 0
        if self._running and self._loop_tid == me and self._holder == me:
            # Forked inside the base's own code, or in a callback run keeping the lock, in
            # this thread: it carries on keeping it.
            self._lock.acquire()
        elif not (self._running and self._loop_tid == me):
            # The loop ran in a thread that is not here: the base is idle in the child, and
            # the only thread is this one.
            self._running = False
            self._loop_tid = 0
            self._holder = 0
            self._current = None
            self._nested = False
            self._keeping = True
            self._shared = False
        else:
            self._holder = 0  # in a callback run without the lock: it takes it afterwards
        self._nwaiters = 0
        self._cond = None
        self._polling = False
        self._forked = True
        self._maint = True

    # -- at the next entry: deferred work, and the base rebuilt after fork -----------------

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
