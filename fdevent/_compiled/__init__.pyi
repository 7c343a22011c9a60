# The compiled core has exactly the pure core's API: type checkers read the reference.
from typing import Literal

from fdevent._pure._connect import connect as connect
from fdevent._pure.base import EventBase as EventBase
from fdevent._pure.buffer import Buffer as Buffer
from fdevent._pure.event import Event as Event
from fdevent._pure.event import Signal as Signal
from fdevent._pure.event import Ticker as Ticker
from fdevent._pure.event import Timer as Timer
from fdevent._pure.listener import Listener as Listener
from fdevent._pure.stream import Stream as Stream

CORE: Literal["compiled"]

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
