"""The fd table: which events watch each fd, folded into one poller registration per fd.

This is libevent's evmap. Several events may watch one fd (two readers, a reader and a
writer); the poller sees one registration whose mask is the union of theirs, changed only
when the union changes. Readiness comes back per fd and the base hands it to each event that
asked for it.

Layout, as libevent's: an array indexed by fd, and an intrusive list through the events.
``heads[fd]`` is the fd's first event (None if none) and its events are linked through their
``_next``/``_prev`` fields in the order they were attached; the head's ``_prev`` is the tail,
so appending is O(1) and so is removing, however many events share the fd. The union of an
fd's events is the lone event's own mask when it has one (the common case: nothing more to
store), else three counters kept in ``multi[fd]`` (how many of its events want EV_READ,
EV_WRITE and EV_CLOSED), so it is known without walking the list. Whether the fd is
edge-triggered is the head's ``EV_ET`` (all events of an fd agree on it).

Staleness: when a second event joins an fd that is already registered, the table asks the
poller to ``modify`` even if the union is unchanged. That one call is how we learn that the
file behind the number was closed and the number reused (epoll's ``ENOENT``, or the file
identity the poll and select pollers compare): the events still listed for the old file are
then stale; they are returned to the base, which detaches them, and the new file gets a
registration of its own. So an old event never fires for a new file.
"""

from __future__ import annotations

from collections.abc import Iterator
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

from ..._flags import EV_CLOSED, EV_ET, EV_IO, EV_READ, EV_WRITE

if TYPE_CHECKING:
    from ..backends import Poller
    from .record import EventRecord


@cython.final
@cython.cclass
class EvMap:
    """fd -> the events watching it, kept in step with the poller."""

    def __init__(self, poller: Poller) -> None:
        self.heads: list[EventRecord | None] = []
        self.multi: dict[int, list[int]] = {}
        self.poller = poller
        self.signals: dict[int, list[EventRecord]] = {}

    @cython.cfunc
    def head(self, fd: cython.int) -> EventRecord | None:
        """The first event watching ``fd``, or None."""
        if 0 <= fd < len(self.heads):
            return self.heads[fd]
        return None

    @cython.cfunc
    def mask(self, fd: cython.int) -> cython.int:
        """The union of ``fd``'s events, as registered with the poller (0: none)."""
        head: EventRecord | None = self.head(fd)
        if head is None:
            return 0
        if head._next is None:
            return head._events & (EV_IO | EV_ET)
        c = self.multi[fd]
        return (
            (EV_READ if c[0] else 0)
            | (EV_WRITE if c[1] else 0)
            | (EV_CLOSED if c[2] else 0)
            | (head._events & EV_ET)
        )

    @cython.cfunc
    def _count(self, c: Any, ev: EventRecord, delta: cython.int) -> None:
        if ev._events & EV_READ:
            c[0] += delta
        if ev._events & EV_WRITE:
            c[1] += delta
        if ev._events & EV_CLOSED:
            c[2] += delta

    @cython.cfunc
    def add(self, ev: EventRecord) -> object:
        """Add ``ev`` to its fd's events and update the poller.

        Returns the stale events dropped from the fd (see the module docstring) as a list, or
        None. Raises ValueError for mixing EV_ET and level-triggered events on one fd, OSError
        if the poller refuses the fd; in both cases the table is left as it was.
        """
        fd: cython.int = ev._fd
        want: cython.int = ev._events & (EV_IO | EV_ET)
        head: EventRecord | None = self.head(fd)
        if head is None:
            self.poller.register(fd, want)
            n: cython.Py_ssize_t = len(self.heads)
            if fd >= n:
                self.heads.extend([None] * (fd + 1 - n))
            self._first(ev)
            return None
        et: cython.int = ev._events & EV_ET
        if et != head._events & EV_ET:
            raise ValueError(
                f"fd {fd} is watched by "
                f"{'edge' if head._events & EV_ET else 'level'}-triggered events; "
                "EV_ET and level-triggered events cannot be mixed on one fd"
            )
        if self.poller.modify(fd, self.mask(fd) | want):
            if head._next is None:
                c = [0, 0, 0]
                self._count(c, head, 1)
                self.multi[fd] = c
            else:
                c = self.multi[fd]
            self._count(c, ev, 1)
            tail: EventRecord = head._prev  # type: ignore[assignment]
            tail._next = ev
            ev._prev = tail
            ev._next = None
            head._prev = ev
            return None
        # The number now names another file: the fd's events watched the closed one.
        stale = self._unlink_all(fd)
        self._first(ev)
        return stale

    @cython.cfunc
    def _first(self, ev: EventRecord) -> None:
        ev._next = None
        ev._prev = ev
        self.heads[ev._fd] = ev

    @cython.cfunc
    def _unlink_all(self, fd: cython.int) -> Any:
        # Take every event off fd's list (breaking the links, which are references both
        # ways) and return them in order.
        out: list[EventRecord] = []
        ev: EventRecord | None = self.heads[fd]
        nxt: EventRecord | None
        while ev is not None:
            out.append(ev)
            nxt = ev._next
            ev._next = None
            ev._prev = None
            ev = nxt
        self.heads[fd] = None
        self.multi.pop(fd, None)
        return out

    @cython.cfunc
    def remove(self, ev: EventRecord) -> object:
        """Take ``ev`` off its fd's events and update the poller.

        Never raises for an fd closed behind the base's back. Returns the events left on the
        fd as a list if the poller found that the number now names another file (they are
        stale), or None.
        """
        fd: cython.int = ev._fd
        head: EventRecord = self.heads[fd]  # type: ignore[assignment]
        nxt: EventRecord | None = ev._next
        if nxt is None and ev is head:
            ev._prev = None
            self.heads[fd] = None
            self.poller.unregister(fd)
            return None
        before: cython.int = self.mask(fd)
        prev: EventRecord = ev._prev  # type: ignore[assignment]
        if ev is head:
            nxt._prev = prev  # type: ignore[union-attr]  # the tail
            self.heads[fd] = nxt
            head = nxt  # type: ignore[assignment]
        else:
            prev._next = nxt
            if nxt is None:
                head._prev = prev
            else:
                nxt._prev = prev
        ev._next = None
        ev._prev = None
        if head._next is None:
            del self.multi[fd]
        else:
            self._count(self.multi[fd], ev, -1)
        after: cython.int = self.mask(fd)
        if after == before:
            return None
        try:
            fresh = self.poller.modify(fd, after)
        except OSError:
            return None  # the fd is closed: the OS has forgotten it already
        if fresh:
            return None
        self.poller.unregister(fd)
        return self._unlink_all(fd)

    @cython.cfunc
    def drop(self, fd: cython.int) -> Any:
        """Forget every event of ``fd`` and unregister it (``closing()``); returns them."""
        if self.head(fd) is None:
            return []
        out = self._unlink_all(fd)
        self.poller.unregister(fd)
        return out

    @cython.cfunc
    def clear(self) -> None:
        """Forget every entry (the poller is being closed), unlinking every event."""
        fd: cython.Py_ssize_t
        for fd in range(len(self.heads)):
            if self.heads[fd] is not None:
                self._unlink_all(fd)
        self.heads = []
        self.multi = {}

    def registrations(self) -> Iterator[tuple[int, int]]:
        """Yield ``(fd, mask)`` for every registration, for ``Poller.reset``."""
        fd: cython.Py_ssize_t
        for fd in range(len(self.heads)):
            if self.heads[fd] is not None:
                yield fd, self.mask(fd)

    def events(self) -> Iterator[EventRecord]:
        """Yield every event in the table, fd by fd, in the order they were attached."""
        ev: EventRecord | None
        for head in list(self.heads):
            ev = head
            while ev is not None:
                yield ev
                ev = ev._next

    def nfds(self) -> int:
        """How many fds have events."""
        return sum(1 for head in self.heads if head is not None)

    # -- signals: libevent's evmap keeps the signal table beside the fd table ---------------

    @cython.cfunc
    def add_signal(self, ev: EventRecord) -> None:
        """Add ``ev`` to the events of its signal (``ev._fd``)."""
        self.signals.setdefault(ev._fd, []).append(ev)

    @cython.cfunc
    @cython.exceptval(-1, check=False)
    def remove_signal(self, ev: EventRecord) -> cython.bint:
        """Take ``ev`` out of its signal's events; returns whether it was there."""
        evs = self.signals.get(ev._fd)
        if evs is None or ev not in evs:
            return False
        evs.remove(ev)
        if not evs:
            del self.signals[ev._fd]
        return True

    def signal_events(self) -> Iterator[EventRecord]:
        """Yield every event in the signal table."""
        for evs in list(self.signals.values()):
            yield from evs
