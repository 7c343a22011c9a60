"""``fdevent.aio``: the asyncio loop on an EventBase, on both cores and every backend.

The conformance of the loop to asyncio's contract is CPython's own tests
(``test_aio_conformance.py``); these are fdevent's promises on top: the base under the loop,
timers that never fire early, fdevent events and asyncio tasks on one loop, ``serve()`` in a
stock loop, the thread wakeup, and errors worded as the stdlib loop words them (each checked
against the stock loop, so a difference shows up as a failing pair).
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import random
import socket
import threading
import time
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest

import fdevent
import fdevent.aio
from fdevent import EV_PERSIST, EV_READ
from fdevent.testing import MockClock

#: Generous ceiling for "it did happen" on a slow CI machine (real time).
LATE = 2.0


@pytest.fixture
def aio(core: ModuleType) -> ModuleType:
    """The core's own ``aio`` package (``fdevent.aio`` publishes one of the two)."""
    mod = importlib.import_module(f"{core.__name__}.aio")
    assert mod.Loop.__module__ == f"{core.__name__}.aio.loop"
    return mod


@pytest.fixture
def loop(aio: ModuleType, core: ModuleType, backend: str) -> Iterator[Any]:
    """A Loop on a fresh base of ``backend``; the loop owns it."""
    lp = aio.Loop(core.EventBase(backend=backend))
    try:
        yield lp
    finally:
        lp.close()


def test_published_from_fdevents_core() -> None:
    assert fdevent.aio.Loop.__module__ == f"fdevent._{fdevent.CORE}.aio.loop"
    assert set(fdevent.aio.__all__) == {"Loop", "new_event_loop", "run", "EventLoopPolicy", "serve"}


def test_loop_basics(loop: Any, backend: str) -> None:
    assert isinstance(loop, asyncio.AbstractEventLoop)
    assert loop.base.backend == backend
    assert "Loop running=False closed=False" in repr(loop)

    async def main() -> str:
        assert asyncio.get_running_loop() is loop
        await asyncio.sleep(0.01)
        return "done"

    assert loop.run_until_complete(main()) == "done"
    assert not loop.is_running()


def test_transports_are_asyncios(loop: Any) -> None:
    async def main() -> None:
        got: list[bytes] = []

        async def handle(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            got.append(await r.readline())
            w.write(b"pong\n")
            await w.drain()
            w.close()

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        r, w = await asyncio.open_connection("127.0.0.1", port)
        assert isinstance(w.transport, asyncio.Transport)
        w.write(b"ping\n")
        assert await r.readline() == b"pong\n"
        w.close()
        await w.wait_closed()
        server.close()
        await server.wait_closed()
        assert got == [b"ping\n"]

    loop.run_until_complete(asyncio.wait_for(main(), LATE * 5))


def test_close_closes_an_owned_base_only(aio: ModuleType, core: ModuleType) -> None:
    owned = aio.Loop()
    base = owned.base
    assert isinstance(base, core.EventBase)
    owned.close()
    assert base.closed

    mine = core.EventBase()
    lp = aio.Loop(mine)
    lp.call_later(3600, lambda: None)
    lp.call_soon(lambda: None)
    lp.close()
    assert not mine.closed
    assert mine.events() == []  # the loop's timers, readers and ready event are gone
    mine.close()


def test_call_at_never_early(loop: Any) -> None:
    rng = random.Random(7)
    early: list[tuple[float, float]] = []
    fired: list[float] = []

    def check(when: float) -> None:
        now = loop.time()
        fired.append(now)
        if now < when or time.monotonic() < when:
            early.append((when, now))

    start = loop.time()
    for _ in range(300):
        when = start + rng.uniform(0.0, 0.03)
        loop.call_at(when, check, when)
    loop.call_later(0.03, loop.call_later, 0.01, loop.stop)
    loop.run_forever()
    assert len(fired) == 300
    assert early == []
    assert max(fired) - start < LATE


def test_call_later_counts_from_the_call(loop: Any) -> None:
    # time() is read fresh, not the iteration's cached time: a callback that ran for a while
    # and then schedules gets its full delay.
    seen: list[float] = []

    def busy_then_schedule() -> None:
        end = time.monotonic() + 0.02
        while time.monotonic() < end:
            pass
        called = time.monotonic()
        loop.call_later(0.01, lambda: (seen.append(time.monotonic() - called), loop.stop()))

    loop.call_soon(busy_then_schedule)
    loop.run_forever()
    assert seen and seen[0] >= 0.01


def test_time_is_the_bases_clock(aio: ModuleType, core: ModuleType) -> None:
    clock = MockClock(start=100.0, autojump=True)
    lp = aio.Loop(core.EventBase(clock=clock))
    try:
        assert lp.time() == 100.0

        async def nap() -> float:
            await asyncio.sleep(3600)
            return lp.time()

        t0 = time.monotonic()
        assert lp.run_until_complete(nap()) >= 3700.0
        assert time.monotonic() - t0 < LATE
    finally:
        lp.close()


def test_fdevent_events_and_asyncio_tasks_interleave(loop: Any, core: ModuleType) -> None:
    base = loop.base
    order: list[str] = []
    a, b = socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)

    def on_read(fd: int, events: int, arg: Any) -> None:
        order.append("fdevent read " + a.recv(100).decode())

    reader = core.Event(base, a, EV_READ | EV_PERSIST, on_read)
    reader.attach()
    core.Timer(base, lambda fd, ev, arg: order.append("fdevent timer")).attach(0.02)

    async def writer() -> None:
        for i in range(3):
            b.send(str(i).encode())
            order.append(f"task wrote {i}")
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.03)

    try:
        loop.run_until_complete(writer())
    finally:
        reader.detach()
        a.close()
        b.close()
    assert [x for x in order if x.startswith("task")] == [
        "task wrote 0",
        "task wrote 1",
        "task wrote 2",
    ]
    for i in range(3):
        # Each write is read by the fdevent event before the task writes again.
        assert order.index(f"fdevent read {i}") == order.index(f"task wrote {i}") + 1
    assert "fdevent timer" in order


def test_fdevent_callback_error_goes_to_the_exception_handler(
    aio: ModuleType, core: ModuleType
) -> None:
    lp = aio.Loop()
    seen: list[dict[str, Any]] = []
    lp.set_exception_handler(lambda loop, ctx: seen.append(ctx))

    def boom(fd: int, events: int, arg: Any) -> None:
        raise ValueError("boom")

    try:
        core.Timer(lp.base, boom).attach(0)
        lp.run_until_complete(asyncio.sleep(0.02))
    finally:
        lp.close()
    assert len(seen) == 1 and isinstance(seen[0]["exception"], ValueError)


def test_call_soon_threadsafe_wakes_the_loop(loop: Any) -> None:
    done = loop.create_future()
    sent: list[float] = []

    def later() -> None:
        time.sleep(0.05)
        sent.append(time.monotonic())
        loop.call_soon_threadsafe(done.set_result, time.monotonic)

    thread = threading.Thread(target=later)
    thread.start()
    try:
        clock = loop.run_until_complete(asyncio.wait_for(done, LATE * 5))
    finally:
        thread.join()
    # The loop had nothing else to wake it: it woke for the thread's call, promptly.
    assert clock() - sent[0] < LATE


@pytest.mark.parametrize("stock_or_fdevent", ["stock", "fdevent"])
def test_serve_runs_a_base_inside_an_asyncio_loop(
    core: ModuleType, aio: ModuleType, backend: str, stock_or_fdevent: str
) -> None:
    base = core.EventBase(backend=backend)
    a, b = socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)
    got: list[bytes] = []
    ticks: list[float] = []

    def on_read(fd: int, events: int, arg: Any) -> None:
        got.append(a.recv(100))
        if len(got) == 3:
            reader.detach()

    reader = core.Event(base, a, EV_READ | EV_PERSIST, on_read)
    reader.attach()
    t0 = time.monotonic()
    core.Timer(base, lambda fd, ev, arg: ticks.append(time.monotonic())).attach(0.02)

    async def main() -> None:
        task = asyncio.ensure_future(aio.serve(base))
        for i in range(3):
            await asyncio.sleep(0.01)
            b.send(b"x%d" % i)
        await asyncio.wait_for(task, LATE * 5)  # ends: nothing attached any more

    factory = asyncio.SelectorEventLoop if stock_or_fdevent == "stock" else aio.Loop
    lp = factory()
    try:
        lp.run_until_complete(main())
    finally:
        lp.close()
        base.close()
        a.close()
        b.close()
    assert b"".join(got) == b"x0x1x2"
    assert len(ticks) == 1 and ticks[0] - t0 >= 0.02


def test_serve_ends_at_loopexit_and_sees_thread_calls(core: ModuleType, aio: ModuleType) -> None:
    base = core.EventBase()
    keep = core.Timer(base, lambda fd, ev, arg: None)
    keep.attach(3600)  # keeps serve() waiting: only the thread's loopexit ends it
    threading.Timer(0.05, base.loopexit).start()

    async def main() -> None:
        await asyncio.wait_for(aio.serve(base), LATE * 5)

    try:
        asyncio.run(main())
        assert base.got_exit
    finally:
        base.close()


def _errors(make: Any, action: Any) -> tuple[type[BaseException], str] | None:
    lp = make()
    try:
        action(lp)
    except Exception as exc:
        return type(exc), str(exc)
    finally:
        if not lp.is_closed():
            lp.close()
    return None


NOT_A_FILE = object()


def _run_closed(lp: Any) -> None:
    fut = lp.create_future()
    lp.close()
    lp.run_until_complete(fut)


async def _close_running(lp: Any) -> None:
    lp.close()


BAD_CALLS = {
    "call_at None": lambda lp: lp.call_at(None, print),
    "call_later str": lambda lp: lp.call_later("1", print),
    "add_reader -1": lambda lp: lp.add_reader(-1, print),
    "add_reader object": lambda lp: lp.add_reader(NOT_A_FILE, print),
    "remove_reader object": lambda lp: lp.remove_reader(NOT_A_FILE),
    "add_writer float": lambda lp: lp.add_writer(1.5, print),
    "call_soon_threadsafe closed": lambda lp: (lp.close(), lp.call_soon_threadsafe(print)),
    "close running": lambda lp: lp.run_until_complete(_close_running(lp)),
    "run_until_complete closed": lambda lp: _run_closed(lp),
    "call_soon closed": lambda lp: (lp.close(), lp.call_soon(print)),
    "call_later closed": lambda lp: (lp.close(), lp.call_later(1, print)),
}


@pytest.mark.parametrize("name", sorted(BAD_CALLS))
def test_bad_input_raises_what_the_stdlib_raises(aio: ModuleType, name: str) -> None:
    action = BAD_CALLS[name]
    stock = _errors(asyncio.SelectorEventLoop, action)
    ours = _errors(aio.Loop, action)
    assert stock is not None
    assert ours is not None and ours[0] is stock[0], (ours, stock)
    if name != "call_later str":  # the stdlib's message names its own arithmetic
        assert ours[1] == stock[1]


def test_bad_loop_arguments(aio: ModuleType, core: ModuleType) -> None:
    with pytest.raises(TypeError, match="base must be an fdevent EventBase"):
        aio.Loop("epoll")
    base = core.EventBase()
    base.close()
    with pytest.raises(RuntimeError, match="closed"):
        aio.Loop(base)


def test_run_and_the_policy(aio: ModuleType) -> None:
    async def main() -> str:
        return type(asyncio.get_running_loop()).__name__

    assert aio.run(main()) == "Loop"
    coro = asyncio.sleep(0)
    with pytest.raises(ValueError, match="a coroutine was expected"):
        aio.run(42)
    coro.close()

    async def nested() -> None:
        inner = main()
        try:
            aio.run(inner)
        finally:
            inner.close()

    with pytest.raises(RuntimeError, match="cannot be called from a running event loop"):
        aio.run(nested())

    old = asyncio.get_event_loop_policy()
    asyncio.set_event_loop_policy(aio.EventLoopPolicy())
    try:
        lp = asyncio.new_event_loop()
        assert isinstance(lp, aio.Loop)
        lp.close()
        assert asyncio.run(main()) == "Loop"
    finally:
        asyncio.set_event_loop_policy(old)


def test_new_event_loop(aio: ModuleType) -> None:
    lp = aio.new_event_loop()
    try:
        assert isinstance(lp, aio.Loop)
        assert not lp.base.closed
    finally:
        lp.close()


def _doc(obj: object) -> str | None:
    # Python 3.13 strips a docstring's indentation when it compiles; Cython does not.
    doc = obj.__doc__
    return inspect.cleandoc(doc) if doc else doc


def test_cores_have_the_same_aio() -> None:
    import inspect

    import fdevent._compiled.aio as compiled_aio
    import fdevent._pure.aio as pure_aio

    assert compiled_aio.__all__ == pure_aio.__all__
    for name in pure_aio.__all__:
        ours, theirs = getattr(pure_aio, name), getattr(compiled_aio, name)
        assert _doc(ours) == _doc(theirs), name
        if not isinstance(ours, type):
            assert str(inspect.signature(ours)) == str(inspect.signature(theirs)), name
    for method in ("__init__", "time", "call_at", "close"):
        ours, theirs = getattr(pure_aio.Loop, method), getattr(compiled_aio.Loop, method)
        assert _doc(ours) == _doc(theirs), method
        assert str(inspect.signature(ours)) == str(inspect.signature(theirs)), method
    assert _doc(compiled_aio.Loop.base) == _doc(pure_aio.Loop.base)
