"""fdevent: a network I/O event notification library, in the manner of libevent.

An :class:`EventBase` polls file descriptors with the best mechanism the platform has
(epoll, kqueue, poll or select) and runs a callback when an fd is readable or writable or a
timeout expires::

    import fdevent
    base = fdevent.EventBase()
    ev = fdevent.Event(base, sock, fdevent.EV_READ | fdevent.EV_PERSIST, on_read)
    ev.attach()
    base.dispatch()

Two cores implement the same classes: a compiled one (Cython) and the pure-Python reference.
The compiled core is used when it is installed; ``FDEVENT_PURE=1`` in the environment selects
the pure one. ``fdevent.CORE`` (and ``repr()`` of a base) says which is in use. Where no
compiled core was built (``FDEVENT_NO_EXT=1``, a machine without a C compiler, a checkout on
``PYTHONPATH``) the pure core is used without a word; a compiled core that is there but does
not import (built for another Python, a broken build) gives a ``RuntimeWarning`` with the
reason, once, and the pure core.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import os
import warnings
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from ._flags import (
    BEV_CONNECTED,
    BEV_EOF,
    BEV_ERROR,
    BEV_READING,
    BEV_TIMEOUT,
    BEV_WRITING,
    EV_CLOSED,
    EV_ET,
    EV_PERSIST,
    EV_READ,
    EV_SIGNAL,
    EV_TIMEOUT,
    EV_WRITE,
    PRIORITY_HIGH,
    PRIORITY_LOW,
    PRIORITY_MEDIUM,
)
from ._observe import Stats
from ._platform import supported as supported_backends

__version__ = "0.1.0"

__all__ = [
    "BEV_CONNECTED",
    "BEV_EOF",
    "BEV_ERROR",
    "BEV_READING",
    "BEV_TIMEOUT",
    "BEV_WRITING",
    "CORE",
    "EV_CLOSED",
    "EV_ET",
    "EV_PERSIST",
    "EV_READ",
    "EV_SIGNAL",
    "EV_TIMEOUT",
    "EV_WRITE",
    "PRIORITY_HIGH",
    "PRIORITY_LOW",
    "PRIORITY_MEDIUM",
    "Buffer",
    "Event",
    "EventBase",
    "Listener",
    "Signal",
    "Stats",
    "Stream",
    "Ticker",
    "Timer",
    "connect",
    "supported_backends",
]


def _compiled_core_built() -> bool:
    """Whether ``fdevent/_compiled`` holds extension modules (of any Python version)."""
    suffixes = (*importlib.machinery.EXTENSION_SUFFIXES, ".so", ".pyd")
    folder = Path(__file__).parent / "_compiled"
    return folder.is_dir() and any(p.name.endswith(suffixes) for p in folder.rglob("*"))


def _load_core() -> ModuleType:
    """The core package to publish: ``fdevent._compiled`` unless asked or forced otherwise."""
    if os.environ.get("FDEVENT_PURE", "") not in ("", "0"):
        return importlib.import_module("._pure", __name__)
    try:
        return importlib.import_module("._compiled", __name__)
    except Exception as exc:  # ImportError, or Cython's ValueError for a binary mismatch
        if _compiled_core_built():
            warnings.warn(
                f"fdevent's compiled core is installed but does not import ({exc!r}); "
                "using the pure-Python core (set FDEVENT_PURE=1 to choose it and silence this)",
                RuntimeWarning,
                stacklevel=3,
            )
        return importlib.import_module("._pure", __name__)


if TYPE_CHECKING:
    # Type checkers read the reference core: the compiled one is the same source.
    from ._pure import (
        CORE,
        Buffer,
        Event,
        EventBase,
        Listener,
        Signal,
        Stream,
        Ticker,
        Timer,
        connect,
    )
else:
    # The core's names are those of __all__ this module does not define itself.
    _core = _load_core()
    globals().update({name: getattr(_core, name) for name in __all__ if name not in globals()})
    del _core
