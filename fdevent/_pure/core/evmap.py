"""The fd table: which events watch each fd, folded into one poller registration per fd.

This is libevent's evmap. Several events may watch one fd (two readers, a reader and a
writer); the poller sees one registration whose mask is the union of theirs, changed only
when the union changes. Readiness comes back per fd and the base hands it to each event that
asked for it.

Layout, as libevent's: an array indexed by fd. ``heads[fd]`` is None, the fd's event when it
has one (the common case: nothing more to store, and its own mask is the union), or an
``FdGroup`` when it has several: their events in attach order in a dict (O(1) to add and to
remove, however many events share the fd) and how many of them want ``EV_READ``,
``EV_WRITE`` and ``EV_CLOSED``, so the union is known without a walk. Whether the fd is
edge-triggered is its events' ``EV_ET`` (they all agree on it). The table holds no link
inside the event record: a timer, which is on no fd, carries no field for fds.

A group's dict is keyed by the event itself, which hashes by identity; an event of a
subclass that defines its own ``__eq__`` or ``__hash__`` is keyed by ``id()`` instead, so the
table never calls user code and never mistakes one event for another.

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
    if not cython.compiled:  # at run time the pure core takes the shim (its docstring)
        from ..clib import shim as cython

from ..._flags import EV_CLOSED, EV_ET, EV_IO, EV_READ, EV_WRITE
from .record import EventRecord

if TYPE_CHECKING:
    from ..backends import Poller


_IDENTITY_HASH = object.__hash__
_IDENTITY_EQ = object.__eq__


@cython.cfunc
def _key(ev: EventRecord) -> object:
    # The event itself, unless its class compares or hashes otherwise than by identity.
    cls = type(ev)
    if cls.__hash__ is _IDENTITY_HASH and cls.__eq__ is _IDENTITY_EQ:
        return ev
    return id(ev)


@cython.final
@cython.cclass
class FdGroup:
    """The events of an fd that has several, in attach order, and how many want what."""

    def __init__(self, et: int) -> None:
        self.evs: dict[object, EventRecord] = {}
        self.et = et  # the fd's EV_ET, which all its events share
        self.nread = 0
        self.nwrite = 0
        self.nclosed = 0

    @cython.cfunc
    def put(self, ev: EventRecord, delta: cython.int) -> None:
        """Add ``ev`` (``delta`` 1) or take it out (-1), and count what it wants."""
        if delta > 0:
            self.evs[_key(ev)] = ev
        else:
            del self.evs[_key(ev)]
        if ev._events & EV_READ:
            self.nread += delta
        if ev._events & EV_WRITE:
            self.nwrite += delta
        if ev._events & EV_CLOSED:
            self.nclosed += delta

    @cython.cfunc
    def mask(self) -> cython.int:
        """The union of the group's events, as registered with the poller."""
        return (
            (EV_READ if self.nread else 0)
            | (EV_WRITE if self.nwrite else 0)
            | (EV_CLOSED if self.nclosed else 0)
            | self.et
        )

    @cython.cfunc
    def first(self) -> EventRecord:
        """The earliest attached of the group's events."""
        return next(iter(self.evs.values()))


@cython.final
@cython.cclass
class EvMap:
    """fd -> the events watching it, kept in step with the poller."""

    def __init__(self, poller: Poller) -> None:
        self.heads: list[EventRecord | FdGroup | None] = []
        self.poller = poller
        self.signals: dict[int, list[EventRecord]] = {}

    @cython.cfunc
    def head(self, fd: cython.int) -> object:
        """What ``heads[fd]`` holds: None, the fd's one event, or its ``FdGroup``."""
        if 0 <= fd < len(self.heads):
            return self.heads[fd]
        return None

    @cython.cfunc
    def mask(self, fd: cython.int) -> cython.int:
        """The union of ``fd``'s events, as registered with the poller (0: none)."""
        entry = self.head(fd)
        if entry is None:
            return 0
        # Typed assignments, not cython.cast: on the pure core a cast is a Python call.
        group: FdGroup
        one: EventRecord
        if type(entry) is FdGroup:
            group = entry
            return group.mask()
        one = entry  # type: ignore[assignment]
        return one._events & (EV_IO | EV_ET)

    @cython.cfunc
    def add(self, ev: EventRecord) -> object:
        """Add ``ev`` to its fd's events and update the poller.

        Returns the stale events dropped from the fd (see the module docstring) as a list, or
        None. Raises ValueError for mixing EV_ET and level-triggered events on one fd, OSError
        if the poller refuses the fd; in both cases the table is left as it was.
        """
        fd: cython.int = ev._fd
        want: cython.int = ev._events & (EV_IO | EV_ET)
        entry = self.head(fd)
        if entry is None:
            self.poller.register(fd, want)
            n: cython.Py_ssize_t = len(self.heads)
            if fd >= n:
                self.heads.extend([None] * (fd + 1 - n))
            self.heads[fd] = ev
            return None
        group: FdGroup
        one: EventRecord
        et: cython.int
        if type(entry) is FdGroup:
            group = entry
            et = group.et
        else:
            one = entry  # type: ignore[assignment]
            et = one._events & EV_ET
        if et != ev._events & EV_ET:
            raise ValueError(
                f"fd {fd} is watched by {'edge' if et else 'level'}-triggered events; "
                "EV_ET and level-triggered events cannot be mixed on one fd"
            )
        if self.poller.modify(fd, self.mask(fd) | want):
            if type(entry) is FdGroup:
                group = entry
            else:
                group = FdGroup(et)
                group.put(one, 1)
                self.heads[fd] = group
            group.put(ev, 1)
            return None
        # The number now names another file: the fd's events watched the closed one.
        stale = self._take_all(fd)
        self.heads[fd] = ev
        return stale

    @cython.cfunc
    def _take_all(self, fd: cython.int) -> Any:
        # Take every event off fd's entry and return them in attach order.
        entry = self.heads[fd]
        self.heads[fd] = None
        if type(entry) is FdGroup:
            return list(cython.cast(FdGroup, entry).evs.values())
        return [entry]

    @cython.cfunc
    def remove(self, ev: EventRecord) -> object:
        """Take ``ev`` off its fd's events and update the poller.

        Never raises for an fd closed behind the base's back. Returns the events left on the
        fd as a list if the poller found that the number now names another file (they are
        stale), or None.
        """
        fd: cython.int = ev._fd
        entry = self.heads[fd]
        if entry is ev:
            self.heads[fd] = None
            self.poller.unregister(fd)
            return None
        group: FdGroup = entry  # type: ignore[assignment]  # ev is not alone on its fd
        before: cython.int = self.mask(fd)
        group.put(ev, -1)
        if len(group.evs) == 1:
            self.heads[fd] = group.first()
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
        return self._take_all(fd)

    @cython.cfunc
    def drop(self, fd: cython.int) -> Any:
        """Forget every event of ``fd`` and unregister it (``closing()``); returns them."""
        if self.head(fd) is None:
            return []
        out = self._take_all(fd)
        self.poller.unregister(fd)
        return out

    @cython.cfunc
    def clear(self) -> None:
        """Forget every entry (the poller is being closed)."""
        self.heads = []

    def registrations(self) -> Iterator[tuple[int, int]]:
        """Yield ``(fd, mask)`` for every registration, for ``Poller.reset``."""
        fd: cython.Py_ssize_t
        for fd in range(len(self.heads)):
            if self.heads[fd] is not None:
                yield fd, self.mask(fd)

    def events(self) -> Iterator[EventRecord]:
        """Yield every event in the table, fd by fd, in the order they were attached."""
        for entry in list(self.heads):
            if type(entry) is FdGroup:
                yield from list(cython.cast(FdGroup, entry).evs.values())
            elif entry is not None:
                yield cython.cast(EventRecord, entry)

    def nfds(self) -> int:
        """How many fds have events."""
        return sum(1 for entry in self.heads if entry is not None)

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
