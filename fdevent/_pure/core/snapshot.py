"""What ``EventBase.stats()``, ``events()`` and ``dump()`` read: off the hot path.

Compiled with the core (it reads the base's C fields through ``base.pxd``), imported by the
base only when one of those methods is called, so ``base.py`` keeps only the counters.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..include import shim as cython
else:
    try:
        import cython
    except ImportError:  # pragma: no cover - the pure core without Cython installed
        from ..include import shim as cython

from ... import _observe
from .base import EventBase
from .record import ST_ATTACHED, ST_INTERNAL, EventRecord


def stats(base: EventBase) -> _observe.Stats:
    """The counters of ``base`` (``EventBase.stats()``)."""
    acquired: cython.bint = base._enter()
    try:
        fds: int = base._evmap.nfds() - (1 if base._wakefd >= 0 else 0)
        # polls = iterations: every iteration asks the OS, a zero timeout included.
        return _observe.Stats(
            base._iterations, base._iterations, base._callbacks, base._nattached,
            base._nactive, len(base._timers.heap), fds, base._poll_time, base._callback_time,
        )  # fmt: skip
    finally:
        base._leave(acquired)


def rows(base: EventBase) -> list[tuple[Any, float | None, bool]]:
    """(event, seconds left or None, active) for every attached or active event, once each.

    Walks the active queues, the timer heap, the fd table and the signal lists; leaves out
    the base's own events (``ST_INTERNAL``) and events assigned to another base meanwhile.
    """
    acquired: cython.bint = base._enter()
    try:
        now: cython.double = base._clock()
        seen: set[int] = set()
        out: list[tuple[Any, float | None, bool]] = []
        ev: EventRecord
        sigs = [e for evs in base._sigevents.values() for e in evs]
        for group in (*base._queues, base._timers.heap, list(base._evmap.events()), sigs):
            for ev in group:
                if ev._state & ST_INTERNAL or ev._base is not base or id(ev) in seen:
                    continue
                if not (ev._res or ev._state & ST_ATTACHED):
                    continue
                seen.add(id(ev))
                left = ev._deadline - now if ev._heap_index >= 0 else None
                out.append((ev, left, ev._res != 0))
        return out
    finally:
        base._leave(acquired)
