"""The select(2) poller: everywhere, slow, limited to fd numbers below ``FD_SETSIZE``.

select fails the *whole* call with ``EBADF`` if any fd in its sets is closed. The poller then
asks the OS which of its fds are closed, drops those silently (as epoll drops a closed file)
and reports nothing for this wait; the next wait goes on with the rest. A later ``modify`` of
a dropped number registers it afresh and returns ``False`` so the base drops its stale events;
so does a ``modify`` that finds another file behind the number (the poller keeps each fd's
device and inode, as the poll poller does). select cannot report a peer's close
(``EV_CLOSED``): the base refuses such events on it.
"""

from __future__ import annotations

import contextlib
import errno
import select
from collections.abc import Iterable

from ..._flags import EV_READ, EV_WRITE
from ._poller import Poller, check_open, fd_is_open, identity

#: select's fd_set is a fixed bitmap of FD_SETSIZE bits; CPython does not export the number.
#: 1024 is its value on Linux, the BSDs and macOS; a larger fd makes select() fail.
FD_SETSIZE = 1024


class SelectPoller(Poller):
    """Poller on select(2)."""

    name = "select"
    supports_et = False

    def __init__(self) -> None:
        Poller.__init__(self)
        self._fds: dict[int, int] = {}
        self._ids: dict[int, tuple[int, int]] = {}
        self._readers: set[int] = set()
        self._writers: set[int] = set()

    def register(self, fd: int, mask: int) -> None:
        """Start watching ``fd``; ``ValueError`` if ``fd`` >= FD_SETSIZE."""
        if fd >= FD_SETSIZE:
            raise ValueError(
                f"fd {fd} is too large for select (FD_SETSIZE is {FD_SETSIZE}); "
                "use the poll or epoll backend"
            )
        self._ids[fd] = identity(check_open(fd))
        self._set(fd, mask)

    def _set(self, fd: int, mask: int) -> None:
        self._fds[fd] = mask
        if mask & EV_READ:
            self._readers.add(fd)
        else:
            self._readers.discard(fd)
        if mask & EV_WRITE:
            self._writers.add(fd)
        else:
            self._writers.discard(fd)

    def modify(self, fd: int, mask: int) -> bool:
        """Change ``fd``'s mask; ``False`` if the file behind ``fd`` had changed."""
        if fd not in self._fds:
            self.register(fd, mask)
            return False
        ident = identity(check_open(fd))
        self._set(fd, mask)
        if ident != self._ids[fd]:
            self._ids[fd] = ident
            return False
        return True

    def unregister(self, fd: int) -> None:
        """Stop watching ``fd``."""
        self._fds.pop(fd, None)
        self._ids.pop(fd, None)
        self._readers.discard(fd)
        self._writers.discard(fd)

    def poll(self, timeout: float | None) -> list[tuple[int, int]]:
        """Wait up to ``timeout`` seconds (select rounds up to microseconds)."""
        try:
            r, w, _ = select.select(self._readers, self._writers, (), timeout)
        except OSError as exc:
            if exc.errno != errno.EBADF:
                raise
            for fd in [fd for fd in self._fds if not fd_is_open(fd)]:
                self.unregister(fd)
            return []
        ready: dict[int, int] = {}
        for fd in r:
            ready[fd] = EV_READ
        for fd in w:
            ready[fd] = ready.get(fd, 0) | EV_WRITE
        return list(ready.items())

    def reset(self, registrations: Iterable[tuple[int, int]]) -> None:
        """Start afresh with ``registrations``."""
        self.close()
        for fd, mask in registrations:
            with contextlib.suppress(OSError):
                self.register(fd, mask)

    def close(self) -> None:
        """Forget every fd (select holds no OS resource)."""
        self._fds.clear()
        self._ids.clear()
        self._readers.clear()
        self._writers.clear()
