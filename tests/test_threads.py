"""Black-box tests of docs/contract.md, "Threads": every method from any thread, wakeups.

The loop runs in the test's (main) thread unless a test says otherwise, blocked on a "keeper"
event that never fires; a watchdog timer ends it after ``WATCHDOG`` seconds, so a call that
fails to wake the loop shows as a late effect (and a fired watchdog), never as a hang. Both
cores, every backend.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from support.loop import SLACK
from support.process import PROMPT, WATCHDOG, Later, keeper, watchdog
from support.recorder import Recorder

from fdevent._flags import EV_PERSIST, EV_READ, EV_TIMEOUT, EV_WRITE

pytestmark = pytest.mark.usefixtures("signal_handlers_restored")


# -- a call from another thread wakes a blocked loop ---------------------------------------------


def test_activate_from_a_thread_runs_in_the_loop_thread(base: Any, core: Any, pair: Any) -> None:
    threads: list[int] = []

    def cb(fd: int, events: int, arg: Any) -> None:
        threads.append(threading.get_ident())
        base.loopbreak()

    ev = core.Event(base, -1, EV_TIMEOUT, cb)
    keeper(core, base, pair[0])
    fired = watchdog(core, base)
    t0 = time.monotonic()
    worker = Later(0.1, lambda: ev.activate(EV_READ))
    base.dispatch()
    woke = time.monotonic()
    worker.finish()
    assert not fired
    assert threads == [threading.get_ident()]
    assert woke - t0 >= 0.1
    assert woke - worker.at < PROMPT


@pytest.mark.parametrize("call", ["loopexit", "loopbreak", "close"])
def test_stop_calls_from_a_thread_end_a_blocked_dispatch(
    base: Any, core: Any, pair: Any, call: str
) -> None:
    keeper(core, base, pair[0])
    fired = watchdog(core, base)
    worker = Later(0.1, getattr(base, call))
    base.dispatch()  # returns normally: close() ends it cleanly, as from a callback
    ended = time.monotonic()
    worker.finish()
    assert not fired
    assert ended - worker.at < PROMPT
    assert base.got_exit == (call == "loopexit")
    assert base.got_break == (call == "loopbreak")
    assert base.closed == (call == "close")


def test_timer_attached_from_a_thread_fires_on_time(base: Any, core: Any, pair: Any) -> None:
    rec = Recorder(lambda fd, events, arg: base.loopbreak())
    timer = core.Timer(base, rec)
    keeper(core, base, pair[0])
    fired = watchdog(core, base)
    attached_at: list[float] = []

    def attach() -> None:
        attached_at.append(time.monotonic())
        timer.attach(0.2)

    worker = Later(0.1, attach)
    base.dispatch()
    worker.finish()
    assert not fired
    assert rec.events == [EV_TIMEOUT]
    late = rec.times[0] - attached_at[0]
    assert late >= 0.2
    assert late < 0.2 + SLACK


def test_a_python_signal_handler_calling_fdevent_takes_effect_at_once(
    base: Any, core: Any, pair: Any
) -> None:
    """The contract: calls made by a ``signal.signal`` handler wake a loop blocked in its poll."""
    ran = Recorder(lambda fd, events, arg: base.loopbreak())
    ev = core.Event(base, -1, EV_TIMEOUT, ran)
    timer = core.Timer(base, ran)
    calls: dict[str, Callable[[], None]] = {
        "activate": lambda: ev.activate(EV_TIMEOUT),
        "attach": lambda: timer.attach(0),
        "loopexit": base.loopexit,
        "loopbreak": base.loopbreak,
    }
    keeper(core, base, pair[0])
    main = threading.get_ident()
    for name, call in calls.items():
        signal.signal(signal.SIGUSR1, lambda signum, frame, call=call: call())
        fired = watchdog(core, base)
        sender = Later(0.1, lambda: signal.pthread_kill(main, signal.SIGUSR1))
        base.dispatch()
        ended = time.monotonic()
        sender.finish()
        assert not fired, name
        assert ended - sender.at < PROMPT, name
        if name in ("activate", "attach"):
            assert ran.count == 1, name
            ran.calls.clear()
            ran.times.clear()


def test_only_one_thread_runs_a_loop(base: Any, core: Any, pair: Any) -> None:
    keeper(core, base, pair[0])
    fired = watchdog(core, base)
    loop = Later(0.0, base.dispatch)
    time.sleep(0.2)
    with pytest.raises(RuntimeError):
        base.dispatch()
    with pytest.raises(RuntimeError):
        base.loop(nonblock=True)
    base.loopexit()
    loop.finish()
    assert not fired
    assert base.got_exit
    # The base is usable from this thread now.
    rec = Recorder()
    core.Timer(base, rec).attach(0)
    base.loop(once=True)
    assert rec.count == 1


# -- detach() from another thread ----------------------------------------------------------------


@pytest.mark.parametrize("persist", [False, True], ids=["one-shot", "persistent"])
def test_detach_from_a_thread_waits_for_the_running_callback(
    base: Any, core: Any, pair: Any, persist: bool
) -> None:
    a, b = pair
    started = threading.Event()
    state = {"running": False, "runs": 0}

    def slow(fd: int, events: int, arg: Any) -> None:
        state["running"] = True
        state["runs"] += 1
        started.set()
        time.sleep(0.3)
        # The other thread is waiting in detach() now: the callback can still use the base.
        spare.attach(60)
        spare.detach()
        base.now()
        state["running"] = False

    spare = core.Timer(base, lambda *_: None)
    ev = core.Event(base, a, EV_READ | (EV_PERSIST if persist else 0), slow)
    ev.attach()
    b.send(b"x")  # stays unread: a persistent event would run on every iteration
    seen: list[Any] = []

    def detach() -> None:
        assert started.wait(WATCHDOG)
        t0 = time.monotonic()
        ev.detach()
        seen.append((state["running"], state["runs"], time.monotonic() - t0))
        base.loopexit()

    fired = watchdog(core, base)  # also what keeps the loop running after a one-shot ran
    worker = Later(0.0, detach)
    base.dispatch()
    worker.finish()
    assert not fired
    [(running, runs, waited)] = seen
    assert running is False, "detach() returned while the callback was running"
    assert waited > 0.1  # it did wait for the 0.3 s callback
    assert not ev.attached
    # And it does not start again.
    base.loopexit(0.2)
    base.dispatch()
    assert state["runs"] == runs


def test_detach_in_the_loop_thread_never_waits(base: Any, core: Any, pair: Any) -> None:
    a, b = pair
    other_ran: list[bool] = []

    def first(fd: int, events: int, arg: Any) -> None:
        t0 = time.monotonic()
        me.detach()  # its own callback
        second.detach()
        other_ran.append(time.monotonic() - t0 < PROMPT)

    me = core.Event(base, a, EV_READ | EV_PERSIST, first, priority=0)
    second = core.Event(base, a, EV_READ | EV_PERSIST, lambda *_: other_ran.append(False))
    me.attach()
    second.attach()
    b.send(b"x")
    base.loop(once=True)
    assert other_ran == [True]


# -- many threads at once ------------------------------------------------------------------------


def test_threads_hammering_every_call_while_the_loop_runs(base: Any, core: Any, pair: Any) -> None:
    """Activators, attach/detach churners and loopexit callers at once; every callback counted.

    An activator waits for its callback before activating again (activations of one event
    before it runs merge into one run, by design), so each of its activations is one run. A
    churner attaches timers due at once and detaches some of them right away: a timer whose
    detach() returned must never run after that; the others must run exactly once.
    """
    n_activators, n_churners, rounds = 3, 2, 300
    loop_thread = threading.get_ident()
    wrong_thread: list[int] = []
    runs = [0] * n_activators
    done = [threading.Semaphore(0) for _ in range(n_activators)]

    def on_activate(fd: int, events: int, k: int) -> None:
        if threading.get_ident() != loop_thread:
            wrong_thread.append(threading.get_ident())
        runs[k] += 1
        done[k].release()

    events = [core.Event(base, -1, EV_TIMEOUT, on_activate, k) for k in range(n_activators)]

    def activator(k: int) -> None:
        for _ in range(rounds):
            events[k].activate(EV_TIMEOUT)
            assert done[k].acquire(timeout=WATCHDOG), "an activation was lost"

    timer_runs: dict[tuple[int, int], int] = {}
    detached_at: dict[tuple[int, int], int] = {}

    def on_timer(fd: int, events: int, key: tuple[int, int]) -> None:
        timer_runs[key] = timer_runs.get(key, 0) + 1

    def churner(c: int) -> None:
        for i in range(rounds):
            t = core.Timer(base, on_timer, (c, i))
            t.attach(0)
            if i % 2:
                t.detach()
                detached_at[c, i] = timer_runs.get((c, i), 0)

    def exiter() -> None:
        for _ in range(rounds):
            base.loopexit(60)  # the earlier deadline wins: this never ends the loop early

    keeper(core, base, pair[0])
    fired = watchdog(core, base, 20.0)
    jobs: list[Callable[[], None]] = [lambda k=k: activator(k) for k in range(n_activators)]
    jobs += [lambda c=c: churner(c) for c in range(n_churners)]
    jobs.append(exiter)

    def run_all() -> None:
        workers = [Later(0.0, job) for job in jobs]
        try:
            for w in workers:
                w.finish(20.0)  # re-raises what a worker raised
        finally:
            base.loopexit(0.2)  # let the last timers run, then stop

    boss = Later(0.05, run_all)
    base.dispatch()
    boss.finish(30.0)
    assert not fired
    assert base.got_exit
    assert not wrong_thread
    assert runs == [rounds] * n_activators
    for c in range(n_churners):
        for i in range(rounds):
            n = timer_runs.get((c, i), 0)
            if i % 2:
                assert n <= 1
                assert n == detached_at[c, i], f"timer {c, i} ran after its detach() returned"
            else:
                assert n == 1, (c, i)


def test_a_hundred_thousand_calls_while_no_loop_runs_never_block(
    base: Any, core: Any, pair: Any
) -> None:
    """Wakeups are a flag: many calls while nobody drains never block the caller."""
    rec = Recorder()
    evs = [core.Event(base, -1, EV_TIMEOUT, rec, k) for k in range(1000)]

    def flood() -> None:
        for _ in range(100):
            for ev in evs:
                ev.activate(EV_TIMEOUT)

    worker = Later(0.0, flood)
    worker.join(WATCHDOG)
    assert not worker.is_alive(), "activate() from a thread blocked while no loop ran"
    worker.finish()
    base.loop(nonblock=True)
    assert sorted(arg for _, _, arg in rec.calls) == list(range(1000))


def test_a_flood_of_calls_while_the_loop_thread_is_busy_is_neither_blocked_nor_lost(
    base: Any, core: Any, pair: Any
) -> None:
    """The loop's thread is stuck in a callback (draining nothing) until a thread has made
    100,000 calls: a wakeup per call into a pipe would fill it and block that thread (a
    deadlock here) or drop wakeups. After the callback, every event runs, once each."""
    rec = Recorder()
    evs = [core.Event(base, -1, EV_TIMEOUT, rec, k) for k in range(1000)]
    flooded = threading.Event()

    def flood() -> None:
        try:
            for _ in range(100):
                for ev in evs:
                    ev.activate(EV_TIMEOUT)
        finally:
            flooded.set()

    def hold(fd: int, events: int, arg: Any) -> None:
        Later(0.0, flood)
        assert flooded.wait(WATCHDOG), "activate() from a thread blocked"
        base.loopexit(0.1)  # then run what the flood activated, and stop

    keeper(core, base, pair[0])
    fired = watchdog(core, base)
    core.Timer(base, hold).attach(0)
    base.dispatch()
    assert not fired
    assert base.got_exit
    assert sorted(arg for _, _, arg in rec.calls) == list(range(1000))


# -- a callback that waits for a thread calling into the base ------------------------------------
#
# The loop's thread may run its callbacks without giving the base's lock back (the loop's
# module says when): a callback that blocks until another thread has called into the base
# must see that call complete, never deadlock. Each test bounds its wait (WATCHDOG), so a
# deadlock fails the test instead of hanging it; each base is fresh, so the thread's call is
# the first from another thread in the base's life.


def _calls(core: Any, base: Any, ran: Recorder) -> dict[str, Callable[[], Any]]:
    """A call of each kind, from another thread, on a base whose loop is running."""
    ev = core.Event(base, -1, EV_TIMEOUT, ran, "activated")
    timer = core.Timer(base, ran, "attached")
    pending = core.Timer(base, ran, "detached")
    pending.attach(60)
    return {
        "activate": lambda: ev.activate(EV_TIMEOUT),
        "attach": lambda: timer.attach(0),
        "detach": pending.detach,
        "loopexit": lambda: base.loopexit(0.05),
        "stats": base.stats,
        "priority": lambda: setattr(timer, "priority", 0),
        "new event": lambda: core.Event(base, -1, EV_TIMEOUT, ran).attach(0),
    }


@pytest.mark.parametrize(
    "call", ["activate", "attach", "detach", "loopexit", "stats", "priority", "new event"]
)
def test_a_callback_joining_a_thread_that_calls_into_the_base(
    base: Any, core: Any, pair: Any, call: str
) -> None:
    ran = Recorder()
    fn = _calls(core, base, ran)[call]
    joined: list[bool] = []

    def cb(fd: int, events: int, arg: Any) -> None:
        worker = threading.Thread(target=fn, daemon=True)
        worker.start()
        worker.join(WATCHDOG)
        joined.append(not worker.is_alive())
        base.loopexit(0.05)

    core.Timer(base, cb).attach(0)
    keeper(core, base, pair[0])
    fired = watchdog(core, base)
    base.dispatch()
    assert joined == [True], f"{call}() from a thread the callback joined did not return"
    assert not fired
    assert base.got_exit
    if call in ("activate", "attach"):
        assert [arg for _, _, arg in ran.calls] == [
            {"activate": "activated", "attach": "attached"}[call]
        ]
    if call == "detach":
        assert ran.count == 0


def test_a_callback_waiting_on_a_future_that_a_worker_completes_after_activate(
    base: Any, core: Any, pair: Any
) -> None:
    """The concurrent.futures shape of the same wait: run_in_executor-style code."""
    ran = Recorder(lambda fd, events, arg: base.loopexit())
    ev = core.Event(base, -1, EV_TIMEOUT, ran)
    results: list[int] = []

    def work() -> int:
        ev.activate(EV_TIMEOUT)
        return 42

    def cb(fd: int, events: int, arg: Any) -> None:
        with ThreadPoolExecutor(max_workers=2) as pool:
            futures = [pool.submit(work) for _ in range(4)]
            results.extend(f.result(timeout=WATCHDOG) for f in futures)

    core.Timer(base, cb).attach(0)
    keeper(core, base, pair[0])
    fired = watchdog(core, base)
    base.dispatch()
    assert not fired
    assert results == [42] * 4
    assert ran.count == 1  # four activations before it ran: one run


def test_a_callback_calling_the_base_while_a_thread_it_waits_for_does(
    base: Any, core: Any, pair: Any
) -> None:
    """The loop's thread and a worker call in turn and at once, inside one callback."""
    ran = Recorder()
    evs = [core.Event(base, -1, EV_TIMEOUT, ran, k) for k in range(50)]
    spare = core.Timer(base, ran, "spare")
    writer = core.Event(base, pair[1], EV_WRITE, ran, "writable")
    stop = threading.Event()

    def churn() -> None:
        while not stop.is_set():
            for ev in evs:
                ev.activate(EV_TIMEOUT)

    def cb(fd: int, events: int, arg: Any) -> None:
        spare.attach(60)  # the loop's thread first
        worker = threading.Thread(target=churn, daemon=True)
        worker.start()
        for _ in range(2000):  # both at once
            spare.attach(60)
            spare.detach()
            base.now()
        writer.attach()
        stop.set()
        worker.join(WATCHDOG)
        assert not worker.is_alive()
        spare.detach()  # and the loop's thread alone again
        base.loopexit(0.05)

    core.Timer(base, cb).attach(0)
    keeper(core, base, pair[0])
    fired = watchdog(core, base)
    base.dispatch()
    assert not fired
    assert base.got_exit
    assert sorted(arg for _, _, arg in ran.calls if arg != "writable") == list(range(50))
    assert ran.events.count(EV_WRITE) == 1


def test_threads_calling_in_while_the_callback_that_started_them_waits(
    base: Any, core: Any, pair: Any
) -> None:
    """Several threads call in while the loop's thread is blocked in a callback: each call
    returns, and the loop, carried on, runs what they activated and attached, once each."""
    ran = Recorder()
    n_threads, per_thread = 4, 200

    def work(t: int) -> None:
        for i in range(per_thread):
            if i % 2:
                core.Event(base, -1, EV_TIMEOUT, ran, (t, i)).activate(EV_TIMEOUT)
            else:
                core.Timer(base, ran, (t, i)).attach(0)

    def cb(fd: int, events: int, arg: Any) -> None:
        workers = [threading.Thread(target=work, args=(t,), daemon=True) for t in range(n_threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join(WATCHDOG)
            assert not w.is_alive()
        base.loopexit(0.05)

    # Some callbacks first, with no other thread: the wait comes well into the base's life.
    warm = Recorder()
    for _ in range(100):
        core.Timer(base, warm).attach(0)
    base.loop(nonblock=True)
    assert warm.count == 100
    core.Timer(base, cb).attach(0)
    keeper(core, base, pair[0])
    fired = watchdog(core, base)
    base.dispatch()
    assert not fired
    assert base.got_exit
    want = sorted((t, i) for t in range(n_threads) for i in range(per_thread))
    assert sorted(arg for _, _, arg in ran.calls) == want
