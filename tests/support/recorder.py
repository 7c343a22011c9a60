"""Callbacks that record what ran: the event core's tests check calls, arguments and order."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


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
