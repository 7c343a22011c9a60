"""The poller interface (documented in the package docstring) and helpers they share."""

from __future__ import annotations

import os
from collections.abc import Iterable


class Poller:
    """Base of the pollers: the interface every mechanism implements."""

    name = "none"
    supports_et = False

    def fileno(self) -> int:
        """The epoll fd, for the compiled core's own wait; -1 for the other mechanisms."""
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

    def reset(self, registrations: Iterable[tuple[int, int]]) -> None:
        """Forget every registration and register ``registrations`` afresh."""
        raise NotImplementedError

    def close(self) -> None:
        """Release the OS resource; idempotent."""
        raise NotImplementedError


def check_open(fd: int) -> None:
    """Raise ``OSError(EBADF)`` unless ``fd`` is an open file descriptor.

    poll and select take any number and only complain at wait time (select for the whole set),
    so their pollers ask the OS at registration, where the error belongs.
    """
    os.fstat(fd)


def fd_is_open(fd: int) -> bool:
    """Return whether ``fd`` is an open file descriptor."""
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True
