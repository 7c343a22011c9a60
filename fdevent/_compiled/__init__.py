"""The compiled core: the pure core's modules compiled by Cython (see setup.py).

The build copies the modules of ``fdevent/_pure`` (setup.py lists them) and their
``.pxd`` declarations here under this package's name and compiles them, so both cores can be
imported side by side and tested in one run. The pollers (backends) are compiled too.
"""

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

CORE = "compiled"

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
