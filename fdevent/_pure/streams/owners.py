"""Who owns a stream: its base, and in the whole process one open stream per fd.

- An open stream belongs to its base: the base keeps it (nothing else needs a reference)
  and closes it when the base closes. The base calls its closers in ``close()``; the
  streams of a base are one closer, an ``Owners``. A stream closed by its base is closed
  as ``abort()`` closes it: no loop will run again to flush its output. (libevent leaves a
  bufferevent to its user after ``event_base_free``; a Python user expects the base to
  release every socket it watched, as leaving them open warns at exit.)
- One socket, one stream. Two streams on one socket race for its reads and close it
  twice, so wrapping an fd that an open stream holds is a ValueError, on any base of the
  process: each ``Owners`` has its streams by fd, and ``_every`` lists every ``Owners``,
  weakly (a base dropped without ``close()`` takes its own with it). A socket closed behind
  its stream's back gives its number up (``fileno()`` is -1 then): the number may belong
  to a new file.

Sizes: one list per base, indexed by fd (8 bytes per fd number, as the base's fd table);
the stream itself carries nothing for this. Only the public API of a stream is used here
(``fd``, ``socket``, ``abort()``): this module sits below it.
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
    if not cython.compiled:  # at run time the pure core takes the shim (its docstring)
        from ..clib import shim as cython

from ..core.base import EventBase

#: A weak reference to every base's ``Owners``.
_every: list[Any] = []


@cython.final
@cython.cclass
class Owners:
    """The open streams of one base; the base calls this when it closes."""

    by_fd: list[Any]  # fd -> the open stream holding it, or None
    pending: dict[Any, None]  # streams with no socket yet (connecting), as an ordered set

    def __init__(self) -> None:
        self.by_fd = []
        self.pending = {}
        _every[:] = [ref for ref in _every if ref() is not None]
        _every.append(weakref.ref(self))

    def __call__(self) -> None:
        streams = [*self.pending, *(s for s in self.by_fd if s is not None)]
        self.by_fd = []
        self.pending = {}
        for stream in streams:
            stream.abort()

    @cython.cfunc
    @cython.exceptval(-1, check=True)
    def holds(self, fd: cython.int) -> cython.bint:
        """Whether an open stream of this base holds ``fd``."""
        if fd >= len(self.by_fd):
            return False
        stream = self.by_fd[fd]
        return stream is not None and stream.fd == fd and stream.socket.fileno() == fd


@cython.ccall
def owners_of(base: EventBase) -> Owners:
    """The Owners of ``base``, made with its first stream."""
    found: Any = base._closers.get(Owners)
    if found is None:
        found = base._closers[Owners] = Owners()
    return found  # type: ignore[no-any-return]


@cython.ccall
def check_unclaimed(fd: cython.int) -> None:
    """ValueError if an open stream holds ``fd``, on any base."""
    for ref in tuple(_every):  # a copy: another thread's base may add its Owners meanwhile
        owners = ref()
        if owners is not None and cython.cast(Owners, owners).holds(fd):
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
    if fd >= len(owners.by_fd):
        owners.by_fd.extend([None] * (fd + 1 - len(owners.by_fd)))
    owners.by_fd[fd] = stream


@cython.ccall
def remove(base: EventBase, stream: object, fd: cython.int) -> None:
    """``stream`` closed."""
    found: Any = base._closers.get(Owners)
    if found is None:
        return  # the base closed, and its Owners with it
    owners: Owners = found
    if fd < 0:
        owners.pending.pop(stream, None)
        return
    if fd < len(owners.by_fd) and owners.by_fd[fd] is stream:
        owners.by_fd[fd] = None
