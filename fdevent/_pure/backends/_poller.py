"""The poller interface (documented in the package docstring) and helpers they share.

``Poller`` is a ``cdef class`` in the compiled core: its ``wait_into`` fills two C arrays the
base reads directly (``rfd[i]``, ``rmask[i]`` for ``i < n``), so the base's loop knows no
mechanism. A mechanism with a C wait of its own (epoll) overrides ``wait_into``; the others
implement ``poll()`` and inherit a ``wait_into`` that copies its result into the arrays.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
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

#: How many readiness reports one ``wait_into`` returns at most. More ready fds are reported
#: by the next wait (the generic pollers keep the rest for it); 256 keeps the arrays at 2 KiB.
BATCH = 256


@cython.cclass
class Poller:
    """Base of the pollers: the interface every mechanism implements."""

    name = "none"
    supports_et = False
    supports_closed = False
    # C arrays of BATCH ints in the compiled core (_poller.pxd); the pure core uses ``ready``.
    rfd: list[int]
    rmask: list[int]

    def __init__(self) -> None:
        self._rest: list[tuple[int, int]] = []
        #: The last wait's reports, as a list (the pure core reads this; the compiled core
        #: reads the C arrays ``rfd`` and ``rmask``).
        self.ready: list[tuple[int, int]] = []

    def fileno(self) -> int:
        """The mechanism's own fd (epoll, kqueue), or -1 where it has none (poll, select)."""
        return -1

    def register(self, fd: int, mask: int) -> None:
        """Start watching ``fd`` for ``mask`` (``EV_READ``/``EV_WRITE``/``EV_ET``)."""
        raise NotImplementedError

    def modify(self, fd: int, mask: int) -> bool:
        """Change the mask of ``fd``; ``False`` if the file behind ``fd`` had changed."""
        raise NotImplementedError

    def unregister(self, fd: int) -> None:
        """Stop watching ``fd``; never raises for a closed or reused fd."""
        raise NotImplementedError

    def poll(self, timeout: float | None) -> list[tuple[int, int]]:
        """Wait up to ``timeout`` seconds; return ``(fd, mask)`` for each ready fd."""
        raise NotImplementedError

    @cython.ccall
    @cython.exceptval(-1, check=True)
    def wait_into(self, timeout: object) -> cython.int:
        """Wait like ``poll(timeout)``; put the reports in ``rfd``/``rmask``, return how many.

        Reports beyond ``BATCH`` are kept and returned by the next call, which then does not
        wait. The pure core takes the list as it is (``ready``).
        """
        ready = self._rest
        if ready:
            self._rest = []
        else:
            ready = self.poll(timeout)  # type: ignore[arg-type]
        if not cython.compiled:
            self.ready = ready
            return len(ready)
        n: cython.int = 0
        for fd, mask in ready:
            if n == BATCH:
                self._rest = ready[n:]
                break
            self.rfd[n] = fd
            self.rmask[n] = mask
            n += 1
        return n

    def stray(self, fd: int, registrations: Iterable[tuple[int, int]]) -> None:
        """The poller reported ``fd``, which the base does not watch: make it stop.

        The generic pollers report only what they were asked (a report kept for the next
        wait may have been detached meanwhile): nothing to do. epoll overrides this.
        """

    def reset(self, registrations: Iterable[tuple[int, int]]) -> None:
        """Forget every registration and register ``registrations`` afresh."""
        raise NotImplementedError

    def close(self) -> None:
        """Release the OS resource; idempotent."""
        raise NotImplementedError


def check_open(fd: int) -> os.stat_result:
    """Return ``os.fstat(fd)``: ``OSError(EBADF)`` naming ``fd`` unless it is open.

    poll and select take any number and only complain at wait time (select for the whole set),
    so their pollers ask the OS at registration, where the error belongs.
    """
    try:
        return os.fstat(fd)
    except OSError as exc:
        raise type(exc)(exc.errno, f"fd {fd}: {exc.strerror}") from None


def fd_is_open(fd: int) -> bool:
    """Return whether ``fd`` is an open file descriptor."""
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def identity(st: os.stat_result) -> tuple[int, int]:
    """The identity of an open file (device, inode), as poll and select compare it."""
    return (st.st_dev, st.st_ino)
