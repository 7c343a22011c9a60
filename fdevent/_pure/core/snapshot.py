"""What ``EventBase.events()`` and ``dump()`` read: off the hot path.

The base hands over what to walk (its queues, timer heap, fd table and signal table) under
its lock; this module reads only event records, so it imports nothing of the base.
"""

from __future__ import annotations

from typing import Any

from .record import ST_ATTACHED, ST_INTERNAL, EventRecord


def rows(owner: object, now: float, groups: list[Any]) -> list[tuple[Any, float | None, bool]]:
    """(event, seconds left or None, active) for every attached or active event, once each.

    ``groups`` are the lists an event of ``owner`` (the base) can be in; the base's own events
    (``ST_INTERNAL``) and events assigned to another base meanwhile are left out.
    """
    seen: set[int] = set()
    out: list[tuple[Any, float | None, bool]] = []
    ev: EventRecord
    for group in groups:
        for ev in group:
            if ev._state & ST_INTERNAL or ev._base is not owner or id(ev) in seen:
                continue
            if not (ev._res or ev._state & ST_ATTACHED):
                continue
            seen.add(id(ev))
            left = ev._deadline - now if ev._heap_index >= 0 else None
            out.append((ev, left, ev._res != 0))
    return out
