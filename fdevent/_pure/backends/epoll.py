"""The epoll poller (Linux).

Some facts about epoll, and what this poller does about them:

- epoll watches *files*, not fd numbers: a registration is keyed by the pair (fd number,
  open file description). Closing an fd removes its registration only when the last fd that
  refers to the file is closed; until then (a ``dup()``, a child process, ``socket.dup()``)
  the kernel keeps reporting readiness under the *old* number, even though that number is
  closed or now names another file.
- So a base's table goes stale behind its back in three ways, and epoll tells us each time:
  ``EPOLL_CTL_MOD`` on a number whose file was closed and reused answers ``ENOENT`` (the new
  file is not registered): we ``ADD`` it and return ``False`` from ``modify`` so the base drops
  the events that watched the old file. ``EPOLL_CTL_ADD`` answering ``EEXIST`` means the old
  registration survived through a dup: we ``MOD`` it. ``EPOLL_CTL_DEL`` answering ``EBADF`` or
  ``ENOENT`` means the file is already gone or was never this one: nothing to do.
  (libevent's epoll.c makes the same three recoveries.)
- A registration that outlives its fd through a dup can no longer be deleted: ``DEL`` on the
  closed number answers ``EBADF``, and the kernel keeps reporting the file. If the base sees
  reports for an fd it does not watch, it calls ``reset()``: we close the epoll instance and
  build a new one from the base's table. That costs one syscall per watched fd, once, and it
  is the only way to guarantee that a stale registration can never spin the loop.
- Regular files and directories cannot be watched (``EPERM``): they are always ready. We say
  so in the error rather than leave the user with a bare "Operation not permitted".
- ``EPOLLERR`` and ``EPOLLHUP`` are reported even when not asked for; we turn them into
  ``EV_READ | EV_WRITE`` so whichever event watches the fd runs and meets the error in its own
  ``recv``/``send``.
- ``epoll_wait`` counts its timeout in milliseconds; CPython rounds a float timeout up to the
  next millisecond, which is the rounding we need (never early, never a busy zero wait).

So that's why this code is the way it is.
"""

from __future__ import annotations

import contextlib
import errno
import select
from collections.abc import Iterable

from ..._flags import EV_ET, EV_IO, EV_READ, EV_WRITE
from ._poller import Poller

_EPOLLIN = select.EPOLLIN
_EPOLLOUT = select.EPOLLOUT
_EPOLLET = select.EPOLLET
_EPOLLERR = select.EPOLLERR
_EPOLLHUP = select.EPOLLHUP


def _to_epoll(mask: int) -> int:
    return (
        (_EPOLLIN if mask & EV_READ else 0)
        | (_EPOLLOUT if mask & EV_WRITE else 0)
        | (_EPOLLET if mask & EV_ET else 0)
    )


def _from_epoll(events: int) -> int:
    # The compiled core's wait translates in C with base.pxd's epoll_report: keep in step.
    if events & (_EPOLLERR | _EPOLLHUP):
        return EV_IO
    return (EV_READ if events & _EPOLLIN else 0) | (EV_WRITE if events & _EPOLLOUT else 0)


# What the kernel can report for what we ask: IN, OUT, ERR, HUP (bits 0..4; EPOLLPRI is never
# asked for). A table turns a report into fdevent's mask with one index on the hot path.
_REPORT = tuple(_from_epoll(m) for m in range(32))


def _regular_file_error(fd: int) -> OSError:
    return OSError(
        errno.EPERM,
        f"fd {fd} is a regular file or directory: epoll cannot watch it "
        "(such files are always ready; read them directly, or use the poll backend)",
    )


class EpollPoller(Poller):
    """Poller on Linux's epoll."""

    name = "epoll"
    supports_et = True

    def __init__(self) -> None:
        self._ep = select.epoll()

    def fileno(self) -> int:
        """The epoll fd (it changes on ``reset``)."""
        return self._ep.fileno()

    def register(self, fd: int, mask: int) -> None:
        """Start watching ``fd``; see the package docstring."""
        try:
            self._ep.register(fd, _to_epoll(mask))
        except FileExistsError:
            # EEXIST: an old registration of this very file survived (through a dup).
            self._ep.modify(fd, _to_epoll(mask))
        except PermissionError:
            raise _regular_file_error(fd) from None

    def modify(self, fd: int, mask: int) -> bool:
        """Change ``fd``'s mask; ``False`` if the file behind ``fd`` had changed."""
        try:
            self._ep.modify(fd, _to_epoll(mask))
        except FileNotFoundError:
            # ENOENT: the file we watched was closed and the number reused.
            self.register(fd, mask)
            return False
        return True

    def unregister(self, fd: int) -> None:
        """Stop watching ``fd``; closed or reused fds are ignored."""
        try:
            self._ep.unregister(fd)
        except FileNotFoundError:
            pass
        except OSError as exc:
            if exc.errno != errno.EBADF:
                raise

    def poll(self, timeout: float | None) -> list[tuple[int, int]]:
        """Wait up to ``timeout`` seconds for readiness."""
        report = _REPORT
        return [(fd, report[ev & 31]) for fd, ev in self._ep.poll(timeout)]

    def reset(self, registrations: Iterable[tuple[int, int]]) -> None:
        """Replace the epoll instance by a new one holding ``registrations``."""
        old = self._ep
        self._ep = select.epoll()
        old.close()
        for fd, mask in registrations:
            # An fd closed meanwhile is skipped; the base finds out when it is used.
            with contextlib.suppress(OSError):
                self._ep.register(fd, _to_epoll(mask))

    def close(self) -> None:
        """Close the epoll fd."""
        self._ep.close()
