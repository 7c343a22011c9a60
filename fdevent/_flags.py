"""Flags, priorities and limits shared by both cores.

The values are libevent's, so a libevent user reading a mask in a debugger sees what they
expect. They are plain ``int``: the dispatch loop tests them on every event, and an
``enum.IntFlag`` would cost an attribute lookup and an object per test there.
"""

from __future__ import annotations

EV_TIMEOUT = 0x01
EV_READ = 0x02
EV_WRITE = 0x04
EV_SIGNAL = 0x08
EV_PERSIST = 0x10
EV_ET = 0x20

#: Every flag an ``Event`` may be created with.
EV_ALL = EV_TIMEOUT | EV_READ | EV_WRITE | EV_SIGNAL | EV_PERSIST | EV_ET
#: What can *happen* to an event: the bits a callback's ``events`` argument may carry.
EV_RESULTS = EV_TIMEOUT | EV_READ | EV_WRITE | EV_SIGNAL
#: The fd conditions a poller is asked about.
EV_IO = EV_READ | EV_WRITE

PRIORITY_HIGH = 0
PRIORITY_MEDIUM = 1
PRIORITY_LOW = 2

#: libevent caps priorities at 256 (EVENT_MAX_PRIORITIES); so do we.
MAX_PRIORITIES = 256

_NAMES = (
    (EV_TIMEOUT, "EV_TIMEOUT"),
    (EV_READ, "EV_READ"),
    (EV_WRITE, "EV_WRITE"),
    (EV_SIGNAL, "EV_SIGNAL"),
    (EV_PERSIST, "EV_PERSIST"),
    (EV_ET, "EV_ET"),
)


def flags_repr(mask: int) -> str:
    """Render ``mask`` as ``EV_READ|EV_PERSIST`` (``0`` for no flag), for reprs and messages."""
    names = [name for bit, name in _NAMES if mask & bit]
    rest = mask & ~EV_ALL
    if rest:
        names.append(hex(rest))
    return "|".join(names) if names else "0"
