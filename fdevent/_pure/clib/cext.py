"""C-only helpers: the one module where names that exist only in a ``.pxd`` are called.

The compiled core reaches a few C functions Python has no name for (``cext.pxd`` declares
them from ``_cext.h``); the pure core takes the standard library's equivalent. Each such call
is wrapped here, once, so type checkers and linters are told once that the name is C's
(the ``# type: ignore[name-defined]  # noqa: F821`` waivers), and the rest of the tree calls
a typed function that exists in both cores.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from . import shim as cython
else:
    try:
        import cython
    except ImportError:  # pragma: no cover - the pure core without Cython installed
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
