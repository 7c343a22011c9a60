"""Pollers: one small class per OS mechanism, behind one interface.

A poller knows nothing of events (libevent's ``struct eventop``). The base owns the table of
which events watch which fd, folds them into one mask per fd, and tells the poller only when
that mask changes. Masks are fdevent's own: ``EV_READ``, ``EV_WRITE``, and ``EV_ET`` on
registration; ``EV_READ``/``EV_WRITE`` in what ``poll`` reports. Each poller translates.

The interface, member by member:

``name``
    The mechanism's name, as ``EventBase.backend`` reports it.
``supports_et``
    Whether the mechanism can do edge-triggered notification (``EV_ET``).
``register(fd, mask)``
    Start watching ``fd`` for ``mask``. Raises ``OSError`` if the OS refuses (fd not open,
    a file the mechanism cannot watch), with the OS's class and errno and a message that
    names the fd; ``ValueError`` for an fd the mechanism cannot hold.
    On failure nothing is registered.
``modify(fd, mask)``
    Change the mask of a registered fd. Returns ``False`` if the poller found that the file it
    had been watching under that number was closed behind its back and registered the file now
    behind ``fd`` afresh: the base then knows its events on that number are stale. Returns
    ``True`` otherwise. Raises like ``register``.
``unregister(fd)``
    Stop watching ``fd``. Never raises for an fd that was closed or reused meanwhile: the
    caller is cleaning up, and the OS has already forgotten (or will forget) the file.
``poll(timeout)``
    Wait up to ``timeout`` seconds (``None``: no limit; ``0``: do not wait) and return a list of
    ``(fd, mask)`` for the fds that are ready. An error or hang-up on an fd is reported as
    ``EV_READ | EV_WRITE``, so whichever event watches it runs and sees the error itself.
    Waits are rounded *up* to the mechanism's resolution, never down, so that a timer due in
    0.3 ms does not turn into a zero-timeout busy loop. An fd found closed is dropped from the
    poller and not reported (as epoll and kqueue do by themselves).
``reset(registrations)``
    Forget everything and register ``(fd, mask)`` pairs afresh: the last resort when the OS
    keeps reporting an fd the base no longer watches (see the epoll poller's notes).
``close()``
    Release the OS resource. Idempotent.

``create(name)`` makes one of the mechanisms ``fdevent._platform`` lists (best first).
"""

from __future__ import annotations

from collections.abc import Callable

from ..._platform import MECHANISMS
from ._poller import Poller

__all__ = ["Poller", "create"]


def _factory(name: str) -> Callable[[], Poller]:
    # Imported on first use: a machine without kqueue never imports its poller.
    if name == "epoll":
        from .epoll import EpollPoller

        return EpollPoller
    if name == "kqueue":
        from .kqueue import KqueuePoller

        return KqueuePoller
    if name == "poll":
        from .poll import PollPoller

        return PollPoller
    from .select import SelectPoller

    return SelectPoller


def create(name: str) -> Poller:
    """Return a new poller for mechanism ``name``.

    Raises:
        ValueError: ``name`` is not one of ``fdevent.supported_backends()``; the message
            lists those.
        OSError: the OS could not create the poller (out of file descriptors, say).
    """
    if name not in MECHANISMS:
        raise ValueError(
            f"unknown or unavailable backend {name!r}; this machine has: "
            + ", ".join(repr(n) for n in MECHANISMS)
        )
    return _factory(name)()
