"""``serve(base)``: run an EventBase's events from inside a running asyncio loop.

The reverse of ``Loop``: the asyncio loop (stock, uvloop, anything with ``add_reader``) is
chosen for the program, and a base's events must run in it. Each step runs one non-blocking
iteration of the base, then waits in the asyncio loop for what the base's own poll would have
waited for:

- every fd the base's table registers (its thread wakeup among them), watched with the
  asyncio loop's ``add_reader``/``add_writer``, re-synced after each step;
- the base's next deadline (its nearest timer or pending ``loopexit``), as a ``call_later``;
- a call from another thread: while serve() waits, the base counts as polling, so such a
  call writes the base's wakeup, which serve() watches. The flag is set *before* serve()
  looks at what is active, so a call that lands in between is seen by one side or the other.

It ends when the base has nothing attached or active and no pending loopexit (when
``base.loop()`` would return), after a ``loopexit()`` or ``loopbreak()``, or when the base is
closed; cancelling the task stops it between two steps.

This reads the base's internals (its fd table, wait time and polling flag) through the
cimported ``EventBase``: the public hook it wants is described in ``aio/__init__.py``.
An ``EV_ET`` event is watched level-triggered by the asyncio loop, so an edge-triggered
reader that leaves data unread makes serve() step until it is read.
"""

from __future__ import annotations

import asyncio
import math
from typing import TYPE_CHECKING, cast

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

from ..._flags import EV_CLOSED, EV_READ, EV_WRITE
from ..core.base import EventBase

_INF = math.inf


class _Watch:
    """The base's fds as readers and writers of the asyncio loop; wakes ``serve()``."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.waiter: asyncio.Future[None] | None = None
        self.masks: dict[int, int] = {}

    def wake(self) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def sync(self, wanted: dict[int, int]) -> None:
        loop = self.loop
        for fd, old in list(self.masks.items()):
            new = wanted.get(fd, 0)
            if old & ~new & EV_READ:
                loop.remove_reader(fd)
            if old & ~new & EV_WRITE:
                loop.remove_writer(fd)
            if not new:
                del self.masks[fd]
        for fd, new in wanted.items():
            old = self.masks.get(fd, 0)
            if new & ~old & EV_READ:
                loop.add_reader(fd, self.wake)
            if new & ~old & EV_WRITE:
                loop.add_writer(fd, self.wake)
            self.masks[fd] = new

    def clear(self) -> None:
        self.sync({})


def _registrations(base: EventBase) -> dict[int, int]:
    # fd -> EV_READ|EV_WRITE as the asyncio loop can watch it (EV_CLOSED is a read condition).
    b = cython.cast(EventBase, base)
    out: dict[int, int] = {}
    for fd, mask in b._evmap.registrations():
        want = mask & EV_WRITE
        if mask & (EV_READ | EV_CLOSED):
            want |= EV_READ
        if want:
            out[fd] = want
    return out


@cython.annotation_typing(False)  # checked here, with a message that says what it wants
async def serve(base: EventBase) -> None:
    """Run ``base``'s events in the running asyncio loop until it has none, or loopexit().

    Returns when ``base.loop()`` would: nothing attached or active and no pending
    ``loopexit()``, or after a ``loopexit()``/``loopbreak()``, or when the base is closed.
    An exception from an event's callback propagates (unless the base has an exception
    handler), and serve() can be awaited again to carry on.

    Raises:
        TypeError: ``base`` is not an ``EventBase`` of this core.
        RuntimeError: no asyncio loop is running, the base is closed, its loop is already
            running (serve() on an ``fdevent.aio.Loop``'s own base, say), or what the base's
            ``loop()`` raises.
    """
    if not isinstance(base, EventBase):
        raise TypeError(f"base must be an fdevent EventBase, not {type(base).__name__}")
    loop = asyncio.get_running_loop()
    if base.closed:
        raise RuntimeError("the event base is closed")
    b = cython.cast(EventBase, base)
    watch = _Watch(loop)
    try:
        while True:
            base.loop(nonblock=True)
            if b._closed or b._got_exit or b._got_break:
                return
            # From here a call from another thread writes the base's wakeup (see above).
            b._polling = True
            try:
                if b._nattached == 0 and b._nactive == 0 and b._exit_at == _INF:
                    return
                wait = b._wait_time(False)
                if wait == 0.0:
                    await asyncio.sleep(0)
                    continue
                watch.sync(_registrations(base))
                watch.waiter = loop.create_future()
                timer = None if wait is None else loop.call_later(cast(float, wait), watch.wake)
                try:
                    await watch.waiter
                finally:
                    watch.waiter = None
                    if timer is not None:
                        timer.cancel()
            finally:
                b._polling = False
    finally:
        watch.clear()
