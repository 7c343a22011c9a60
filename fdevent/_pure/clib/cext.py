"""C-only helpers: the one module where names that exist only in a ``.pxd`` are called.

The compiled core reaches a few C functions Python has no name for (``cext.pxd`` declares
them from ``_cext.h``); the pure core takes the standard library's equivalent. Each such call
is wrapped here, once, so type checkers and linters are told once that the name is C's
(the ``# type: ignore[name-defined]  # noqa: F821`` waivers), and the rest of the tree calls
a typed function that exists in both cores.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from . import shim as cython
else:
    try:
        import cython
    except ImportError:  # pragma: no cover - the pure core without Cython installed
        from . import shim as cython
    if not cython.compiled:  # at run time the pure core takes the shim (its docstring)
        from . import shim as cython

_monotonic = time.monotonic


@cython.ccall
@cython.exceptval(-1.0, check=True)
def monotonic() -> cython.double:
    """``time.monotonic()``; in the compiled core on Linux, CLOCK_MONOTONIC read in C.

    The same value for the same instant (``_cext.h`` says why), without a Python call or a
    float object: the base reads it at least once per iteration.
    """
    if cython.compiled:
        t: cython.double = fdevent_monotonic()  # type: ignore[name-defined]  # noqa: F821
        if t >= 0.0:
            return t
    return _monotonic()


# -- the base's lock, and thread identity ----------------------------------------------

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
    @cython.exceptval(check=False)
    def acquire(self, blocking: cython.bint = True) -> cython.bint:
        """Take the lock and return True; if another thread holds it, wait for it (with the
        GIL released), or return False at once when not ``blocking`` (``threading.Lock``'s)."""
        if cython.compiled:
            lock = self._lock
            if PyThread_acquire_lock(lock, 0):  # type: ignore[name-defined]  # noqa: F821
                return True
            if not blocking:
                return False
            with cython.nogil:
                PyThread_acquire_lock(lock, 1)  # type: ignore[name-defined]  # noqa: F821
        return True

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
