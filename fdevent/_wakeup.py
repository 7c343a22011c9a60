"""The thread wakeup: an fd a base watches so another thread can end its wait at once.

An eventfd on Linux (one fd, an 8-byte counter), a non-blocking pipe elsewhere. The base
writes only when its loop is polling and no wakeup is already pending (a flag, not a queue),
so a thousand calls from threads cost one write. The write end never blocks: if a pipe were
full, the read end is readable already and the loop wakes anyway, so a wakeup is never lost.
"""

from __future__ import annotations

import contextlib
import os


class Wakeup:
    """A self-notification fd pair (``rfd`` is watched for reading, ``notify()`` writes)."""

    def __init__(self) -> None:
        if hasattr(os, "eventfd"):
            fd = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
            self.rfd = self.wfd = fd
            self._eventfd = True
        else:  # pragma: no cover - not Linux
            self.rfd, self.wfd = os.pipe()
            os.set_blocking(self.rfd, False)
            os.set_blocking(self.wfd, False)
            self._eventfd = False

    def notify(self) -> None:
        """Make ``rfd`` readable; never blocks."""
        try:
            if self._eventfd:
                os.eventfd_write(self.wfd, 1)
            else:  # pragma: no cover - not Linux
                os.write(self.wfd, b"\0")
        except (BlockingIOError, OSError):
            pass  # full (readable already) or closed (the base is closing)

    def drain(self) -> None:
        """Consume every pending notification."""
        try:
            if self._eventfd:
                os.eventfd_read(self.rfd)
            else:  # pragma: no cover - not Linux
                while os.read(self.rfd, 4096):
                    pass
        except (BlockingIOError, OSError):
            pass

    def close(self) -> None:
        """Close the fds; idempotent."""
        fds = {self.rfd, self.wfd}
        self.rfd = self.wfd = -1
        for fd in fds:
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)

    def __del__(self) -> None:
        self.close()
