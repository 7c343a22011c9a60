"""asyncio on fdevent: an asyncio event loop run by an ``EventBase``, and the reverse.

``Loop(base=None)`` is an asyncio event loop whose iterations are the base's; ``loop.base``
is that base, so fdevent events, timers and streams attached to it run in the loop's thread
between asyncio callbacks. ``new_event_loop()``, ``run(main)`` and ``EventLoopPolicy`` are
the ways in; ``await serve(base)`` runs a base's events inside any running asyncio loop.
Published as ``fdevent.aio`` from whichever core ``fdevent`` uses.

Why this shape
--------------

``Loop`` subclasses the stdlib's Unix selector loop (``asyncio.SelectorEventLoop``, which is
``selector_events.BaseSelectorEventLoop`` plus the Unix parts) and replaces only what decides
*when* things run:

- Its selector (``selector.py``) is a registration table whose registrations are events of
  the base; readiness comes from the base's poll and runs the reader's or writer's handle.
- ``_run_once`` is one iteration of the base; the ready queue is drained by one event of the
  base (asyncio's snapshot rule: what a callback schedules runs after the next poll); each
  ``call_at`` is a timer on the base's heap and never runs before ``time() >= when``;
  ``time()`` is the base's clock; ``call_soon_threadsafe`` wakes the loop through the base's
  wakeup.

The Unix parts that concern the process go through fdevent (``unix.py``): signal handlers
are fdevent ``Signal`` events (fdevent's process registry, no ``set_wakeup_fd``), children are
watched by pidfd events on the base (no SIGCHLD handler, no watcher thread), and 3.10/3.11
get what 3.11/3.12 added (the datagram ``sock_*`` calls, a datagram transport that is an
``asyncio.DatagramTransport``).

Everything else is the running Python's own code: transports (so ``isinstance(t,
asyncio.Transport)`` holds), ``sock_*``, ``create_connection`` with happy eyeballs,
``Server``, SSL, sendfile (the Unix loop's own, on ``os.sendfile``), pipes, executors, debug
checks. That is the cheapest route to a loop that behaves as the stdlib's does on each of
3.10-3.13 (the stdlib's own conformance tests run against it: ``tests/test_aio_conformance.py``),
and it leaves the hot paths as seams to replace one at a time, each measured. The private
names overridden (``_run_once``, ``_call_soon``, ``_add_callback``, ``_write_to_self``,
``_timer_handle_cancelled``, ``_make_subprocess_transport``, ``_make_datagram_transport``, the
selector's interface) are the same on 3.10-3.13.

The hot paths replaced so far, each measured: handles made and run in C (``handles.py``),
and the socket transport's reads and writes on the streams' C calls, a ``BufferedProtocol``
filled in C (``transports.py``). Not built yet: the readiness -> transport -> protocol call
made without an ``asyncio.Handle`` per read, the timers' calls through the base's typed
internals instead of the public ``Event`` methods, and a public hook in the core for
``serve()`` (it now reads the base's fd table, wait time and polling flag directly: see
``serve.py``).
"""

from __future__ import annotations

from .loop import Loop as Loop
from .runners import EventLoopPolicy as EventLoopPolicy
from .runners import new_event_loop as new_event_loop
from .runners import run as run
from .serve import serve as serve

__all__ = ["EventLoopPolicy", "Loop", "new_event_loop", "run", "serve"]
