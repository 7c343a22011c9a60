"""The reference core: plain typed Python (Cython's pure-Python mode)."""

from __future__ import annotations

from .base import EventBase
from .event import Event, Signal, Ticker, Timer

# isort: split
# The streams layer, built on the core above (imported after it: a core that does not load
# fails on its own modules first).
from ._connect import connect
from .buffer import Buffer
from .listener import Listener
from .stream import Stream

CORE = "pure"

__all__ = [
    "CORE",
    "Buffer",
    "Event",
    "EventBase",
    "Listener",
    "Signal",
    "Stream",
    "Ticker",
    "Timer",
    "connect",
]
