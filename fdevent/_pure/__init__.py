"""One core of fdevent: the reference in plain typed Python, and the source of the other.

This package is the one source of both cores. Run as it is, it is the pure core
(``fdevent._pure``); setup.py compiles every module under it with Cython as
``fdevent._compiled.<same path>`` and copies the ``__init__.py`` files (this one included)
beside them, so ``fdevent._compiled`` is this file too. ``fdevent/__init__.py`` picks one of
the two and publishes the names below.

Folders: ``core/`` the event loop (records, the fd and signal table, timers, the base,
events), ``backends/`` one poller per OS mechanism, ``streams/`` buffers, streams, TLS,
connect and the listener, ``clib/`` the C headers and the C-only helpers.
"""

from __future__ import annotations

# "X as X": these are the core's exports (fdevent/__init__.py publishes them).
from .core.base import EventBase as EventBase
from .core.event import Event as Event
from .core.event import Signal as Signal
from .core.event import Ticker as Ticker
from .core.event import Timer as Timer

# isort: split
# The streams layer, built on the core above (imported after it: a core that does not load
# fails on its own modules first).
from .streams.buffer import Buffer as Buffer
from .streams.connect import connect as connect
from .streams.listener import Listener as Listener
from .streams.stream import Stream as Stream

#: "pure" or "compiled": which of the two packages this file is running as.
CORE = __name__.rpartition("._")[2]
