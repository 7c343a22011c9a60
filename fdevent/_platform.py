"""What this machine can poll with: the mechanisms, best first.

Shared by both cores and read by ``fdevent.supported_backends()`` without loading either
core: ``import fdevent`` on the compiled core must not import the pure one just to list
names. The order is the choice, as in selectors' ``DefaultSelector`` chain and libevent's
``eventops[]``: epoll or kqueue (the kernel keeps the interest set, O(ready) waits), then
poll (no FD_SETSIZE limit), then select (everywhere).
"""

from __future__ import annotations

import select

#: Each mechanism with the attribute of ``select`` that tells whether the OS has it.
_ORDER = (("epoll", "epoll"), ("kqueue", "kqueue"), ("poll", "poll"), ("select", "select"))

MECHANISMS: tuple[str, ...] = tuple(name for name, attr in _ORDER if hasattr(select, attr))


def supported() -> list[str]:
    """Return the names of the polling mechanisms this machine has, best first."""
    return list(MECHANISMS)
