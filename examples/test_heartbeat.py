"""Testing timer-driven code without waiting: an hour of a heartbeat in milliseconds.

    python -m pytest examples/test_heartbeat.py

``Heartbeat`` is the kind of code an application has: it sends a beat every 30 seconds and
declares its peer dead when no acknowledgement came for 90 seconds. Testing that against the
real clock takes an hour and flakes on a busy machine. Given a ``fdevent.testing.MockClock``,
the base counts in virtual seconds that pass only when the test says so: ``advance()`` moves
time by hand, and ``autojump=True`` jumps straight to the next deadline whenever the loop
would sleep, so ``dispatch()`` runs the hour as fast as the callbacks go, with the same
result every run.
"""

from __future__ import annotations

from typing import Any

import fdevent
from fdevent.testing import MockClock


class Heartbeat:
    """Beat every ``interval`` seconds; call ``on_dead`` after ``patience`` without an ack."""

    def __init__(self, base: fdevent.EventBase, interval: float = 30.0, patience: float = 90.0):
        self.base = base
        self.beats: list[float] = []  # when each beat was sent, in the base's clock
        self.dead_at: float | None = None
        self.patience = patience
        self.ticker = fdevent.Ticker(base, self._beat)
        self.ticker.attach(interval)
        self.watchdog = fdevent.Timer(base, self._dead)
        self.watchdog.attach(patience)

    def ack(self) -> None:
        """The peer answered: restart the watchdog."""
        self.watchdog.attach(self.patience)

    def _beat(self, fd: int, events: int, arg: Any) -> None:
        self.beats.append(self.base.now())

    def _dead(self, fd: int, events: int, arg: Any) -> None:
        self.dead_at = self.base.now()
        self.ticker.detach()


def test_an_hour_of_beats_with_a_peer_that_answers() -> None:
    clock = MockClock(autojump=True)
    with fdevent.EventBase(clock=clock) as base:
        hb = Heartbeat(base)
        answer = fdevent.Ticker(base, lambda fd, ev, arg: hb.ack())
        answer.attach(60.0)  # the peer acks every minute: well within the patience
        base.loopexit(3600.0)
        base.dispatch()
        assert clock() == 3600.0
        assert hb.dead_at is None
        assert hb.beats == [30.0 * i for i in range(1, 121)]  # 120 beats, no drift


def test_a_peer_that_stops_answering_is_declared_dead() -> None:
    clock = MockClock(autojump=True)
    with fdevent.EventBase(clock=clock) as base:
        hb = Heartbeat(base)
        answers = [0]

        def answer(fd: int, events: int, arg: Any) -> None:
            answers[0] += 1
            if answers[0] <= 10:  # ten acks, at 60, 120, ... 600 s, then silence
                hb.ack()

        fdevent.Ticker(base, answer).attach(60.0)
        base.loopexit(3600.0)
        base.dispatch()
        assert hb.dead_at == 600.0 + 90.0
        # The beat due at 690 s too was armed after the watchdog (at 660 s): equal deadlines
        # run in the order they were armed, so the watchdog ran first and stopped the beats.
        assert hb.beats[-1] == 660.0


def test_advancing_by_hand() -> None:
    clock = MockClock()
    with fdevent.EventBase(clock=clock) as base:
        hb = Heartbeat(base)
        clock.advance(29.999)
        base.loop(nonblock=True)
        assert hb.beats == []  # never early
        clock.advance(0.001)
        base.loop(nonblock=True)
        assert hb.beats == [30.0]
        clock.advance(1000.0)  # a stalled process: missed beats are skipped, not replayed
        base.loop(nonblock=True)
        assert hb.beats == [30.0, 1030.0]
        assert hb.dead_at == 1030.0
