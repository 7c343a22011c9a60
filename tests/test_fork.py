"""Black-box tests of docs/contract.md, "fork": a base keeps working in the child, by itself.

The child's side of each test runs in ``support.process.fork_child``: it ends with ``os._exit`` and
its verdict is its exit code (0 = as the contract says; other codes name the failed check), so
a child can never run the rest of the pytest session. epoll and kqueue sets are shared across
fork, which is what most of these tests are about; they run on every backend all the same.
Both cores.
"""

from __future__ import annotations

import os
import signal
import threading
import time
import warnings
from typing import Any

import pytest
from support.loop import spin
from support.process import (
    WATCHDOG,
    Later,
    fork_child,
    keeper,
    wait_child,
    watchdog,
)
from support.recorder import Recorder
from support.sockets import drain

from fdevent._flags import EV_PERSIST, EV_READ, EV_TIMEOUT

pytestmark = pytest.mark.usefixtures("signal_handlers_restored")


def loop_until(core: Any, base: Any, done: Any, seconds: float = WATCHDOG) -> bool:
    """Run ``base`` until ``done()`` is true or ``seconds`` pass; returns ``done()``."""
    deadline = time.monotonic() + seconds
    guard = core.Timer(base, lambda *_: None)
    while not done() and time.monotonic() < deadline:
        guard.attach(0.05)  # bounds each wait, so done() is checked often
        base.loop(once=True)
    guard.detach()
    return bool(done())


def test_child_detach_leaves_the_parents_event_firing(
    base: Any, core: Any, pair: tuple[Any, Any]
) -> None:
    a, b = pair
    rec = Recorder()
    ev = core.Event(base, a, EV_READ | EV_PERSIST, rec)
    ev.attach()

    def child() -> int:
        ev.detach()  # an epoll DEL on the shared set would remove the parent's registration
        base.close()
        return 0

    assert wait_child(fork_child(child)) == 0
    b.send(b"x")
    assert loop_until(core, base, lambda: rec.count >= 1)
    assert ev.attached


def test_parent_detach_leaves_the_childs_event_firing(
    base: Any, core: Any, pair: tuple[Any, Any]
) -> None:
    a, b = pair
    go_r, go_w = os.pipe()
    rec = Recorder()
    ev = core.Event(base, a, EV_READ | EV_PERSIST, rec)
    ev.attach()

    def child() -> int:
        os.close(go_w)
        assert os.read(go_r, 1) == b"g"  # the parent has detached its copy
        b.send(b"x")
        return 0 if loop_until(core, base, lambda: rec.count >= 1) else 1

    pid = fork_child(child)
    os.close(go_r)
    ev.detach()
    os.write(go_w, b"g")
    os.close(go_w)
    assert wait_child(pid) == 0
    # The child read nothing: the byte is still there for the parent, whose event is detached.
    assert rec.count == 0
    assert drain(a) == b"x"


def test_child_attach_does_not_reach_the_parent(
    base: Any, core: Any, make_pair: Any, pair: tuple[Any, Any]
) -> None:
    a, _ = pair
    c, d = make_pair()
    rec = Recorder()
    core.Event(base, a, EV_READ | EV_PERSIST, rec).attach()  # the parent's poller is in use

    def child() -> int:
        child_rec = Recorder()
        core.Event(base, c, EV_READ | EV_PERSIST, child_rec).attach()
        d.send(b"x")
        ok = loop_until(core, base, lambda: child_rec.count >= 1)
        return 0 if ok else 1

    assert wait_child(fork_child(child)) == 0
    # c is readable now and, had the child added it to a shared epoll set, the parent's poller
    # would report an fd its table does not know: nothing may run, nothing may break.
    spin(base, 5)
    assert rec.count == 0
    assert drain(c) == b"x"


def test_active_events_and_timer_deadlines_survive_the_fork(base: Any, core: Any) -> None:
    active = Recorder()
    ev = core.Event(base, -1, EV_TIMEOUT, active)
    ev.activate(EV_TIMEOUT)
    timer_rec = Recorder()
    t0 = time.monotonic()
    core.Timer(base, timer_rec).attach(1.0)
    time.sleep(0.8)

    def child() -> int:
        base.loop(nonblock=True)
        if active.count != 1:
            return 1
        if not loop_until(core, base, lambda: timer_rec.count == 1):
            return 2
        fired = timer_rec.times[0] - t0
        # Its deadline was kept (t0 + 1.0), not restarted at the fork (>= t0 + 1.8).
        return 0 if 1.0 <= fired < 1.7 else 3

    assert wait_child(fork_child(child)) == 0
    assert active.count == 0  # the parent's copy is still active, untouched by the child
    base.loop(nonblock=True)
    assert active.count == 1


def test_a_base_whose_loop_another_thread_ran_is_idle_in_the_child(
    base: Any, core: Any, pair: tuple[Any, Any]
) -> None:
    keeper(core, base, pair[0])
    fired = watchdog(core, base)
    loop = Later(0.0, base.dispatch)
    time.sleep(0.2)

    def child() -> int:
        rec = Recorder()
        core.Timer(base, rec).attach(0.05)
        base.loop(once=True)  # no RuntimeError: the thread running the loop is not here
        return 0 if rec.count == 1 else 1

    pid = fork_child(child)
    code = wait_child(pid)
    base.close()  # ends the parent's loop (from this thread, the contract says it may)
    loop.finish()
    assert not fired
    assert code == 0


def test_fork_from_inside_a_callback(base: Any, core: Any) -> None:
    me = os.getpid()
    r, w = os.pipe()
    children: list[int] = []
    after: list[str] = []

    def forker(fd: int, events: int, arg: Any) -> None:
        with warnings.catch_warnings():  # a thread of an earlier test may still exist
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()  # not fork_child: the child goes on with this very loop
        if pid:
            children.append(pid)

    def later(fd: int, events: int, arg: Any) -> None:
        after.append("later")
        if os.getpid() != me:
            os.write(w, b"ok")
            os._exit(0)

    core.Timer(base, forker).attach(0)
    core.Timer(base, later).attach(0.1)
    try:
        base.dispatch()
    finally:
        if os.getpid() != me:  # pragma: no cover - a child that fell out of its loop
            os._exit(1)
    os.close(w)
    assert len(children) == 1
    assert wait_child(children[0]) == 0
    assert os.read(r, 2) == b"ok"  # the child's loop carried on after the forking callback
    os.close(r)
    assert after == ["later"]


def test_signals_in_the_child_stay_in_the_child(base: Any, core: Any) -> None:
    rec = Recorder()
    core.Signal(base, signal.SIGUSR1, rec).attach()

    def child() -> int:
        os.kill(os.getpid(), signal.SIGUSR1)
        return 0 if loop_until(core, base, lambda: rec.count == 1) else 1

    assert wait_child(fork_child(child)) == 0
    spin(base, 3)
    assert rec.count == 0, "the child's signal reached the parent's base"
    os.kill(os.getpid(), signal.SIGUSR1)
    spin(base, 3)
    assert rec.count == 1


def test_wakeups_in_the_child_stay_in_the_child(
    base: Any, core: Any, pair: tuple[Any, Any]
) -> None:
    """A thread's activate() in the child wakes the child's loop, not the parent's."""
    keeper(core, base, pair[0])
    rec = Recorder(lambda fd, events, arg: base.loopbreak())
    ev = core.Event(base, -1, EV_TIMEOUT, rec)

    def child() -> int:
        fired = watchdog(core, base)
        th = threading.Thread(target=lambda: (time.sleep(0.1), ev.activate(EV_TIMEOUT)))
        th.start()
        base.dispatch()
        th.join()
        return 0 if rec.count == 1 and not fired else 1

    assert wait_child(fork_child(child)) == 0
    base.loop(nonblock=True)
    assert rec.count == 0
