"""Who owns a stream: its base, and in the whole process one open stream per fd.

- An open stream belongs to its base: the base keeps it (nothing else needs a reference)
  and closes it when the base closes. The base calls its closers in ``close()``; the
  streams of a base are one closer, an ``Owners``. A stream closed by its base is closed
  as ``abort()`` closes it: no loop will run again to flush its output. (libevent leaves a
  bufferevent to its user after ``event_base_free``; a Python user expects the base to
  release every socket it watched, as leaving them open warns at exit.)
- One socket, one stream. Two streams on one socket race for its reads and close it
  twice, so wrapping an fd that an open stream holds is a ValueError, on any base of the
  process. ``_claims[fd]`` names the ``Owners`` holding it, weakly (a base dropped without
  ``close()`` takes its claims with it), and their ``by_fd[fd]`` the stream. A stream gives
  its claim back when it closes its socket; a claim whose socket was closed behind the
  stream's back is stale and gives way (the number belongs to a new file).

Sizes: a list indexed by fd per base and one for the process, 8 bytes per fd number each
(as the base's fd table); the stream itself carries nothing for this. Only the public API
of a stream is used here (``fd``, ``socket``, ``abort()``): this module sits below it.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # Type checkers read the shim's typed no-ops, never Cython's untyped decorators (as in
    # event.py).
    from ..clib import shim as cython
else:
    try:
        import cython
    except ImportError:  # pragma: no cover - the pure core without Cython installed
        from ..clib import shim as cython

from ..core.base import EventBase

#: fd -> a weak reference to the ``Owners`` whose stream holds that fd, or None.
_claims: list[Any] = []


@cython.final
@cython.cclass
class Owners:
    """The open streams of one base; the base calls this when it closes."""

    by_fd: list[Any]  # fd -> the open stream holding it, or None
    pending: dict[Any, None]  # streams with no socket yet (connecting), as an ordered set
    ref: Any

    def __init__(self) -> None:
        self.by_fd = []
        self.pending = {}
        self.ref = weakref.ref(self)

    def __call__(self) -> None:
        streams = [*self.pending, *(s for s in self.by_fd if s is not None)]
        for fd in range(min(len(self.by_fd), len(_claims))):
            if _claims[fd] is self.ref:
                _claims[fd] = None
        self.by_fd = []
        self.pending = {}
        for stream in streams:
            stream.abort()


@cython.ccall
def owners_of(base: EventBase) -> Owners:
    """The Owners of ``base``, made with its first stream."""
    found: Any = base._closers.get(Owners)
    if found is None:
        found = base._closers[Owners] = Owners()
    return found  # type: ignore[no-any-return]


@cython.ccall
def check_unclaimed(fd: cython.int) -> None:
    """ValueError if an open stream holds ``fd``."""
    if fd >= len(_claims) or _claims[fd] is None:
        return
    found = _claims[fd]()
    if found is None or fd >= len(cython.cast(Owners, found).by_fd):
        return
    stream = cython.cast(Owners, found).by_fd[fd]
    if stream is not None and stream.fd == fd and stream.socket.fileno() == fd:
        raise ValueError(
            f"sock (fd {fd}) is already wrapped by a stream: one socket, one Stream "
            "(use that stream, or close it first)"
        )


@cython.ccall
def add(base: EventBase, stream: object, fd: cython.int) -> None:
    """``stream`` is open on ``base``, holding ``fd`` (-1: no socket yet)."""
    owners = owners_of(base)
    if fd < 0:
        owners.pending[stream] = None
        return
    owners.pending.pop(stream, None)
    for table in (owners.by_fd, _claims):
        if fd >= len(table):
            table.extend([None] * (fd + 1 - len(table)))
    owners.by_fd[fd] = stream
    _claims[fd] = owners.ref


@cython.ccall
def remove(base: EventBase, stream: object, fd: cython.int, ours: cython.bint) -> None:
    """``stream`` closed; ``ours``: it closed the socket on ``fd`` itself."""
    found: Any = base._closers.get(Owners)
    if found is None:
        return  # the base closed, and its Owners with it
    owners: Owners = found
    if fd < 0:
        owners.pending.pop(stream, None)
        return
    if fd < len(owners.by_fd) and owners.by_fd[fd] is stream:
        owners.by_fd[fd] = None
        if ours and _claims[fd] is owners.ref:
            _claims[fd] = None
