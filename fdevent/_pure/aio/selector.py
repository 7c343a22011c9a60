"""asyncio's selector interface, kept on an EventBase's events.

``selector_events.BaseSelectorEventLoop`` keeps its readers and writers in a selector:
``register``/``modify``/``unregister`` with ``(reader, writer)`` handles as the key's data,
``get_key``/``get_map`` to look them up (transports' ``__repr__`` and pipe transports read
them too). This selector keeps that table, and for each fd one persistent fdevent event per
direction that waits while the table says so. When the base reports an fd ready, the event's
callback runs the registered handle at once (the stdlib queues it for the next pass over its
ready list; here the base's iteration already is that pass), or drops a reader or writer whose
handle was cancelled, as the stdlib's ``_process_events`` does.

``select()`` is not how readiness arrives here: the base's loop delivers it, so the asyncio
loop never calls it, and calling it is a ``RuntimeError`` that says so.
"""

from __future__ import annotations

import selectors
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..clib import shim as cython
else:
    try:
        import cython
    except ImportError:  # pragma: no cover - the pure core without Cython installed
        from ..clib import shim as cython
    if not cython.compiled:  # at run time the pure core takes the shim (its docstring)
        from ..clib import shim as cython

from asyncio import Handle as _Handle

from ..._flags import EV_PERSIST, EV_READ, EV_WRITE
from ..core.event import Event
from ..core.record import ST_HANDLER, EventRecord, Handler
from .handles import is_cancelled, run

if TYPE_CHECKING:
    from asyncio import Handle

    from ..core.base import EventBase

_EVENT_READ = selectors.EVENT_READ
_EVENT_WRITE = selectors.EVENT_WRITE
_KeyData = tuple["Handle | None", "Handle | None"]


def _event(base: EventBase, fd: int, flag: int, ready: _Ready) -> Event:
    # A persistent event whose callback the base calls in C (core/record.py's Handler).
    ev = Event(base, fd, flag | EV_PERSIST, ready, fd)
    rec: EventRecord = ev
    rec._state |= ST_HANDLER
    return ev


def _fd_of(fileobj: Any) -> int:
    # selectors' own rule and wording, so bad input fails as it does with the stdlib loop.
    if isinstance(fileobj, int):
        fd = fileobj
    else:
        try:
            fd = int(fileobj.fileno())
        except (AttributeError, TypeError, ValueError):
            raise ValueError(f"Invalid file object: {fileobj!r}") from None
    if fd < 0:
        raise ValueError(f"Invalid file descriptor: {fd}")
    return fd


class _KeyMap(Mapping[Any, selectors.SelectorKey]):
    """``get_map()``: the registered keys, looked up by fd or by file object."""

    def __init__(self, keys: dict[int, selectors.SelectorKey]) -> None:
        self._keys = keys

    def __len__(self) -> int:
        return len(self._keys)

    def __getitem__(self, fileobj: Any) -> selectors.SelectorKey:
        try:
            return self._keys[_fd_of(fileobj)]
        except ValueError:
            raise KeyError(fileobj) from None

    def __iter__(self) -> Iterator[int]:
        return iter(self._keys)


@cython.final
@cython.cclass
class _Ready(Handler):
    """What the base calls, in C, when a registered fd is ready in one direction.

    It runs the reader's (``index`` 0) or writer's (1) handle of the fd's key, or has the loop
    drop one that was cancelled. Outside debug mode a plain ``asyncio.Handle`` runs through
    ``handles.run`` (C); anything else through the loop's ``_run_handle``.
    """

    keys: dict[int, selectors.SelectorKey]
    index: cython.Py_ssize_t
    direction: cython.int
    debug: cython.bint
    run_handle: Callable[[Handle], None]
    drop: Callable[[int, int], None]

    def __init__(
        self,
        keys: dict[int, selectors.SelectorKey],
        index: int,
        run_handle: Callable[[Handle], None],
        drop: Callable[[int, int], None],
    ) -> None:
        self.keys = keys
        self.index = index
        self.direction = _EVENT_WRITE if index else _EVENT_READ
        self.debug = False
        self.run_handle = run_handle
        self.drop = drop

    @cython.cfunc
    def _io_ready(self, ev: EventRecord, res: cython.int) -> None:
        self._fire(ev._fd)

    def __call__(self, fd: int, events: int, arg: int) -> None:
        self._fire(arg)

    def __repr__(self) -> str:  # dump()'s name for the callback
        return "<asyncio reader>" if self.index == 0 else "<asyncio writer>"

    @cython.cfunc
    def _fire(self, fd: cython.int) -> None:
        key = self.keys.get(fd)
        if key is None:
            return
        handle = cython.cast(tuple, key)[3][self.index]  # key.data: (reader, writer)
        if handle is None:
            return
        if is_cancelled(handle):
            self.drop(fd, self.direction)
        elif type(handle) is _Handle and not self.debug:
            run(handle)
        else:
            self.run_handle(handle)
        del handle  # as Loop._run_handle: no frame keeps a handle after its run


class EventSelector(selectors.BaseSelector):
    """The selector of an ``fdevent.aio.Loop``: registrations are events on ``base``.

    ``run(handle)`` is how the loop runs a ready reader's or writer's handle in debug mode
    (or one of another class); ``drop(fd, events)`` how it removes a reader (``EVENT_READ``)
    or writer whose handle was cancelled. ``set_debug(flag)`` follows the loop's debug mode.
    """

    def __init__(
        self,
        base: EventBase,
        run: Callable[[Handle], None],
        drop: Callable[[int, int], None],
    ) -> None:
        self._base = base
        self._keys: dict[int, selectors.SelectorKey] = {}
        self._ready = (_Ready(self._keys, 0, run, drop), _Ready(self._keys, 1, run, drop))
        # fd -> its read event, fd -> its write event (two tables: no object per fd for both).
        self._evs: tuple[dict[int, Event], dict[int, Event]] = ({}, {})
        self._map: _KeyMap | None = _KeyMap(self._keys)

    def register(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        """Watch ``fileobj`` for ``events`` (``EVENT_READ``/``EVENT_WRITE``).

        Raises:
            ValueError: invalid events or file object.
            KeyError: the fd is already registered.
            RuntimeError: the selector is closed.
            OSError: the base's poller refuses the fd.
        """
        if not events or events & ~(_EVENT_READ | _EVENT_WRITE):
            raise ValueError(f"Invalid events: {events!r}")
        self._check_open()
        fd = _fd_of(fileobj)
        if fd in self._keys:
            raise KeyError(f"{fileobj!r} (FD {fd}) is already registered")
        key = selectors.SelectorKey(fileobj, fd, events, data)
        self._keys[fd] = key
        try:
            self._watch(fd, events)
        except BaseException:
            self._keys.pop(fd, None)
            self._unwatch(fd)
            raise
        return key

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        """Stop watching ``fileobj``; works on an fd that was closed already.

        Raises:
            KeyError: it is not registered.
            RuntimeError: the selector is closed.
        """
        self._check_open()
        try:
            key = self._keys.pop(_fd_of(fileobj))
        except (KeyError, ValueError):
            raise KeyError(f"{fileobj!r} is not registered") from None
        self._unwatch(key.fd)
        return key

    def modify(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        """Change what ``fileobj`` is watched for and its data.

        Raises:
            ValueError: invalid events.
            KeyError: it is not registered.
            RuntimeError: the selector is closed.
        """
        if not events or events & ~(_EVENT_READ | _EVENT_WRITE):
            raise ValueError(f"Invalid events: {events!r}")
        self._check_open()
        try:
            old = self._keys[_fd_of(fileobj)]
        except (KeyError, ValueError):
            raise KeyError(f"{fileobj!r} is not registered") from None
        key = selectors.SelectorKey(old.fileobj, old.fd, events, data)
        self._keys[old.fd] = key
        if events != old.events:
            try:
                self._watch(old.fd, events)
            except BaseException:
                self._keys[old.fd] = old
                self._watch(old.fd, old.events)
                raise
        return key

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        """Not used: the base's loop delivers readiness to the registered handles.

        Raises:
            RuntimeError: always.
        """
        raise RuntimeError("fdevent.aio's selector is driven by its EventBase, not polled")

    def close(self) -> None:
        """Detach every event and forget every registration. Idempotent."""
        for table in self._evs:
            for ev in table.values():
                ev.detach()
            table.clear()
        self._keys.clear()
        self._map = None

    # None once closed, as the stdlib's selectors return (typeshed leaves that out).
    def get_map(self) -> Mapping[Any, selectors.SelectorKey] | None:  # type: ignore[override]
        """The registrations by fd or file object; None once closed."""
        return self._map

    def set_debug(self, enabled: bool) -> None:
        """Follow the loop's debug mode: in it, ready handles run through the loop's
        ``_run_handle`` (slow-callback warnings)."""
        for ready in self._ready:
            ready.debug = bool(enabled)

    # -- the events under the table ----------------------------------------------------------

    def _check_open(self) -> None:
        if self._map is None:
            raise RuntimeError("Selector is closed")

    def _watch(self, fd: int, events: int) -> None:
        # Attach the direction events wants, detach the other. An fd's event for a direction
        # is made when first needed and kept (in that direction's table) for reuse.
        for i, (want, flag) in enumerate(((_EVENT_READ, EV_READ), (_EVENT_WRITE, EV_WRITE))):
            table = self._evs[i]
            ev = table.get(fd)
            if events & want:
                if ev is None:
                    ev = table[fd] = _event(self._base, fd, flag, self._ready[i])
                if not ev.attached:
                    ev.attach()
            elif ev is not None and ev.attached:
                ev.detach()

    def _unwatch(self, fd: int) -> None:
        for table in self._evs:
            ev = table.pop(fd, None)
            if ev is not None:
                ev.detach()
