"""The loop's real-time measurements: stats' clock and debug mode's slow-callback timer.

A leaf module (it imports nothing of the core but the event record), so the base
``cimport``\\ s its functions in the compiled core.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..clib import shim as cython
else:
    try:
        import cython
    except ImportError:  # pragma: no cover - the pure core without Cython installed
        from ..clib import shim as cython
    if not cython.compiled:  # at run time the pure core takes the shim (its docstring)
        from ..clib import shim as cython

from ... import _observe
from ..clib.cext import monotonic
from .record import ST_FDOBJ, EventRecord

_perf_counter = time.perf_counter

#: Whether perf_counter() and monotonic() read the same clock (CLOCK_MONOTONIC on Linux):
#: then the base's one perf read per iteration is also its now() on the default clock.
PERF_IS_MONOTONIC = (
    time.get_clock_info("perf_counter").implementation
    == time.get_clock_info("monotonic").implementation
)
_SAME_CLOCK = PERF_IS_MONOTONIC  # a C bint in the compiled core (timing.pxd)


@cython.ccall
@cython.exceptval(-1.0, check=True)
def perf() -> cython.double:
    """``time.perf_counter()``: the monotonic clock where the two are the same clock."""
    if _SAME_CLOCK:
        return monotonic()
    return _perf_counter()


@cython.ccall
def timed_call(ev: EventRecord, res: cython.int, slow: cython.double) -> None:
    """Debug mode: run ``ev``'s callback; log it if it ran longer than ``slow`` seconds."""
    t: cython.double = perf()
    try:
        ev._callback(ev._fd, res, ev._arg[0] if ev._state & ST_FDOBJ else ev._arg)
    finally:
        t = perf() - t
        if t > slow:
            _observe.slow_callback(ev, t)


if not cython.compiled:
    # The pure core calls time.perf_counter itself on its hot path: no wrapper frame (a
    # dict assignment, so the compiled module, where this never runs, keeps its cfunc).
    globals()["perf"] = _perf_counter
