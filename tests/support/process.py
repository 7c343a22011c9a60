"""Helpers for the tests of the contract's "process around the loop" clauses: signals,
threads, fork, Ctrl-C and asyncio in the same process (test_signals.py, test_threads.py,
test_fork.py, test_ctrlc.py, test_asyncio_coexist.py).

These tests use only the public API, so they check the contract, not one implementation of it.
They share: a guard that puts every signal handler back as it was (a failing signal test must
not leave SIGUSR1 pointing into a closed base for the rest of the session; conftest's
``signal_handlers_restored`` fixture uses it), a watchdog timer so a missing wakeup fails a
test instead of hanging it, a thread that does something after a delay, and a fork whose child
can never fall back into pytest.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
import traceback
import warnings
from collections.abc import Callable, Iterator
from typing import Any

#: Seconds within which a wakeup must show its effect in these tests: far above the contract's
#: "a millisecond or two" (and "100 ms" for Ctrl-C), far below the watchdog, so a loop that was
#: not woken (and sleeps until the watchdog) is told apart from a slow machine.
PROMPT = 1.0
#: What bounds every blocking wait in these tests: a loop nobody wakes sleeps this long.
WATCHDOG = 10.0
#: Signals the tests install handlers for; the guard restores all of them.
GUARDED = (signal.SIGUSR1, signal.SIGUSR2, signal.SIGINT, signal.SIGTERM, signal.SIGALRM)


def kill(signum: int) -> None:
    """Send ``signum`` to this process."""
    os.kill(os.getpid(), signum)


@contextlib.contextmanager
def signals_restored() -> Iterator[None]:
    """Put the handler of every signal in ``GUARDED`` back as it was, whatever happens."""
    saved = {s: signal.getsignal(s) for s in GUARDED}
    try:
        yield
    finally:
        for s, h in saved.items():
            if h is not None:
                signal.signal(s, h)


def watchdog(core: Any, base: Any, seconds: float = WATCHDOG) -> list[bool]:
    """A timer that breaks ``base``'s loop after ``seconds``; the list gets ``True`` if it did."""
    fired: list[bool] = []

    def bark(fd: int, events: int, arg: Any) -> None:
        fired.append(True)
        base.loopbreak()

    core.Timer(base, bark).attach(seconds)
    return fired


def keeper(core: Any, base: Any, sock: Any) -> Any:
    """A persistent read event on a socket nobody writes to: keeps ``dispatch()`` blocked."""

    def never(fd: int, events: int, arg: Any) -> None:
        raise AssertionError("the keeper's socket became readable")

    ev = core.Event(base, sock, 0x02 | 0x10, never)  # EV_READ | EV_PERSIST
    ev.attach()
    return ev


class Later(threading.Thread):
    """Run ``fn()`` in a thread after ``delay`` seconds; ``error`` holds what it raised.

    ``at`` is the monotonic time just before ``fn`` was called.
    """

    def __init__(self, delay: float, fn: Callable[[], Any]) -> None:
        super().__init__(daemon=True)
        self.delay = delay
        self.fn = fn
        self.at = 0.0
        self.result: Any = None
        self.error: BaseException | None = None
        self.start()

    def run(self) -> None:
        time.sleep(self.delay)
        self.at = time.monotonic()
        try:
            self.result = self.fn()
        except BaseException as e:  # reported by finish() in the test's thread
            self.error = e

    def finish(self, timeout: float = WATCHDOG) -> Any:
        """Join, and re-raise in the caller what ``fn`` raised; returns what it returned."""
        self.join(timeout)
        assert not self.is_alive(), "the thread did not finish"
        if self.error is not None:
            raise self.error
        return self.result


def fork_child(body: Callable[[], int]) -> int:
    """Fork; the child runs ``body()`` and exits with what it returns (70 if it raised).

    The child never returns from here, so it can never run the rest of a pytest session. The
    parent gets the child's PID. Fork warnings about other threads are silenced: several tests
    fork on purpose while a thread exists.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        code = 70
        try:
            code = body()
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(code)
    return pid


def wait_child(pid: int, timeout: float = WATCHDOG) -> int:
    """The exit code of child ``pid``; kills it (by PID) and fails if it overruns ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise AssertionError(f"child {pid} did not exit within {timeout} s")
        time.sleep(0.01)
