"""The kqueue poller (FreeBSD, OpenBSD, NetBSD, macOS).

Not tested here: fdevent's CI runs on Linux, where ``select.kqueue`` does not exist. The code
is kept small and mirrors the epoll poller member for member so that it can be read against
it; report a bug with a failing test from a BSD or macOS machine.

Some facts about kqueue:

- kqueue keys its filters by fd *number* (``ident``) and drops them when that number is
  closed, whatever dups exist: no orphaned registrations, unlike epoll, so ``reset`` is never
  needed for that reason (it is still implemented for the interface).
- Reading and writing are two filters (``EVFILT_READ``, ``EVFILT_WRITE``) added and deleted
  separately; ``EV_CLEAR`` makes a filter edge-triggered.
- A number closed and reused is indistinguishable from the old file here: adding a filter just
  succeeds. ``EV_DELETE`` of a filter that is gone answers ``ENOENT`` (ignored). So an event
  left attached on a closed fd can see the new file, as with poll (docs/design.md).
- ``EV_ERROR`` in a returned event reports a failed change, not readiness; ``EV_EOF`` rides on
  a readable or writable report and is seen by the callback's own read or write. On a read
  filter it is also the peer's close, reported as ``EV_CLOSED`` (which registers the read
  filter: kqueue has no filter for a close alone).
"""

from __future__ import annotations

import contextlib
import select
from collections.abc import Iterable
from typing import Any

from ..._flags import EV_CLOSED, EV_ET, EV_IO, EV_READ, EV_WRITE
from ._poller import Poller

_kq: Any = select  # the kqueue names exist only on BSD and macOS


def _changes(fd: int, old: int, new: int) -> list[Any]:
    flags_et = _kq.KQ_EV_CLEAR if new & EV_ET else 0
    out = []
    for bit, filt in (
        (EV_READ | EV_CLOSED, _kq.KQ_FILTER_READ),
        (EV_WRITE, _kq.KQ_FILTER_WRITE),
    ):
        if new & bit:
            out.append(_kq.kevent(fd, filt, _kq.KQ_EV_ADD | flags_et))
        elif old & bit:
            out.append(_kq.kevent(fd, filt, _kq.KQ_EV_DELETE))
    return out


class KqueuePoller(Poller):
    """Poller on BSD/macOS kqueue."""

    name = "kqueue"
    supports_et = True

    supports_closed = True

    def __init__(self) -> None:
        Poller.__init__(self)
        self._kq = _kq.kqueue()
        self._fds: dict[int, int] = {}

    def fileno(self) -> int:
        """The kqueue fd."""
        return int(self._kq.fileno())

    def register(self, fd: int, mask: int) -> None:
        """Start watching ``fd``; see the package docstring."""
        try:
            self._kq.control(_changes(fd, 0, mask), 0, 0)
        except OSError as exc:
            raise type(exc)(exc.errno, f"fd {fd}: {exc.strerror}") from None
        self._fds[fd] = mask

    def modify(self, fd: int, mask: int) -> bool:
        """Change ``fd``'s mask; kqueue cannot see a reuse, so always ``True``."""
        old = self._fds.get(fd, 0)
        try:
            self._kq.control(_changes(fd, old & EV_IO, mask), 0, 0)
        except FileNotFoundError:
            # A filter we meant to delete was already gone: the fd was closed meanwhile.
            self.register(fd, mask)
        except OSError as exc:
            raise type(exc)(exc.errno, f"fd {fd}: {exc.strerror}") from None
        self._fds[fd] = mask
        return True

    def unregister(self, fd: int) -> None:
        """Stop watching ``fd``; closed fds are ignored."""
        old = self._fds.pop(fd, 0)
        for change in _changes(fd, old & EV_IO, 0):
            # ENOENT or EBADF: the kernel already dropped it with the fd.
            with contextlib.suppress(OSError):
                self._kq.control([change], 0, 0)

    def poll(self, timeout: float | None) -> list[tuple[int, int]]:
        """Wait up to ``timeout`` seconds (kqueue takes nanoseconds)."""
        ready: dict[int, int] = {}
        for kev in self._kq.control(None, max(len(self._fds), 1) * 2, timeout):
            if kev.flags & _kq.KQ_EV_ERROR:
                continue
            bit = EV_READ if kev.filter == _kq.KQ_FILTER_READ else EV_WRITE
            if bit == EV_READ and kev.flags & _kq.KQ_EV_EOF:
                bit |= EV_CLOSED
            ready[kev.ident] = ready.get(kev.ident, 0) | bit
        return list(ready.items())

    def reset(self, registrations: Iterable[tuple[int, int]]) -> None:
        """Replace the kqueue by a new one holding ``registrations``."""
        self.close()
        self._kq = _kq.kqueue()
        for fd, mask in registrations:
            with contextlib.suppress(OSError):
                self.register(fd, mask)

    def close(self) -> None:
        """Close the kqueue fd."""
        self._kq.close()
        self._fds.clear()
