"""Helpers for the stream, listener, connect and TLS tests: running a base until a condition
holds, and stream callbacks that record what happened."""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from typing import Any

from support.sockets import WAIT


def core_of(base: Any) -> Any:
    """The core module (fdevent._pure or fdevent._compiled) a base comes from."""
    return importlib.import_module(".".join(type(base).__module__.split(".")[:2]))


def run_until(base: Any, cond: Callable[[], object], timeout: float = WAIT) -> None:
    """Run ``base``'s loop until ``cond()`` is true; AssertionError after ``timeout`` s."""
    core = core_of(base)
    deadline = time.monotonic() + timeout
    tick = core.Timer(base, lambda *a: None)
    try:
        while not cond():
            if time.monotonic() > deadline:
                raise AssertionError(f"condition not met within {timeout} s")
            tick.attach(0.01)  # bounds each wait, so the condition is checked often
            base.loop(once=True)
    finally:
        tick.detach()


def run_for(base: Any, seconds: float) -> None:
    """Run ``base``'s loop for about ``seconds`` (timers and I/O as they come)."""
    end = time.monotonic() + seconds
    run_until(base, lambda: time.monotonic() >= end, timeout=seconds + WAIT)


class Events:
    """Stream callbacks that record what happened: reads, writes, events, in order."""

    def __init__(self, consume: bool = True) -> None:
        self.consume = consume
        self.data = bytearray()
        self.log: list[Any] = []
        self.events: list[int] = []
        self.reads = 0
        self.writes = 0

    def on_read(self, stream: Any, arg: Any) -> None:
        self.reads += 1
        self.log.append("read")
        if self.consume:
            self.data += stream.input.read()

    def on_write(self, stream: Any, arg: Any) -> None:
        self.writes += 1
        self.log.append("write")

    def on_event(self, stream: Any, what: int, arg: Any) -> None:
        self.events.append(what)
        self.log.append(("event", what))

    def kwargs(self) -> dict[str, Any]:
        return {"on_read": self.on_read, "on_write": self.on_write, "on_event": self.on_event}
