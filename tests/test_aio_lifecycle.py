"""``fdevent.aio`` at the edges of a loop's life: closed with work pending, and after fork.

A loop closed with tasks pending, transports open or executor work running releases every fd
(counted in ``/proc/self/fd``) and says what the stdlib's loop says in the same case (the
same scenario runs on the stock loop, and the two reports are compared). A forked child makes
and runs a loop of its own.
"""

from __future__ import annotations

import asyncio
import gc
import os
import socket
import time
import warnings
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest
from support.process import fork_child, wait_child


def _fd_count() -> int:
    return len(os.listdir("/proc/self/fd"))


def _make_fdevent(core: ModuleType, backend: str) -> Callable[[], Any]:
    aio = __import__(f"{core.__name__}.aio", fromlist=["Loop"])

    def make() -> Any:
        # The loop makes its own base on the backend: it closes it with itself.
        base = core.EventBase(backend=backend)
        lp = aio.Loop(base)
        lp._test_base = base  # closed by _close below, as a base given to a loop is
        return lp

    return make


def _close(lp: Any) -> None:
    lp.close()
    base = getattr(lp, "_test_base", None)
    if base is not None:
        base.close()


async def _pending_work(lp: asyncio.AbstractEventLoop) -> None:
    """Leave a task pending, a connection open both ways, and executor work running."""
    lp.create_task(asyncio.sleep(3600))
    server = await lp.create_server(asyncio.Protocol, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    await lp.create_connection(asyncio.Protocol, "127.0.0.1", port)
    lp.run_in_executor(None, time.sleep, 0.2)
    await asyncio.sleep(0.05)  # the server accepts


def _scenario(make: Callable[[], Any]) -> tuple[int, list[str], list[str]]:
    """Run the pending-work scenario; returns (fds left over, warnings, handler messages)."""
    gc.collect()
    before = _fd_count()
    reported: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        lp = make()
        lp.set_exception_handler(lambda _lp, ctx: reported.append(ctx["message"]))
        lp.run_until_complete(_pending_work(lp))
        _close(lp)
        del lp
        for _ in range(3):
            gc.collect()
        time.sleep(0.3)  # the executor's sleep ends and its thread goes
    kinds = sorted({f"{w.category.__name__}: {str(w.message).split(' ')[0]}" for w in caught})
    # A recorded warning keeps its source alive: an unclosed transport (and, through it, its
    # server and the listening socket). Whether the collector finalized those before or
    # after the recording is not the loop's doing; what is left once they go is.
    del caught
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        for _ in range(3):
            gc.collect()
    return _fd_count() - before, kinds, sorted(set(reported))


def test_closed_with_work_pending_releases_fds_and_warns_as_stdlib(
    core: ModuleType, backend: str
) -> None:
    stock_left, stock_warned, stock_reported = _scenario(asyncio.SelectorEventLoop)
    left, warned, reported = _scenario(_make_fdevent(core, backend))
    assert left == 0, "fds left over after the loop was closed"
    assert stock_left == 0
    assert warned == stock_warned
    assert reported == stock_reported
    # What the stdlib says here, so the comparison cannot pass on two empty lists.
    assert any("unclosed" in w for w in warned), warned
    assert "Task was destroyed but it is pending!" in reported


def test_forked_child_runs_a_loop_of_its_own(core: ModuleType, backend: str) -> None:
    aio = __import__(f"{core.__name__}.aio", fromlist=["Loop"])
    parent = aio.Loop(core.EventBase(backend=backend))
    parent.run_until_complete(asyncio.sleep(0))  # the parent's loop has run

    def child() -> int:
        lp = aio.Loop(core.EventBase(backend=backend))

        async def echo() -> bytes:
            a, b = socket.socketpair()
            a.setblocking(False)
            b.setblocking(False)
            await lp.sock_sendall(a, b"from the child")
            got: bytes = await asyncio.wait_for(lp.sock_recv(b, 100), 5)
            a.close()
            b.close()
            return got

        ok = lp.run_until_complete(echo()) == b"from the child"
        lp.close()
        return 0 if ok else 1

    assert wait_child(fork_child(child)) == 0
    # The parent's loop is untouched by the child's.
    assert parent.run_until_complete(asyncio.sleep(0.01, "still")) == "still"
    base = parent.base
    parent.close()
    base.close()


@pytest.mark.parametrize("where", ["running", "closed"])
def test_loop_close_refuses_while_running_and_is_idempotent(
    core: ModuleType, backend: str, where: str
) -> None:
    make = _make_fdevent(core, backend)
    lp = make()
    if where == "running":

        async def main() -> None:
            with pytest.raises(RuntimeError):
                lp.close()

        lp.run_until_complete(main())
    _close(lp)
    lp.close()  # a second close does nothing
    assert lp.is_closed()
