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
  next millisecond, which is the rounding we need (never early, never a busy zero wait). The
  compiled core's own wait rounds up the same way.
- ``EPOLLRDHUP`` (peer closed its side) is reported only when asked for: it is how
  ``EV_CLOSED`` waits without reading.
- Registration goes through ``select.epoll`` in both cores: it is not on the per-event path.
  The wait is, so the compiled core waits in C (``epoll_wait`` into an array inside the
  poller, translated by the same table as the pure wait), with one system call per wait: a
  zero timeout (the base has work already) is a non-blocking call with the GIL held; any
  other is the blocking call itself, with the GIL released. A non-blocking look before the
  blocking wait would spare a busy loop the GIL's release, but it costs an idle loop a second
  ``epoll_wait`` on every wakeup: at one connection, one more syscall per request.
- A signal that arrived before the blocking wait began does not interrupt it (its C handler
  ran already; there is no EINTR to come), so its Python handler, which may be what wakes
  the base, would wait with it: the wait first runs the handlers of signals already arrived.

So that's why this code is the way it is.
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
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

from ..._flags import EV_CLOSED, EV_ET, EV_READ, EV_WRITE
from ._poller import BATCH, Poller

_EPOLLIN = select.EPOLLIN
_EPOLLOUT = select.EPOLLOUT
_EPOLLET = select.EPOLLET
_EPOLLERR = select.EPOLLERR
_EPOLLHUP = select.EPOLLHUP
_EPOLLRDHUP = select.EPOLLRDHUP


def _to_epoll(mask: int) -> int:
    return (
        (_EPOLLIN if mask & EV_READ else 0)
        | (_EPOLLOUT if mask & EV_WRITE else 0)
        | (_EPOLLRDHUP if mask & EV_CLOSED else 0)
        | (_EPOLLET if mask & EV_ET else 0)
    )


def _from_epoll(index: int) -> int:
    # ``index`` is a report folded by _fold(): IN, OUT, ERR, HUP in bits 0..4 (EPOLLPRI is
    # never asked for), RDHUP in bit 5. An error or hang-up wakes readers and writers alike
    # (each meets it in its own recv/send); a hang-up is also the peer's close.
    mask = (EV_READ if index & _EPOLLIN else 0) | (EV_WRITE if index & _EPOLLOUT else 0)
    if index & (_EPOLLERR | _EPOLLHUP):
        mask |= EV_READ | EV_WRITE
    if index & (32 | _EPOLLHUP):
        mask |= EV_CLOSED
    return mask


#: What the kernel reports, as fdevent's mask: one index on the hot path, in both cores.
_REPORT = tuple(_from_epoll(m) for m in range(64))


@cython.cfunc
@cython.exceptval(check=False)
def _fold(events: cython.uint) -> cython.int:
    return (events & 31) | (32 if events & _EPOLLRDHUP else 0)


def _regular_file_error(fd: int) -> OSError:
    return OSError(
        errno.EPERM,
        f"fd {fd} is a regular file or directory: epoll cannot watch it "
        "(such files are always ready; read them directly, or use the poll backend)",
    )


@cython.cclass
class EpollPoller(Poller):
    """Poller on Linux's epoll."""

    name = "epoll"
    supports_et = True
    supports_closed = True

    def __init__(self) -> None:
        Poller.__init__(self)
        self._ep = select.epoll()
        self._epfd = self._ep.fileno()
        if cython.compiled:
            i: cython.int
            for i in range(64):
                self._report[i] = _REPORT[i]  # type: ignore[attr-defined]

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
        except OSError as exc:
            raise type(exc)(exc.errno, f"fd {fd}: {exc.strerror}") from None

    def modify(self, fd: int, mask: int) -> bool:
        """Change ``fd``'s mask; ``False`` if the file behind ``fd`` had changed."""
        try:
            self._ep.modify(fd, _to_epoll(mask))
        except FileNotFoundError:
            # ENOENT: the file we watched was closed and the number reused.
            self.register(fd, mask)
            return False
        except OSError as exc:
            raise type(exc)(exc.errno, f"fd {fd}: {exc.strerror}") from None
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
        rdhup = _EPOLLRDHUP
        # _fold() written out: this runs once per ready fd in the pure core.
        return [
            (fd, report[(ev & 31) | (32 if ev & rdhup else 0)]) for fd, ev in self._ep.poll(timeout)
        ]

    @cython.ccall
    @cython.exceptval(-1, check=True)
    def wait_into(self, timeout: object) -> cython.int:
        """Wait like ``poll(timeout)`` into ``rfd``/``rmask``; in C in the compiled core."""
        if not cython.compiled:
            return Poller.wait_into(self, timeout)
        # Seconds, to the nanosecond with epoll_pwait2 (see _cext.h); -1: for ever.
        t: cython.double = -1.0 if timeout is None else timeout  # type: ignore[assignment]
        epfd: cython.int = self._epfd
        evs = self._evs  # type: ignore[attr-defined]
        n: cython.int
        if t == 0.0:
            n = epoll_wait(epfd, evs, BATCH, 0)  # type: ignore[name-defined]  # noqa: F821
        else:
            # Handlers of signals that came before the wait: they may wake the base (above).
            PyErr_CheckSignals()  # type: ignore[name-defined]  # noqa: F821
            with cython.nogil:
                n = fdevent_epoll_wait(epfd, evs, BATCH, t)  # type: ignore[name-defined]  # noqa: F821
        if n < 0:
            err: cython.int = errno_c  # type: ignore[name-defined]  # noqa: F821
            if err != EINTR:  # type: ignore[name-defined]  # noqa: F821
                raise OSError(err, os.strerror(err))
            PyErr_CheckSignals()  # type: ignore[name-defined]  # noqa: F821
            return 0
        i: cython.int
        for i in range(n):
            self.rfd[i] = evs[i].data.fd
            self.rmask[i] = self._report[_fold(evs[i].events)]  # type: ignore[attr-defined]
        return n

    def stray(self, fd: int, registrations: Iterable[tuple[int, int]]) -> None:
        """A registration outlived its fd through a dup (see above): rebuild the epoll set."""
        self.reset(registrations)

    def reset(self, registrations: Iterable[tuple[int, int]]) -> None:
        """Replace the epoll instance by a new one holding ``registrations``."""
        old = self._ep
        self._ep = select.epoll()
        self._epfd = self._ep.fileno()
        old.close()
        for fd, mask in registrations:
            # An fd closed meanwhile is skipped; the base finds out when it is used.
            with contextlib.suppress(OSError):
                self._ep.register(fd, _to_epoll(mask))

    def close(self) -> None:
        """Close the epoll fd."""
        self._ep.close()


def precise_waits() -> bool:
    """Whether this process's timed waits are to the nanosecond (``epoll_pwait2``).

    Only the compiled core waits that way, once one timed wait has tried it; the pure core
    waits through ``select.epoll.poll()``, whose timeout is whole milliseconds rounded up.
    """
    if cython.compiled:
        return bool(fdevent_epoll_precise() == 1)  # type: ignore[name-defined]  # noqa: F821
    return False
