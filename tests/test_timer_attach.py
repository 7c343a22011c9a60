"""A Timer or Ticker attached without a delay says what it needs, in the same words on both cores.

``attach()`` with no timeout on an event that has no fd condition and no signal waits for
nothing; for a timer (``EV_TIMEOUT`` among its flags: every Timer and Ticker) what is missing is
the delay, and the error says so.
"""

from __future__ import annotations

from typing import Any

import pytest

from fdevent._flags import EV_PERSIST, EV_TIMEOUT


def _noop(fd: int, events: int, arg: Any) -> None:
    pass


def test_a_timer_needs_a_delay(base: Any, core: Any) -> None:
    timer = core.Timer(base, _noop)
    with pytest.raises(ValueError) as info:
        timer.attach()
    assert str(info.value) == "a timer needs a delay: call attach(seconds)"
    assert not timer.attached
    base.dispatch()  # nothing was attached: returns at once


def test_a_ticker_needs_an_interval(base: Any, core: Any) -> None:
    ticker = core.Ticker(base, _noop)
    with pytest.raises(ValueError) as info:
        ticker.attach()
    assert str(info.value) == "a ticker needs an interval: call attach(seconds)"
    assert not ticker.attached
    base.dispatch()


def test_an_event_that_is_a_timer_says_the_same(base: Any, core: Any) -> None:
    with pytest.raises(ValueError, match=r"^a timer needs a delay"):
        core.Event(base, -1, EV_TIMEOUT, _noop).attach()
    with pytest.raises(ValueError, match=r"^a ticker needs an interval"):
        core.Event(base, -1, EV_TIMEOUT | EV_PERSIST, _noop).attach()
    # Not a timer (no EV_TIMEOUT): it waits for nothing at all, and is told so.
    with pytest.raises(ValueError, match="waits for nothing"):
        core.Event(base, -1, EV_PERSIST, _noop).attach()


def test_an_attached_timer_keeps_its_delay_when_refused(base: Any, core: Any) -> None:
    # attach() with no timeout would cancel the timeout, leaving a timer waiting for nothing:
    # refused, and the timer stays as it was.
    timer = core.Timer(base, _noop)
    timer.attach(10)
    with pytest.raises(ValueError, match=r"^a timer needs a delay"):
        timer.attach()
    assert timer.attached and timer.timeout == 10
    timer.detach()
