"""The poll(2) poller: POSIX, no fd-number limit, no edge-triggering.

poll knows fd numbers, not files: it cannot tell that a number was closed and reused. What it
can tell is a closed number (``POLLNVAL``), which it would otherwise report on every call: a
busy loop. So an fd reported ``POLLNVAL`` is dropped here, silently, as epoll drops a closed
file; a later ``modify`` of that number finds it missing, registers it afresh and returns
``False``, which tells the base its events on that number are stale. Between the close and
the next poll, a number that is reused at once still looks like the old registration: an
event left attached on a closed fd can see the new file then (``closing(fd)`` is the remedy;
documented in docs/design.md). A number reused *before* the next poll is caught when an
event joins it: the poller keeps each fd's file identity (device and inode, from the
``fstat`` it does anyway to refuse a closed fd) and ``modify`` compares it.

``EV_CLOSED`` is ``POLLRDHUP``, a Linux extension; where the platform has none, this poller
cannot report a peer's close (``supports_closed`` is false).
"""

from __future__ import annotations

import contextlib
import math
import select
from collections.abc import Iterable

from ..._flags import EV_CLOSED, EV_READ, EV_WRITE
from ._poller import Poller, check_open, identity

_POLLIN = select.POLLIN
_POLLOUT = select.POLLOUT
_POLLNVAL = select.POLLNVAL
_POLLHUP = select.POLLHUP
_POLLRDHUP: int = getattr(select, "POLLRDHUP", 0)
_ERRORS = select.POLLERR | select.POLLHUP


def _to_poll(mask: int) -> int:
    return (
        (_POLLIN if mask & EV_READ else 0)
        | (_POLLOUT if mask & EV_WRITE else 0)
        | (_POLLRDHUP if mask & EV_CLOSED else 0)
    )


class PollPoller(Poller):
    """Poller on poll(2)."""

    name = "poll"
    supports_et = False
    supports_closed = bool(_POLLRDHUP)

    def __init__(self) -> None:
        Poller.__init__(self)
        self._poll = select.poll()
        self._fds: dict[int, int] = {}
        self._ids: dict[int, tuple[int, int]] = {}

    def register(self, fd: int, mask: int) -> None:
        """Start watching ``fd``; see the package docstring."""
        ident = identity(check_open(fd))
        self._poll.register(fd, _to_poll(mask))
        self._fds[fd] = mask
        self._ids[fd] = ident

    def modify(self, fd: int, mask: int) -> bool:
        """Change ``fd``'s mask; ``False`` if the file behind ``fd`` had changed."""
        if fd not in self._fds:
            self.register(fd, mask)
            return False
        ident = identity(check_open(fd))
        self._poll.modify(fd, _to_poll(mask))
        self._fds[fd] = mask
        if ident != self._ids[fd]:
            self._ids[fd] = ident
            return False
        return True

    def unregister(self, fd: int) -> None:
        """Stop watching ``fd``."""
        if self._fds.pop(fd, None) is not None:
            del self._ids[fd]
            self._poll.unregister(fd)

    def poll(self, timeout: float | None) -> list[tuple[int, int]]:
        """Wait up to ``timeout`` seconds (rounded up to whole milliseconds)."""
        ms = None if timeout is None else math.ceil(timeout * 1000.0)
        ready = []
        for fd, ev in self._poll.poll(ms):
            if ev & _POLLNVAL:
                self.unregister(fd)
                continue
            mask = (EV_READ if ev & _POLLIN else 0) | (EV_WRITE if ev & _POLLOUT else 0)
            if ev & _ERRORS:
                mask |= EV_READ | EV_WRITE
            if ev & (_POLLRDHUP | _POLLHUP):
                mask |= EV_CLOSED
            ready.append((fd, mask))
        return ready

    def reset(self, registrations: Iterable[tuple[int, int]]) -> None:
        """Start a new poll set holding ``registrations`` (fds closed meanwhile skipped)."""
        self._poll = select.poll()
        self._fds = {}
        self._ids = {}
        for fd, mask in registrations:
            with contextlib.suppress(OSError):
                self.register(fd, mask)

    def close(self) -> None:
        """Drop the poll set (poll holds no OS resource)."""
        self._fds.clear()
        self._ids.clear()
