"""The machinery under ``EventBase``: its state, its lock, and the loop.

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

``LoopCore`` is that loop. The state it runs over, and the operations the events call to
change it (attach, detach, activate), are its parent's, ``BaseState`` (``state.py``, every
field of a base); the lock's, below, are its grandparent's (``Guard``, in ``guard.py``, with
the operations). Above it, ``BaseLifecycle`` (``lifecycle.py``) makes the wakeup the loop
drains, does the work left for the next entry (``_maintain``) and closes; the public
``EventBase`` (``base.py``) checks a caller's arguments at the door and calls all of these.

The lock, and why the loop's thread keeps it
--------------------------------------------

Every method may be called from any thread, so each public one runs between ``_enter()`` and
``_leave()``, which give the calling thread the base to itself (``_lock``; ``_holder`` is the
thread inside, so a call from inside the base, a signal handler's say, is nested and takes
nothing). The loop's thread holds the lock from ``loop()`` to its return. Giving it back
around each callback and each wait, as a plain lock would, costs two lock operations per
callback and two per iteration, and most bases never see a second thread. So the loop's
thread *keeps* the lock through its callbacks and waits (``_keeping``), and its own calls
from a callback find the base already theirs, until another thread calls in. From then on,
for the rest of the base's life (``_shared``), it gives the lock back around each callback
and each wait, as a plain lock does.

The switch must be safe at any moment and must never deadlock: a callback may well block
until a thread it started has called into the base (``Thread.join()``, ``Future.result()``),
so a thread that finds the lock kept cannot just wait for it. It takes ``_borrow``, a second
lock that only other threads and the switch take; holding it, it sets ``_shared`` and looks
at the loop's thread. If that thread is *parked*, keeping the lock but in a callback's own
code (``_current`` set, and not inside one of its own calls: ``_nested``) or in its wait
(``_polling``), the caller *borrows* the base: it does its work holding ``_borrow``, the lock
staying where it is, and lets ``_borrow`` go on leaving (waking a waiting loop as any caller
does). Otherwise the loop's thread is in the base's own code, which ends without waiting for
anyone, at the next callback or wait: there it sees ``_shared`` and gives the lock back, and
the caller, who waits for the lock, gets it.

The loop's thread writes its parked flag (``_current``, ``_nested``, ``_polling``), then reads
``_shared``; the caller writes ``_shared``, then reads the flag. Each read and write is atomic
under the GIL, which orders them, so at least one sees the other (Dekker's argument): either
the caller does not borrow, or the loop's thread, back in the base's code, sees ``_shared`` and
first takes ``_borrow`` once, waiting for the borrower to finish. It clears ``_keeping`` while
it holds ``_borrow``, so no borrow starts after that. A callback's own calls make the same
moves around their work; when the switch comes in the middle of a callback, the loop's thread
gives the lock back as that call leaves and takes it again when the callback returns.

So a base no other thread calls costs a store and a load per callback and per wait, and no
lock operation; one that another thread has called costs what a plain lock costs, plus a
load. The GIL is what makes the flags safe; free-threaded CPython is for later.
"""

from __future__ import annotations

import math
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

from ..._flags import EV_PERSIST, EV_SIGNAL, EV_TIMEOUT
from .evmap import FdGroup
from .record import ST_ATTACHED, ST_FDOBJ, ST_HANDLER, EventRecord, Handler
from .state import BaseState
from .timing import PERF_IS_MONOTONIC, perf, timed_call

_INF = math.inf
_PERF_IS_MONOTONIC = PERF_IS_MONOTONIC

#: The longest single wait. epoll counts its timeout in a C int of milliseconds (about 24.8
#: days) and select's overflow differs by platform; a loop woken once a day to find nothing
#: due costs nothing. asyncio's MAXIMUM_SELECT_TIMEOUT is the same.
MAX_WAIT = 86400.0


@cython.cclass
class LoopCore(BaseState):
    """The loop of an event base, over the state ``BaseState`` holds (``state.py``).

    Not instantiated on its own: ``EventBase`` (``base.py``) is the public face.
    """

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
        if self._shared:
            self._give_lock()
        try:
            n: cython.int = poller.wait_into(timeout)
        finally:
            self._polling = False
            if self._shared:
                self._take_lock()
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
        entry = heads[fd] if fd < len(heads) else None
        if entry is None:
            # The OS reports an fd we no longer watch. If nothing changed the table while we
            # polled, the poller may have a registration that outlived its fd (epoll, through
            # a dup): it rebuilds itself rather than let the report spin the loop.
            if not self._stale_reports:
                self._poller.stray(fd, self._evmap.registrations())
            return
        what: cython.int
        ev: EventRecord
        group: FdGroup
        if type(entry) is FdGroup:
            group = entry
            for ev in group.evs.values():
                what = ev._events & mask
                if what:
                    self._activate(ev, what)
            return
        # A plain assignment, not a cython.cast: on the pure core that is a Python call per
        # ready fd; compiled, a type test of a pointer.
        ev = entry  # type: ignore[assignment]
        what = ev._events & mask
        if what:
            self._activate(ev, what)

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
                    # The callback runs with the lock kept while no other thread calls in,
                    # else without it (see the module docstring).
                    self._current = ev
                    ran += 1
                    if self._shared:
                        self._give_lock()
                    try:
                        if debug:
                            timed_call(ev, res, self._slow)
                        elif ev._state & ST_HANDLER:  # no Python call (record.Handler)
                            cb: Handler = ev._callback
                            cb._io_ready(ev, res)
                        else:
                            arg = ev._arg
                            if ev._state & ST_FDOBJ:
                                arg = arg[0]  # (arg, the object given as the fd)
                            ev._callback(ev._fd, res, arg)
                    except Exception as exc:
                        handler = self._exc_handler
                        if handler is None:
                            raise
                        handler(ev, exc)
                    finally:
                        self._current = None
                        if self._shared:
                            self._take_lock()
                    if self._break or self._closed:
                        return
            finally:
                del queue[:i]
                self._callbacks += ran

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

    # -- signals ---------------------------------------------------------------------------

    @cython.cfunc
    def _activate_signals(self) -> None:
        pending = self._sigpending
        self._sigpending = set()
        ev: EventRecord
        for signum in pending:
            for ev in list(self._evmap.signals.get(signum, ())):
                self._activate(ev, EV_SIGNAL)
