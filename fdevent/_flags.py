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
#: libevent 2.1's early close: the peer closed its side (EPOLLRDHUP, kqueue's EV_EOF).
EV_CLOSED = 0x80

#: Every flag an ``Event`` may be created with. Flags are checked with ``mask & ~EV_ALL``,
#: never a range, so an unknown bit below the highest one cannot slip through.
EV_ALL = EV_TIMEOUT | EV_READ | EV_WRITE | EV_SIGNAL | EV_PERSIST | EV_ET | EV_CLOSED
#: What can *happen* to an event: the bits a callback's ``events`` argument may carry.
EV_RESULTS = EV_TIMEOUT | EV_READ | EV_WRITE | EV_SIGNAL | EV_CLOSED
#: The fd conditions a poller is asked about.
EV_IO = EV_READ | EV_WRITE | EV_CLOSED


class _Priority(int):
    """A priority name: an int that means a level relative to the base's range.

    ``PRIORITY_HIGH``, ``PRIORITY_MEDIUM`` and ``PRIORITY_LOW`` compare equal to 0, 1 and 2,
    the levels they name on the default base of three. On a base with ``priorities=N`` they
    mean the highest level (0), the default one (``N // 2``) and the lowest one (``N - 1``),
    so code that names priorities keeps its meaning whatever N is.
    """

    name: str

    def __new__(cls, value: int, name: str) -> _Priority:
        self = super().__new__(cls, value)
        self.name = name
        return self

    def __repr__(self) -> str:
        return f"fdevent.{self.name}"

    def level(self, npriorities: int) -> int:
        """The level this name means on a base with ``npriorities`` levels."""
        if self.name == "PRIORITY_HIGH":
            return 0
        if self.name == "PRIORITY_LOW":
            return npriorities - 1
        return npriorities // 2


PRIORITY_HIGH = _Priority(0, "PRIORITY_HIGH")
PRIORITY_MEDIUM = _Priority(1, "PRIORITY_MEDIUM")
PRIORITY_LOW = _Priority(2, "PRIORITY_LOW")

#: libevent caps priorities at 256 (EVENT_MAX_PRIORITIES); so do we.
MAX_PRIORITIES = 256

_NAMES = (
    (EV_TIMEOUT, "EV_TIMEOUT"),
    (EV_READ, "EV_READ"),
    (EV_WRITE, "EV_WRITE"),
    (EV_SIGNAL, "EV_SIGNAL"),
    (EV_PERSIST, "EV_PERSIST"),
    (EV_ET, "EV_ET"),
    (EV_CLOSED, "EV_CLOSED"),
)


def flags_repr(mask: int) -> str:
    """Render ``mask`` as ``EV_READ|EV_PERSIST`` (``0`` for no flag), for reprs and messages."""
    names = [name for bit, name in _NAMES if mask & bit]
    rest = mask & ~EV_ALL
    if rest:
        names.append(hex(rest))
    return "|".join(names) if names else "0"


# -- streams: what ``on_event(stream, what, arg)`` reports (libevent's BEV_EVENT_* values) --

BEV_READING = 0x01
BEV_WRITING = 0x02
BEV_EOF = 0x10
BEV_ERROR = 0x20
BEV_TIMEOUT = 0x40
BEV_CONNECTED = 0x80
