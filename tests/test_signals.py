"""Black-box tests of docs/contract.md, "Signals": fdevent.Signal and Event(..., EV_SIGNAL).

Only the public API, both cores, every backend. Each test restores every signal handler it may
have touched. Signals are sent with ``os.kill(os.getpid(), ...)``: from the main thread the
Python-level handler has run by the time the next statement starts; from another thread the
kernel still delivers a process-directed signal to the main thread when it does not block it.
"""

from __future__ import annotations

import signal
import threading
import time
from typing import Any

import pytest
from support.loop import spin
from support.process import PROMPT, Later, keeper, kill, watchdog
from support.recorder import Recorder, logger

from fdevent._flags import EV_ET, EV_PERSIST, EV_READ, EV_SIGNAL, EV_TIMEOUT, EV_WRITE

pytestmark = pytest.mark.usefixtures("signal_handlers_restored")

EV_CLOSED = 0x80  # docs/contract.md: EV_CLOSED = 0x80 (fdevent.EV_CLOSED once it exists)
USR1 = signal.SIGUSR1
USR2 = signal.SIGUSR2


def mine(signum: int, frame: Any) -> None:
    """A user's handler, to see whether fdevent puts it back."""


# -- the callback and when it runs ---------------------------------------------------------------


def test_signal_is_a_persistent_event_on_the_signal_number(base: Any, core: Any) -> None:
    rec = Recorder()
    sig = core.Signal(base, USR1, rec, "arg")
    assert isinstance(sig, core.Event)
    assert sig.fd == USR1
    assert type(sig.fd) is int
    assert sig.events == EV_SIGNAL | EV_PERSIST
    assert not sig.attached
    sig.attach()
    assert sig.attached
    kill(USR1)
    spin(base, 2)
    assert rec.calls == [(USR1, EV_SIGNAL, "arg")]
    kill(USR1)
    spin(base, 2)
    assert rec.count == 2
    assert sig.attached


def test_callback_runs_in_an_iteration_not_in_the_handler(base: Any, core: Any) -> None:
    rec = Recorder()
    core.Signal(base, USR1, rec).attach()
    kill(USR1)
    time.sleep(0.05)
    # The OS handler has run; the callback waits for the loop (and is not lost meanwhile).
    assert rec.count == 0
    base.loop(nonblock=True)
    assert rec.count == 1


def test_signals_coalesce_within_one_iteration(base: Any, core: Any) -> None:
    rec = Recorder()
    core.Signal(base, USR1, rec).attach()
    for _ in range(5):
        kill(USR1)
    base.loop(nonblock=True)
    assert rec.count == 1
    spin(base, 3)
    assert rec.count == 1
    kill(USR1)
    kill(USR1)
    spin(base, 3)
    assert rec.count == 2


def test_signal_sent_by_a_callback_runs_in_the_next_iteration(base: Any, core: Any) -> None:
    log: list[str] = []
    core.Signal(base, USR1, logger(log, "signal")).attach()

    def send(fd: int, events: int, arg: Any) -> None:
        log.append("send")
        kill(USR1)

    ev = core.Event(base, -1, EV_TIMEOUT, send)
    ev.activate(EV_TIMEOUT)
    base.loop(nonblock=True)
    assert log == ["send"]
    base.loop(nonblock=True)
    assert log == ["send", "signal"]


def test_signal_runs_in_priority_order_in_the_iteration_it_arrived(base: Any, core: Any) -> None:
    log: list[str] = []
    low = core.Event(base, -1, EV_TIMEOUT, logger(log, "low"), priority=2)
    core.Signal(base, USR1, logger(log, "signal"), priority=0).attach()
    low.activate(EV_TIMEOUT)
    kill(USR1)
    base.loop(once=True)
    assert log == ["signal", "low"]


def test_one_shot_signal_event(base: Any, core: Any) -> None:
    rec = Recorder()
    ev = core.Event(base, USR1, EV_SIGNAL, rec, 7)
    signal.signal(USR1, mine)
    ev.attach()
    kill(USR1)
    spin(base, 2)
    assert rec.calls == [(USR1, EV_SIGNAL, 7)]
    assert not ev.attached
    # It was the last event for the signal: the handler is the user's again.
    assert signal.getsignal(USR1) is mine


def test_signal_event_with_a_timeout(base: Any, core: Any) -> None:
    rec = Recorder(lambda fd, events, arg: base.loopbreak())  # the watchdog is still attached
    ev = core.Event(base, USR1, EV_SIGNAL, rec)
    signal.signal(USR1, mine)
    t0 = time.monotonic()
    ev.attach(0.1)
    fired = watchdog(core, base)
    base.dispatch()
    assert not fired
    assert rec.calls == [(USR1, EV_TIMEOUT, None)]
    assert rec.times[0] - t0 >= 0.1
    assert not ev.attached
    assert signal.getsignal(USR1) is mine  # the timeout detached the last event


def test_persistent_signal_event_with_timeout_reports_both(base: Any, core: Any) -> None:
    rec = Recorder()
    ev = core.Event(base, USR1, EV_SIGNAL | EV_PERSIST, rec)
    ev.attach(0.05)
    kill(USR1)
    base.loop(nonblock=True)
    assert rec.events == [EV_SIGNAL]
    base.loop(once=True)  # no signal now: the interval timeout fires
    assert rec.events == [EV_SIGNAL, EV_TIMEOUT]
    assert ev.attached
    ev.detach()


def test_signal_arriving_while_no_loop_runs_is_not_lost(base: Any, core: Any) -> None:
    rec = Recorder()
    core.Signal(base, USR1, rec).attach()
    kill(USR1)
    time.sleep(0.1)
    base.loop(nonblock=True)
    assert rec.count == 1


def test_attached_signal_keeps_dispatch_alive(base: Any, core: Any) -> None:
    def stop(fd: int, events: int, arg: Any) -> None:
        sig.detach()

    sig = core.Signal(base, USR1, stop)
    sig.attach()
    t0 = time.monotonic()
    sender = Later(0.2, lambda: kill(USR1))
    base.dispatch()  # nothing else attached: only the signal event keeps it running
    elapsed = time.monotonic() - t0
    sender.finish()
    assert elapsed >= 0.2
    assert not sig.attached


def test_signal_from_another_thread_wakes_a_blocked_loop(
    base: Any, core: Any, pair: tuple[Any, Any]
) -> None:
    rec = Recorder(lambda fd, events, arg: base.loopbreak())
    core.Signal(base, USR1, rec).attach()
    keeper(core, base, pair[0])
    fired = watchdog(core, base)
    sender = Later(0.1, lambda: kill(USR1))
    base.dispatch()
    sender.finish()
    assert not fired
    assert rec.count == 1
    assert rec.times[0] - sender.at < PROMPT


def test_callback_runs_in_the_thread_running_the_loop(base: Any, core: Any, pair: Any) -> None:
    threads: list[int] = []

    def cb(fd: int, events: int, arg: Any) -> None:
        threads.append(threading.get_ident())
        base.loopbreak()

    core.Signal(base, USR1, cb).attach()  # the first event for USR1: in the main thread
    keeper(core, base, pair[0])
    fired = watchdog(core, base)
    loop = Later(0.0, base.dispatch)
    time.sleep(0.2)
    kill(USR1)
    loop.finish()
    assert not fired
    assert threads == [loop.ident]


# -- several events, several bases ---------------------------------------------------------------


def test_several_events_on_one_base_each_run(base: Any, core: Any) -> None:
    a, b = Recorder(), Recorder()
    core.Signal(base, USR1, a).attach()
    core.Event(base, USR1, EV_SIGNAL, b).attach()
    kill(USR1)
    spin(base, 2)
    assert a.count == 1
    assert b.count == 1


def test_several_bases_each_run(base: Any, core: Any, backend: str) -> None:
    other = core.EventBase(backend=backend)
    try:
        a, b = Recorder(), Recorder()
        core.Signal(base, USR1, a).attach()
        core.Signal(other, USR1, b).attach()
        kill(USR1)
        base.loop(nonblock=True)
        other.loop(nonblock=True)
        assert (a.count, b.count) == (1, 1)
        # Closing one base leaves the other's handling in place.
        other.close()
        assert signal.getsignal(USR1) is not signal.SIG_DFL
        kill(USR1)
        base.loop(nonblock=True)
        assert a.count == 2
    finally:
        other.close()


def test_two_signals_on_one_base(base: Any, core: Any) -> None:
    log: list[str] = []
    core.Signal(base, USR1, logger(log, "usr1")).attach()
    core.Signal(base, USR2, logger(log, "usr2")).attach()
    kill(USR2)
    spin(base, 2)
    assert log == ["usr2"]
    kill(USR1)
    spin(base, 2)
    assert log == ["usr2", "usr1"]


# -- the handler that was there before -----------------------------------------------------------


@pytest.mark.parametrize("previous", [mine, signal.SIG_IGN, signal.SIG_DFL], ids=str)
def test_handler_restored_exactly_on_last_detach(base: Any, core: Any, previous: Any) -> None:
    signal.signal(USR1, previous)
    a = core.Signal(base, USR1, Recorder())
    b = core.Signal(base, USR1, Recorder())
    a.attach()
    b.attach()
    assert signal.getsignal(USR1) is not previous
    a.detach()
    assert signal.getsignal(USR1) is not previous  # b still needs it
    b.detach()
    assert signal.getsignal(USR1) is previous


def test_handler_restored_when_the_base_closes(core: Any, backend: str) -> None:
    signal.signal(USR1, mine)
    base = core.EventBase(backend=backend)
    core.Signal(base, USR1, Recorder()).attach()
    assert signal.getsignal(USR1) is not mine
    base.close()
    assert signal.getsignal(USR1) is mine


def test_handler_restored_only_after_the_last_base(base: Any, core: Any, backend: str) -> None:
    signal.signal(USR1, mine)
    other = core.EventBase(backend=backend)
    core.Signal(other, USR1, Recorder()).attach()
    sig = core.Signal(base, USR1, Recorder())
    sig.attach()
    other.close()
    assert signal.getsignal(USR1) is not mine
    sig.detach()
    assert signal.getsignal(USR1) is mine


def test_a_handler_the_user_installed_meanwhile_is_left_alone(base: Any, core: Any) -> None:
    signal.signal(USR1, signal.SIG_IGN)
    sig = core.Signal(base, USR1, Recorder())
    sig.attach()
    signal.signal(USR1, mine)
    sig.detach()
    assert signal.getsignal(USR1) is mine
    # Attaching again installs fdevent's handler over the user's, and puts it back after.
    sig.attach()
    assert signal.getsignal(USR1) is not mine
    sig.detach()
    assert signal.getsignal(USR1) is mine


def test_last_detach_in_another_thread_restores_at_the_next_main_thread_call(
    base: Any, core: Any
) -> None:
    signal.signal(USR1, mine)
    sig = core.Signal(base, USR1, Recorder())
    sig.attach()
    Later(0.0, sig.detach).finish()
    assert not sig.attached
    base.loop(nonblock=True)  # an fdevent call in the main thread
    assert signal.getsignal(USR1) is mine


# -- the main-thread rule ------------------------------------------------------------------------


def test_first_attach_outside_the_main_thread_is_a_value_error(base: Any, core: Any) -> None:
    signal.signal(USR1, mine)
    sig = core.Signal(base, USR1, Recorder())
    with pytest.raises(ValueError, match="main thread"):
        Later(0.0, sig.attach).finish()
    assert not sig.attached
    assert signal.getsignal(USR1) is mine
    assert "attached=0" in repr(base)
    base.dispatch()  # nothing attached: returns at once


def test_more_events_for_a_handled_signal_attach_from_any_thread(base: Any, core: Any) -> None:
    a, b = Recorder(), Recorder()
    core.Signal(base, USR1, a).attach()
    late = core.Signal(base, USR1, b)
    Later(0.0, late.attach).finish()
    assert late.attached
    kill(USR1)
    spin(base, 2)
    assert (a.count, b.count) == (1, 1)


# -- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize("extra", [EV_READ, EV_WRITE, EV_ET, EV_CLOSED], ids=hex)
def test_signal_with_an_fd_condition_is_a_value_error(base: Any, core: Any, extra: int) -> None:
    signal.signal(USR1, mine)
    with pytest.raises(ValueError):
        core.Event(base, USR1, EV_SIGNAL | extra, Recorder())
    assert signal.getsignal(USR1) is mine
    assert "attached=0" in repr(base)


@pytest.mark.parametrize(
    "signum",
    [0, -1, signal.NSIG, 1 << 40, signal.SIGKILL, signal.SIGSTOP],
    ids=["0", "-1", "NSIG", "huge", "SIGKILL", "SIGSTOP"],
)
def test_not_a_catchable_signal_is_a_value_error(base: Any, core: Any, signum: int) -> None:
    with pytest.raises(ValueError):
        core.Signal(base, signum, Recorder())
    with pytest.raises(ValueError):
        core.Event(base, signum, EV_SIGNAL, Recorder())
    assert "attached=0" in repr(base)


@pytest.mark.parametrize("signum", ["SIGUSR1", 10.0, None, True], ids=repr)
def test_signal_number_of_the_wrong_type_is_a_type_error(base: Any, core: Any, signum: Any) -> None:
    with pytest.raises(TypeError):
        core.Signal(base, signum, Recorder())


def test_signal_on_a_closed_base_is_a_runtime_error(core: Any, backend: str) -> None:
    base = core.EventBase(backend=backend)
    base.close()
    with pytest.raises(RuntimeError):
        core.Signal(base, USR1, Recorder())


def test_signal_accepts_the_signals_enum(base: Any, core: Any) -> None:
    rec = Recorder()
    sig = core.Signal(base, signal.Signals.SIGUSR2, rec)
    sig.attach()
    kill(USR2)
    spin(base, 2)
    assert rec.calls == [(int(USR2), EV_SIGNAL, None)]


_SIGNAL_STORM = """
import faulthandler, signal, sys, time
import fdevent
assert fdevent.CORE == sys.argv[1], fdevent.CORE
base = fdevent.EventBase(backend=sys.argv[2])
fdevent.Signal(base, signal.SIGALRM, lambda *a: None).attach()
timer = fdevent.Timer(base, lambda *a: None)
faulthandler.dump_traceback_later(30, exit=True)  # a deadlock: stacks on stderr, exit 1
signal.setitimer(signal.ITIMER_REAL, 0.0005, 0.0005)
end = time.monotonic() + 2.0
pairs = 0
while time.monotonic() < end:
    timer.attach(10)  # each call takes the base's lock: the signal lands inside them
    timer.detach()
    pairs += 1
signal.setitimer(signal.ITIMER_REAL, 0)
base.loop(nonblock=True)
print("pairs", pairs)
"""


def test_a_signal_landing_inside_a_call_into_the_base_does_not_deadlock(
    core: Any, backend: str
) -> None:
    # fdevent's handler runs between two bytecodes of the main thread: possibly inside the
    # base's own _enter(), after it took its lock and before it recorded the holder. The
    # handler must not wait for that lock (the pure core deadlocked at once).
    import subprocess
    import sys

    from support import IMPORT_ROOT
    from support.programs import env_for

    proc = subprocess.run(
        [sys.executable, "-c", _SIGNAL_STORM, core.CORE, backend],
        cwd=IMPORT_ROOT,  # -c puts the working directory first on sys.path
        env=env_for(pure=core.CORE == "pure"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert int(proc.stdout.split()[-1]) > 1000
