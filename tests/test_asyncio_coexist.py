"""Black-box tests of the contract: fdevent's signals coexist with asyncio's in one process.

fdevent never calls ``signal.set_wakeup_fd`` (asyncio's ``add_signal_handler`` owns it), and
both libraries' signal handlers work whichever was installed first. Each library handles its
own signal here (Python has one handler per signal), sent while its own loop runs, while the
other's runs, and while neither does. Both cores, every backend.
"""

from __future__ import annotations

import asyncio
import signal
from typing import Any

import pytest
from support.loop import spin
from support.process import PROMPT, WATCHDOG, Later, keeper, kill, watchdog
from support.recorder import Recorder

pytestmark = pytest.mark.usefixtures("signal_handlers_restored")

FDEVENT_SIG = signal.SIGUSR1
ASYNCIO_SIG = signal.SIGUSR2


def wakeup_fd() -> int:
    """The fd ``signal.set_wakeup_fd`` currently holds (read by setting it back)."""
    fd = signal.set_wakeup_fd(-1)
    signal.set_wakeup_fd(fd)
    return fd


def run_asyncio_until(loop: asyncio.AbstractEventLoop, got: list[str], n: int) -> None:
    """Run ``loop`` until ``got`` holds ``n`` items (checked every 10 ms) or the watchdog."""

    def check() -> None:
        if len(got) >= n:
            loop.stop()
        else:
            loop.call_later(0.01, check)

    loop.call_soon(check)
    guard = loop.call_later(WATCHDOG, loop.stop)
    loop.run_forever()
    guard.cancel()


@pytest.mark.parametrize("first", ["asyncio-first", "fdevent-first"])
def test_fdevent_and_asyncio_signals_in_one_process(
    base: Any, core: Any, pair: Any, first: str
) -> None:
    loop = asyncio.new_event_loop()
    got: list[str] = []
    rec = Recorder()
    sig = core.Signal(base, FDEVENT_SIG, rec)
    try:
        assert wakeup_fd() == -1
        if first == "asyncio-first":
            loop.add_signal_handler(ASYNCIO_SIG, got.append, "asyncio")
            asyncio_fd = wakeup_fd()
            assert asyncio_fd != -1
            sig.attach()
            assert wakeup_fd() == asyncio_fd, "fdevent changed the signal wakeup fd"
        else:
            sig.attach()
            assert wakeup_fd() == -1, "fdevent set a signal wakeup fd"
            loop.add_signal_handler(ASYNCIO_SIG, got.append, "asyncio")
            asyncio_fd = wakeup_fd()
        assert signal.getsignal(FDEVENT_SIG) not in (signal.SIG_DFL, signal.SIG_IGN, None)

        # Each library's signal while its own loop runs.
        kill(FDEVENT_SIG)
        spin(base, 2)
        assert rec.count == 1
        loop.call_soon(kill, ASYNCIO_SIG)
        run_asyncio_until(loop, got, 1)
        assert got == ["asyncio"]

        # Each one's signal while the other's loop runs: kept for its own next iteration.
        loop.call_soon(kill, FDEVENT_SIG)
        loop.call_soon(kill, ASYNCIO_SIG)
        run_asyncio_until(loop, got, 2)
        assert got == ["asyncio", "asyncio"]
        assert rec.count == 1
        kill(ASYNCIO_SIG)
        spin(base, 2)
        assert rec.count == 2
        assert len(got) == 2
        run_asyncio_until(loop, got, 3)
        assert len(got) == 3

        # fdevent's signal from another thread wakes fdevent's blocked loop.
        keeper(core, base, pair[0])
        fired = watchdog(core, base)
        rec.action = lambda fd, events, arg: base.loopbreak()
        sender = Later(0.1, lambda: kill(FDEVENT_SIG))
        base.dispatch()
        sender.finish()
        assert not fired
        assert rec.count == 3
        assert rec.times[-1] - sender.at < PROMPT

        # Detaching fdevent's event leaves asyncio's handling as it was.
        sig.detach()
        assert wakeup_fd() == asyncio_fd
        loop.call_soon(kill, ASYNCIO_SIG)
        run_asyncio_until(loop, got, 4)
        assert got == ["asyncio"] * 4
    finally:
        sig.detach()
        loop.close()
    assert wakeup_fd() == -1
