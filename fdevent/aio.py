"""asyncio on fdevent: ``Loop``, ``new_event_loop``, ``run``, ``EventLoopPolicy``, ``serve``.

The names come from the core ``fdevent`` itself uses (``fdevent.CORE``): the compiled core's
``aio`` package, or the pure core's when ``fdevent`` runs on the pure core. See
``fdevent._pure.aio`` for what the loop is and why.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

import fdevent

__all__ = ["EventLoopPolicy", "Loop", "new_event_loop", "run", "serve"]

if TYPE_CHECKING:
    # Type checkers read the reference core: the compiled one is the same source.
    from ._pure.aio import EventLoopPolicy, Loop, new_event_loop, run, serve
else:
    # The same core as fdevent's own names, so a Loop takes fdevent.EventBase.
    _aio = importlib.import_module(f"fdevent._{fdevent.CORE}.aio")
    globals().update({name: getattr(_aio, name) for name in __all__})
    del _aio
