"""The ways into a ``Loop``: ``new_event_loop()``, ``run()`` and ``EventLoopPolicy``.

``asyncio.run(main, loop_factory=...)`` exists from 3.12 and ``asyncio.Runner`` (which takes
a loop factory) from 3.11, so ``run()`` is ``asyncio.Runner`` where there is one and, on 3.10,
the same steps written out: run ``main``, then cancel what is left, finish async generators
and the default executor, and close the loop.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Coroutine
from typing import Any, TypeVar

from .loop import Loop

_T = TypeVar("_T")


def new_event_loop() -> Loop:
    """A new ``Loop`` on a new ``EventBase`` (the default backend)."""
    return Loop()


class EventLoopPolicy(asyncio.DefaultEventLoopPolicy):  # type: ignore[misc,valid-type,name-defined,unused-ignore]
    """The stdlib's default policy, making ``fdevent.aio.Loop`` loops.

    ``asyncio.set_event_loop_policy(fdevent.aio.EventLoopPolicy())`` makes
    ``asyncio.new_event_loop()`` and ``asyncio.run()`` use fdevent, for programs and
    frameworks that choose their loop through the policy.
    """

    def new_event_loop(self) -> Loop:
        """A new ``Loop`` on a new ``EventBase``."""
        return Loop()


def run(main: Coroutine[Any, Any, _T], *, debug: bool | None = None) -> _T:
    """Run the coroutine ``main`` on a new ``Loop`` and return its result (``asyncio.run``).

    The loop is closed at the end, after the tasks left are cancelled and async generators
    and the default executor are shut down. ``debug``: the loop's debug mode (None: leave
    the default).

    What ``main`` raises propagates.

    Raises:
        RuntimeError: an asyncio loop is running in this thread.
        ValueError: ``main`` is not a coroutine (as ``asyncio.run``).
    """
    if asyncio.events._get_running_loop() is not None:
        raise RuntimeError("fdevent.aio.run() cannot be called from a running event loop")
    if sys.version_info >= (3, 11):
        with asyncio.Runner(debug=debug, loop_factory=new_event_loop) as runner:
            return runner.run(main)
    return _run_310(main, debug)


def _run_310(main: Coroutine[Any, Any, _T], debug: bool | None) -> _T:
    if not asyncio.iscoroutine(main):
        raise ValueError(f"a coroutine was expected, got {main!r}")
    loop = new_event_loop()
    try:
        asyncio.set_event_loop(loop)
        if debug is not None:
            loop.set_debug(debug)
        return loop.run_until_complete(main)
    finally:
        try:
            _cancel_all_tasks(loop)
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            asyncio.set_event_loop(None)
            loop.close()


def _cancel_all_tasks(loop: Loop) -> None:
    tasks = asyncio.all_tasks(loop)
    if not tasks:
        return
    for task in tasks:
        task.cancel()
    loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
    for task in tasks:
        if task.cancelled():
            continue
        if task.exception() is not None:
            loop.call_exception_handler(
                {
                    "message": "unhandled exception during fdevent.aio.run() shutdown",
                    "exception": task.exception(),
                    "task": task,
                }
            )
