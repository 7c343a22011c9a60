"""Argument checks shared by the event and base modules: one message for one mistake."""

from __future__ import annotations

import datetime
import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # Type checkers read the shim's typed no-ops, never Cython's untyped decorators: so an
    # installed fdevent is typed for its users whether or not Cython is installed.
    from ..clib import shim as cython
else:
    try:
        import cython
    except ImportError:  # pragma: no cover - the pure core without Cython installed
        from ..clib import shim as cython
    if not cython.compiled:  # at run time the pure core takes the shim (its docstring)
        from ..clib import shim as cython

_INF = math.inf


@cython.ccall
@cython.annotation_typing(False)
def fd_of(fd: object) -> int:
    """Return the fd number of an int or an object with ``fileno()``; TypeError otherwise.

    ValueError for an object whose ``fileno()`` is -1: a closed socket says so.
    """
    if type(fd) is int:
        return fd
    if isinstance(fd, bool) or not (isinstance(fd, int) or hasattr(fd, "fileno")):
        raise TypeError(f"fd must be an int or have a fileno() method, not {type(fd).__name__}")
    if isinstance(fd, int):
        return int(fd)
    num = fd.fileno()
    if type(num) is not int:
        raise TypeError(f"{fd!r}.fileno() returned {type(num).__name__}, not int")
    if num == -1:
        raise ValueError(f"{fd!r} is closed (its fileno() is -1)")
    return num


@cython.ccall
@cython.annotation_typing(False)
def check_int(name: str, value: object) -> int:
    """Return ``value`` if it is an int (not a bool); TypeError naming ``name`` otherwise."""
    if type(value) is not int and (isinstance(value, bool) or not isinstance(value, int)):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    return int(value)


@cython.ccall
@cython.exceptval(-1.0, check=True)
def timeout_seconds(timeout: object) -> cython.double:
    """Return ``timeout`` (int, float or timedelta) as float seconds, checked.

    Raises TypeError for another type (``bool`` included), ValueError for NaN or a negative
    value. Ints too large for a float count as infinite.
    """
    if type(timeout) is float:
        t: cython.double = timeout
    elif isinstance(timeout, datetime.timedelta):
        t = timeout.total_seconds()
    elif isinstance(timeout, (int, float)) and not isinstance(timeout, bool):
        try:
            t = float(timeout)
        except OverflowError:
            t = _INF if timeout > 0 else -_INF
    else:
        raise TypeError(
            f"timeout must be a number of seconds or a datetime.timedelta, "
            f"not {type(timeout).__name__}"
        )
    if t != t:
        raise ValueError("timeout must not be NaN")
    if t < 0.0:
        raise ValueError(f"timeout must be >= 0, got {timeout!r}")
    return t
