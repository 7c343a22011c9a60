"""Stand-in for the ``cython`` module: what the pure core runs on, Cython installed or not.

The core is written in Cython's pure-Python mode: the same ``.py`` files run as Python and
compile to C. The compiled core needs Cython only at build time, and the pure core must run
with nothing but the standard library, so each core module does::

    if TYPE_CHECKING:
        from ..clib import shim as cython
    else:
        try:
            import cython
        except ImportError:
            from ..clib import shim as cython
        if not cython.compiled:
            from ..clib import shim as cython

The compiler sees ``import cython`` (its directives) and drops the rest, as ``compiled`` is
true for it. Run as Python, a module takes this shim even where Cython is installed: Cython's
own pure-mode module checks and converts in every ``cast()`` and ``declare()``, which made
the pure core's ``call_later`` + ``cancel`` on ``fdevent.aio`` 2.2 times as slow (RESULTS.md,
section 14), and a benchmark of the pure core would measure Cython's module, not fdevent.

This shim provides just the names those modules use, as typed no-ops. Type checkers always
read it (never Cython's own module, whose decorators are untyped and would make every class
``Any`` for the users of an installed fdevent).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

_T = TypeVar("_T")

compiled = False

int = int  # noqa: A001 - mirrors cython.int
Py_ssize_t = int
uint = int
ulong = int
double = float
bint = bool


class _NoGil:
    """``with cython.nogil:`` releases the GIL when compiled; here it does nothing."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, *_exc: object) -> None:
        return None


nogil = _NoGil()


def cclass(cls: _T) -> _T:
    """Return ``cls`` unchanged (a ``cdef class`` when compiled)."""
    return cls


def freelist(_size: int) -> Callable[[_T], _T]:
    """Return a decorator that changes nothing (a free list of instances when compiled)."""
    return lambda cls: cls


def final(obj: _T) -> _T:
    """Return ``obj`` unchanged."""
    return obj


def inline(func: _T) -> _T:
    """Return ``func`` unchanged (an inline C function when compiled)."""
    return func


def cfunc(func: _T) -> _T:
    """Return ``func`` unchanged (a ``cdef`` function when compiled)."""
    return func


def ccall(func: _T) -> _T:
    """Return ``func`` unchanged (a ``cpdef`` function when compiled)."""
    return func


def exceptval(*_args: Any, **_kwargs: Any) -> Callable[[_T], _T]:
    """Return a decorator that changes nothing."""
    return lambda func: func


def annotation_typing(_enabled: bool) -> Callable[[_T], _T]:
    """Return a decorator that changes nothing."""
    return lambda func: func


def boundscheck(_enabled: bool) -> Callable[[_T], _T]:
    """Return a decorator that changes nothing (no index checks when compiled)."""
    return lambda func: func


def wraparound(_enabled: bool) -> Callable[[_T], _T]:
    """Return a decorator that changes nothing (no negative indexes when compiled)."""
    return lambda func: func


def declare(_type: Any, value: _T) -> _T:
    """Return ``value`` (a C variable of ``_type`` when compiled)."""
    return value


def cast(_type: Callable[..., _T], value: Any) -> _T:
    """Return ``value`` unchanged (an unchecked C cast when compiled)."""
    return value  # type: ignore[no-any-return]
