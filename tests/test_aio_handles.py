"""``fdevent.aio``'s handles: made and run in C outside debug mode, the stdlib's in every way
a program can see. Each check runs on the stock loop too, so a difference fails as a pair.
"""

from __future__ import annotations

import asyncio
import contextvars
import gc
import weakref
from typing import Any

import pytest

VAR: contextvars.ContextVar[str] = contextvars.ContextVar("VAR", default="unset")


@pytest.fixture
def loop(aio_or_stock_loop: Any) -> Any:
    """An fdevent.aio loop (each core, each backend), or the stock loop."""
    return aio_or_stock_loop


def _drain(lp: Any) -> None:
    lp.run_until_complete(asyncio.sleep(0))
    lp.run_until_complete(asyncio.sleep(0))


def test_call_soon_handle_is_asyncios_and_runs_in_order_with_context(loop: Any) -> None:
    got: list[tuple[str, int]] = []
    ctx = contextvars.copy_context()
    ctx.run(VAR.set, "given")
    handles = [loop.call_soon(lambda i=i: got.append((VAR.get(), i))) for i in range(3)]
    handles.append(loop.call_soon(lambda: got.append((VAR.get(), 3)), context=ctx))
    for h in handles:
        assert type(h) is asyncio.Handle
        assert not h.cancelled()
        assert "Handle" in repr(h) and "<lambda>" in repr(h)
    _drain(loop)
    assert got == [("unset", 0), ("unset", 1), ("unset", 2), ("given", 3)]


def test_cancelled_handle_does_not_run_and_drops_its_callback(loop: Any) -> None:
    got: list[int] = []

    class Payload:
        pass

    payload = Payload()
    ref = weakref.ref(payload)
    h = loop.call_soon(got.append, payload)
    loop.call_soon(got.append, 1)
    h.cancel()
    assert h.cancelled()
    del payload
    gc.collect()
    assert ref() is None  # cancel() let go of the args, as the stdlib's does
    _drain(loop)
    assert got == [1]
    assert "cancelled" in repr(h)


def test_timer_handle_is_asyncios_and_cancel_is_the_stdlibs(loop: Any) -> None:
    got: list[str] = []
    t = loop.call_later(0.01, got.append, "late")
    dead = loop.call_later(0.01, got.append, "cancelled")
    at = loop.call_at(loop.time() + 0.02, got.append, "at")
    for h in (t, dead, at):
        assert isinstance(h, asyncio.TimerHandle)
        assert "when=" in repr(h)
    assert t.when() <= at.when()
    dead.cancel()
    dead.cancel()  # twice: nothing more
    assert dead.cancelled()
    loop.run_until_complete(asyncio.sleep(0.05))
    assert got == ["late", "at"]


def _boom(x: int) -> None:
    raise ZeroDivisionError(x)


def _reports(lp: Any) -> list[dict[str, Any]]:
    reports: list[dict[str, Any]] = []
    lp.set_exception_handler(lambda _lp, ctx: reports.append(ctx))
    h = lp.call_soon(_boom, 7)
    t = lp.call_later(0, _boom, 8)
    lp.run_until_complete(asyncio.sleep(0.01))
    assert [r["handle"] for r in reports] == [h, t]
    return reports


def test_callback_exception_reported_as_stdlib(loop: Any) -> None:
    stock = asyncio.SelectorEventLoop()
    try:
        want = _reports(stock)
    finally:
        stock.close()
    got = _reports(loop)
    assert [sorted(r) for r in got] == [sorted(r) for r in want]  # the same keys
    assert [r["message"] for r in got] == [r["message"] for r in want]
    assert [r["exception"].args for r in got] == [(7,), (8,)]
    assert all(type(r["exception"]) is ZeroDivisionError for r in got)
    assert all(r["message"].startswith("Exception in callback _boom") for r in got)


def test_debug_mode_handles_carry_source_tracebacks(loop: Any) -> None:
    loop.set_debug(True)
    h = loop.call_soon(lambda: None)
    t = loop.call_later(0, lambda: None)
    a = loop.call_at(loop.time(), lambda: None)
    s = loop.call_soon_threadsafe(lambda: None)
    for handle in (h, t, a, s):
        tb = handle._source_traceback
        assert tb, "debug mode keeps where the handle was made"
        assert tb[-1].name == test_debug_mode_handles_carry_source_tracebacks.__name__
    _drain(loop)


def test_closed_loop_refuses(loop: Any) -> None:
    loop.close()
    for call in (
        lambda: loop.call_soon(print),
        lambda: loop.call_later(1, print),
        lambda: loop.call_at(1.0, print),
    ):
        with pytest.raises(RuntimeError, match="closed"):
            call()


def test_keyboard_interrupt_from_callback_propagates(loop: Any) -> None:
    def interrupt() -> None:
        raise KeyboardInterrupt

    loop.call_soon(interrupt)
    with pytest.raises(KeyboardInterrupt):
        loop.run_forever()
    # The loop is usable afterwards, as the stdlib's.
    assert loop.run_until_complete(asyncio.sleep(0, "again")) == "again"
