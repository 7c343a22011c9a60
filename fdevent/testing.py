"""Tools for testing code that uses fdevent: a clock you move yourself.

``MockClock`` is a time source for ``EventBase(clock=...)``. Timers, tickers, ``now()`` and
``loopexit(delay)`` of that base then count in virtual seconds that pass only when the test
says so, so a test of an hour of timer behaviour runs in milliseconds and gives the same
result every run (trio's ``MockClock`` and Twisted's ``task.Clock`` do this for their
frameworks)::

    clock = MockClock()
    base = EventBase(clock=clock)
    ticker = Ticker(base, 60.0, on_tick)
    ticker.attach()
    clock.advance(3600.0)
    base.loop(nonblock=True)   # runs what became due: one tick, missed ones skipped

With ``autojump=True`` the base moves the clock itself whenever it would otherwise sleep: it
polls without waiting, and if nothing is ready and a timer or loopexit bounds the wait, the
clock jumps to that deadline at once. ``base.dispatch()`` then runs an hour of tickers as
fast as the callbacks go. I/O is still real: with nothing ready and no deadline, the base
blocks in the OS as usual.
"""

from __future__ import annotations

import math
import threading

__all__ = ["MockClock"]


class MockClock:
    """A monotonic clock that moves only when told to (virtual seconds, a float).

    ``MockClock(start=0.0, autojump=False)``; call it to read the time. Thread-safe.

    Raises:
        TypeError: ``start`` is not a real number, or ``autojump`` not a bool.
        ValueError: ``start`` is NaN or infinite.
    """

    __slots__ = ("_autojump", "_lock", "_now")

    def __init__(self, start: float = 0.0, autojump: bool = False) -> None:
        self._now = _seconds(start, "start")
        if not isinstance(autojump, bool):
            raise TypeError(f"autojump must be a bool, not {type(autojump).__name__}")
        self._autojump = autojump
        self._lock = threading.Lock()

    def __call__(self) -> float:
        """The current virtual time, in seconds."""
        return self._now

    @property
    def autojump(self) -> bool:
        """Whether a base using this clock jumps it to the next deadline instead of sleeping."""
        return self._autojump

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds``.

        A base's next iteration runs what became due (``loop(nonblock=True)`` is the usual
        call after it). Never early: a timer due at exactly the new time runs.

        Raises:
            TypeError: ``seconds`` is not a real number.
            ValueError: ``seconds`` is negative, NaN or infinite (time never goes back).
        """
        s = _seconds(seconds, "seconds")
        if s < 0.0:
            raise ValueError(f"seconds must not be negative (the clock is monotonic), got {s}")
        with self._lock:
            self._now += s

    def _jump_to(self, deadline: float) -> None:
        # Called by an EventBase with nothing to do until ``deadline`` (autojump). Never back.
        with self._lock:
            if deadline > self._now:
                self._now = deadline

    def __repr__(self) -> str:
        return f"MockClock(time={self._now!r}, autojump={self._autojump})"


def _seconds(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a real number, not {type(value).__name__}")
    f = float(value)
    if not math.isfinite(f):
        raise ValueError(f"{name} must be finite, got {f}")
    return f
