# The compiled core has exactly the pure core's API: type checkers read the reference.
from typing import Literal

from fdevent._pure.base import EventBase as EventBase
from fdevent._pure.event import Event as Event
from fdevent._pure.event import Signal as Signal
from fdevent._pure.event import Ticker as Ticker
from fdevent._pure.event import Timer as Timer

CORE: Literal["compiled"]

__all__ = ["CORE", "Event", "EventBase", "Signal", "Ticker", "Timer"]
