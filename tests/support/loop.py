"""Driving a base from a test and timing what it does: iterations, durations, deadlines."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

#: Backends that can do edge-triggered notification (docs/contract.md: epoll, kqueue).
EDGE_BACKENDS = frozenset({"epoll", "kqueue"})

#: How far past its lower bound a timer may fire and still pass: generous, CI machines stall.
SLACK = 1.0


def timed(fn: Callable[[], Any]) -> float:
    """Run ``fn`` and return how many seconds it took."""
    t0 = time.monotonic()
    fn()
    return time.monotonic() - t0


def spin(base: Any, n: int = 5) -> None:
    """Run ``n`` non-blocking iterations of ``base``."""
    for _ in range(n):
        base.loop(nonblock=True)


def attach_bracketed(
    armed: dict[Any, tuple[float, float, float, int]], key: Any, ev: Any, timeout: float
) -> None:
    """``ev.attach(timeout)``, remembering in ``armed[key]`` the timeout, the monotonic times
    just before and after the call (the true deadline lies between them, plus the timeout) and
    a sequence number that grows with each call."""
    seq = max((s for *_, s in armed.values()), default=-1) + 1
    before = time.monotonic()
    ev.attach(timeout)
    armed[key] = (timeout, before, time.monotonic(), seq)


def assert_deadline_order(
    fired: list[Any], armed: dict[Any, tuple[float, float, float, int]]
) -> None:
    """Every pair in ``fired`` whose order the brackets prove is in that order: i before j
    when i's latest possible deadline is earlier than j's earliest, or when both have the same
    timeout and i was attached first (ties go by attach order)."""
    position = {key: n for n, key in enumerate(fired)}
    for i in fired:
        ti, _, after_i, seq_i = armed[i]
        for j in fired:
            tj, before_j, _, seq_j = armed[j]
            if i != j and ((ti == tj and seq_i < seq_j) or after_i + ti < before_j + tj):
                assert position[i] < position[j], (i, j, fired, armed)
