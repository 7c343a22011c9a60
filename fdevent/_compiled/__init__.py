"""The compiled core: the pure core's modules compiled by Cython (see setup.py).

The build copies ``fdevent/_pure/{base,event,_evmap,_timeheap,_checks}.py`` and their
``.pxd`` declarations here under this package's name and compiles them, so both cores can be
imported side by side and tested in one run. The pollers are shared with the pure core.
"""

from __future__ import annotations

from .base import EventBase
from .event import Event, Ticker, Timer

CORE = "compiled"

__all__ = ["CORE", "Event", "EventBase", "Ticker", "Timer"]
