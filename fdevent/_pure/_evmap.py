"""The fd table: which events watch each fd, folded into one poller registration per fd.

This is libevent's evmap. Several events may watch one fd (two readers, a reader and a
writer); the poller sees one registration whose mask is the union of theirs, changed only
when the union changes. Readiness comes back per fd and the base hands it to each event that
asked for it.

Staleness: when a second event joins an fd that is already registered, the table asks the
poller to ``modify`` even if the union is unchanged. On epoll that one syscall is how we learn
that the file behind the number was closed and the number reused (``ENOENT``): the events
still listed for the old file are then stale; they are returned to the base, which detaches
them, and the new file gets a registration of its own. So an old event never fires for a new
file. (Joining an fd is rare on the hot path; re-arming a one-shot writer changes the union
and needs the syscall anyway.)

The events of one fd are kept in a tuple, not a list: a tuple of one costs 48 bytes against a
list's 88, dispatch iterates it without a copy, and attaching or detaching rebuilds it in
O(events on that fd), which is one or two in practice (libevent walks a linked list there).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

try:
    import cython
except ImportError:  # pragma: no cover - the pure core without Cython installed
    from . import _cython_shim as cython  # type: ignore[no-redef]

from .._flags import EV_ET, EV_IO, EV_READ, EV_WRITE

if TYPE_CHECKING:
    from .backends import Poller
    from .event import Event


@cython.final
@cython.cclass
class FdEntry:
    """The events watching one fd, and the mask registered for them."""

    def __init__(self) -> None:
        self.events: tuple[Event, ...] = ()
        self.nread = 0
        self.nwrite = 0
        self.et = 0

    @cython.cfunc
    def mask(self) -> cython.int:
        """The union of the entry's events, as registered with the poller."""
        return (EV_READ if self.nread else 0) | (EV_WRITE if self.nwrite else 0) | self.et

    @cython.cfunc
    def count(self, ev: Event, delta: cython.int) -> None:
        if ev._events & EV_READ:
            self.nread += delta
        if ev._events & EV_WRITE:
            self.nwrite += delta


@cython.final
@cython.cclass
class EvMap:
    """fd -> FdEntry, kept in step with the poller."""

    def __init__(self, poller: Poller) -> None:
        # Indexed by fd, as libevent's evmap: fds are small dense ints, and a list index is
        # cheaper than hashing on the path from a readiness report to its events.
        self.fds: list[FdEntry | None] = []
        self.poller = poller

    @cython.cfunc
    def get(self, fd: cython.int) -> FdEntry | None:
        """The entry for ``fd``, or None."""
        if fd < len(self.fds):
            return self.fds[fd]
        return None

    @cython.cfunc
    def add(self, ev: Event) -> object:
        """Add ``ev`` to its fd's entry and update the poller.

        Returns the stale events dropped from the entry (see the module docstring), or
        None. Raises ValueError for mixing EV_ET and level-triggered events on one fd, OSError
        if the poller refuses the fd; in both cases the table is left as it was.
        """
        fd: cython.int = ev._fd
        et: cython.int = ev._events & EV_ET
        entry: FdEntry | None = self.get(fd)
        if entry is None:
            self.poller.register(fd, (ev._events & EV_IO) | et)
            self._new_entry(ev)
            return None
        if et != entry.et:
            raise ValueError(
                f"fd {fd} is watched by {'edge' if entry.et else 'level'}-triggered events; "
                "EV_ET and level-triggered events cannot be mixed on one fd"
            )
        if self.poller.modify(fd, entry.mask() | (ev._events & EV_IO)):
            entry.events += (ev,)
            entry.count(ev, 1)
            return None
        # The number now names another file: the entry's events watched the closed one.
        self.poller.modify(fd, (ev._events & EV_IO) | et)
        stale = entry.events
        self._new_entry(ev)
        return stale

    @cython.cfunc
    def _new_entry(self, ev: Event) -> None:
        entry = FdEntry()
        entry.events = (ev,)
        entry.count(ev, 1)
        entry.et = ev._events & EV_ET
        fd: cython.int = ev._fd
        fds = self.fds
        if fd >= len(fds):
            fds.extend([None] * (fd + 1 - len(fds)))
        fds[fd] = entry

    @cython.cfunc
    def remove(self, ev: Event) -> object:
        """Take ``ev`` out of its fd's entry and update the poller.

        Never raises for an fd closed behind the base's back. Returns the events left
        on the fd if the poller found that the number now names another file (they are stale),
        or None.
        """
        fd: cython.int = ev._fd
        entry: FdEntry = self.fds[fd]  # type: ignore[assignment]
        before: cython.int = entry.mask()
        entry.events = tuple([other for other in entry.events if other is not ev])
        entry.count(ev, -1)
        if not entry.events:
            self.fds[fd] = None
            self.poller.unregister(fd)
            return None
        after: cython.int = entry.mask()
        if after == before:
            return None
        try:
            fresh = self.poller.modify(fd, after)
        except OSError:
            return None  # the fd is closed: the OS has forgotten it already
        if fresh:
            return None
        self.fds[fd] = None
        self.poller.unregister(fd)
        return entry.events

    @cython.cfunc
    def clear(self) -> None:
        """Forget every entry (the poller is being closed)."""
        self.fds = []

    def registrations(self) -> Iterator[tuple[int, int]]:
        """Yield ``(fd, mask)`` for every registration, for ``Poller.reset``."""
        entry: FdEntry | None
        for fd, entry in enumerate(self.fds):
            if entry is not None:
                yield fd, entry.mask()

    def entries(self) -> Iterator[FdEntry]:
        """Yield every entry."""
        for entry in self.fds:
            if entry is not None:
                yield entry
