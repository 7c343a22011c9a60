"""The reference core: plain typed Python (Cython's pure-Python mode)."""

from __future__ import annotations

from .base import EventBase
from .event import Event, Signal, Ticker, Timer

CORE = "pure"

__all__ = ["CORE", "Event", "EventBase", "Signal", "Ticker", "Timer"]
