"""Plain helpers the test modules share (pytest puts this directory on ``sys.path``)."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import Any

#: Backends that can do edge-triggered notification (docs/contract.md: epoll, kqueue).
EDGE_BACKENDS = frozenset({"epoll", "kqueue"})

#: How far past its lower bound a timer may fire and still pass: generous, CI machines stall.
SLACK = 1.0


class Recorder:
    """A callback that remembers each call: ``(fd, events, arg)`` and when it came."""

    def __init__(self, action: Callable[[int, int, Any], None] | None = None) -> None:
        self.calls: list[tuple[int, int, Any]] = []
        self.times: list[float] = []
        self.action = action

    def __call__(self, fd: int, events: int, arg: Any, /) -> None:
        self.times.append(time.monotonic())
        self.calls.append((fd, events, arg))
        if self.action is not None:
            self.action(fd, events, arg)

    @property
    def count(self) -> int:
        return len(self.calls)

    @property
    def events(self) -> list[int]:
        return [events for _, events, _ in self.calls]


def logger(log: list[Any], name: Any) -> Callable[[int, int, Any], None]:
    """A callback that appends ``name`` to ``log``: for checking the order events ran in."""

    def cb(fd: int, events: int, arg: Any, /) -> None:
        log.append(name)

    return cb


def noop(fd: int, events: int, arg: Any, /) -> None:
    """A callback that does nothing."""


def drain(sock: socket.socket) -> bytes:
    """Read everything ``sock`` has buffered (it must be non-blocking)."""
    chunks = []
    while True:
        try:
            data = sock.recv(65536)
        except BlockingIOError:
            break
        if not data:
            break
        chunks.append(data)
    return b"".join(chunks)


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
