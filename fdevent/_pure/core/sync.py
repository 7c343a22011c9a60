"""The base's lock and the calling thread's identity, in C in the compiled core.

The compiled core takes and releases the lock with ``PyThread_acquire_lock`` directly (a
blocking acquire releases the GIL, or the thread holding the lock could never give it back);
the pure core uses ``threading.Lock``, whose methods it calls directly.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # Type checkers read the shim's typed no-ops, never Cython's untyped decorators: so an
    # installed fdevent is typed for its users whether or not Cython is installed.
    from ..clib import shim as cython
else:
    try:
        import cython
    except ImportError:  # pragma: no cover - the pure core without Cython installed
        from ..clib import shim as cython

_get_ident = threading.get_ident


@cython.final
@cython.cclass
class CLock:
    """A non-reentrant lock on ``PyThread_type_lock`` (compiled core only)."""

    def __init__(self) -> None:
        if cython.compiled:
            self._lock = PyThread_allocate_lock()  # type: ignore[name-defined]  # noqa: F821
            if not self._lock:
                raise MemoryError("cannot allocate a lock")

    def __dealloc__(self) -> None:
        if cython.compiled and self._lock:
            PyThread_free_lock(self._lock)  # type: ignore[name-defined]  # noqa: F821

    @cython.cfunc
    def acquire(self) -> None:
        """Take the lock, waiting (with the GIL released) if another thread holds it."""
        if cython.compiled:
            lock = self._lock
            if not PyThread_acquire_lock(lock, 0):  # type: ignore[name-defined]  # noqa: F821
                with cython.nogil:
                    PyThread_acquire_lock(lock, 1)  # type: ignore[name-defined]  # noqa: F821

    @cython.cfunc
    def release(self) -> None:
        """Give the lock back."""
        if cython.compiled:
            PyThread_release_lock(self._lock)  # type: ignore[name-defined]  # noqa: F821


def new_lock() -> Any:
    """A fresh lock for a base: a ``CLock`` compiled, a ``threading.Lock`` pure."""
    if cython.compiled:
        return CLock()
    return threading.Lock()


@cython.ccall
@cython.exceptval(check=False)
def thread_id() -> cython.ulong:
    """The calling thread's identity (``threading.get_ident()``)."""
    if cython.compiled:
        return PyThread_get_thread_ident()  # type: ignore[name-defined,no-any-return]  # noqa: F821
    return int(_get_ident())
