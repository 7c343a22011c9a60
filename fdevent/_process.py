"""What is shared by every base in the process, whichever core: signal handlers and fork.

Some facts, and what fdevent does about them:

- Python runs a signal handler installed with ``signal.signal`` in the main thread, between
  bytecodes, after the C-level handler has noted the signal; a blocking call in the main
  thread returns ``EINTR`` and the interpreter runs the handler then (PEP 475 retries the call
  afterwards). fdevent never installs a C handler and never calls ``signal.set_wakeup_fd``
  (asyncio owns that), so it coexists with asyncio: each signal is handled by whoever installed
  the handler for it last.
- fdevent's handler does nothing but note the signal on every base that watches it; each such
  base wakes its loop (its own thread wakeup) and runs the signal's events in its next
  iteration, in priority order like any event. A signal that arrives while no loop runs stays
  noted until one does.
- The first attached event for a signal anywhere in the process installs the handler and keeps
  the one it replaced; when the last one is detached the handler that was there before is put
  back exactly, unless someone replaced fdevent's meanwhile (then theirs stays). Only the main
  thread may install or restore a handler: a first attach elsewhere is a ``ValueError``, and a
  restore due in another thread is done at the next fdevent call in the main thread.
- After ``os.fork()`` the child shares the parent's epoll or kqueue set (one kernel object) and
  eventfd: a change by one would silently change the other's. A fork hook tells every base in
  the child; before the child next uses it, the base builds a fresh poller, registers its fds
  there and makes a fresh wakeup, never touching the shared ones but to close its copies.

Both cores use this one module, so a pure base and a compiled base in one process agree on
who installed what.
"""

from __future__ import annotations

import os
import signal
import threading
import weakref
from types import FrameType
from typing import Any

#: Signals no handler can catch, and so no event can wait for.
UNCATCHABLE = frozenset({signal.SIGKILL, signal.SIGSTOP})

_lock = threading.RLock()
#: signum -> the bases watching it, with how many attached events each has.
_watchers: dict[int, weakref.WeakKeyDictionary[Any, int]] = {}
#: signum -> the handler fdevent replaced.
_saved: dict[int, Any] = {}
#: Restores due when the last event was detached outside the main thread.
_deferred: set[int] = set()
#: Every base in the process, for the fork hook and deferred restores.
_bases: weakref.WeakSet[Any] = weakref.WeakSet()


def check_signal(signum: int) -> None:
    """Raise ValueError unless an event can wait for ``signum``."""
    if signum in UNCATCHABLE:
        raise ValueError(f"signal {signum} ({signal.Signals(signum).name}) cannot be caught")
    if signum not in signal.valid_signals():
        raise ValueError(f"{signum} is not a signal number on this platform")


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _handler(signum: int, frame: FrameType | None) -> None:
    # fdevent's handler: note the signal on each base that watches it (they wake their loops).
    watchers = _watchers.get(signum)
    if watchers is None:
        return
    for base in list(watchers.keys()):
        base._signal_arrived(signum)


def watch(signum: int, base: Any) -> None:
    """Count one more attached event for ``signum`` on ``base``; install the handler if first.

    Raises:
        ValueError: the handler must be installed and this is not the main thread.
    """
    with _lock:
        watchers = _watchers.get(signum)
        if watchers is None:
            if not _in_main_thread():
                raise ValueError(
                    f"the first event for signal {signum} must be attached in the main thread "
                    "(Python installs signal handlers only there)"
                )
            previous = signal.signal(signum, _handler)
            _deferred.discard(signum)
            if signum not in _saved:
                _saved[signum] = previous
            watchers = _watchers[signum] = weakref.WeakKeyDictionary()
        watchers[base] = watchers.get(base, 0) + 1


def unwatch(signum: int, base: Any) -> None:
    """Count one attached event fewer; restore the previous handler after the last one."""
    with _lock:
        watchers = _watchers.get(signum)
        if watchers is None or base not in watchers:
            return
        left = watchers[base] - 1
        if left:
            watchers[base] = left
            return
        del watchers[base]
        if len(watchers):
            return
        del _watchers[signum]
        if _in_main_thread():
            _restore(signum)
        else:
            _deferred.add(signum)
            for other in list(_bases):
                other._set_maintenance()


def _restore(signum: int) -> None:
    previous = _saved.pop(signum, None)
    if signal.getsignal(signum) is not _handler:
        return  # the user replaced fdevent's handler meanwhile: theirs stays
    # None means the previous handler was not installed from Python: the default is the
    # closest Python can put back.
    signal.signal(signum, signal.SIG_DFL if previous is None else previous)


def run_deferred() -> bool:
    """Do the restores that were due in another thread, if this is the main thread.

    Returns whether none is left.
    """
    if not _deferred:
        return True
    if not _in_main_thread():
        return False
    with _lock:
        for signum in list(_deferred):
            _deferred.discard(signum)
            if signum not in _watchers:
                _restore(signum)
    return True


def track(base: Any) -> None:
    """Remember ``base`` for the fork hook."""
    _bases.add(base)


def _after_fork_in_child() -> None:
    global _lock
    _lock = threading.RLock()  # a thread of the parent may have held it: it is not here
    for base in list(_bases):
        base._after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
