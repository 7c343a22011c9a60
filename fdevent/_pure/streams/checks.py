"""The argument checks of the streams' public calls: one message for one mistake, alike on
both cores (``tests/test_parity.py`` compares them)."""

from __future__ import annotations

import math
import socket
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # Type checkers read the shim's typed no-ops, never Cython's untyped decorators (as in
    # event.py).
    from ..clib import shim as cython
else:
    try:
        import cython
    except ImportError:  # pragma: no cover - the pure core without Cython installed
        from ..clib import shim as cython
    if not cython.compiled:  # at run time the pure core takes the shim (its docstring)
        from ..clib import shim as cython

from ..._flags import EV_READ, EV_WRITE
from ..._streambits import _READING, _WRITING
from ..core.checks import check_int, timeout_seconds


def callable_or_none(name: str, value: object) -> None:
    """TypeError unless ``value`` is callable or None."""
    if value is not None and not callable(value):
        raise TypeError(f"{name} must be callable or None, not {type(value).__name__}")


@cython.ccall
@cython.exceptval(-2.0, check=True)
def timeout_or_off(name: str, value: object) -> cython.double:
    """Checked seconds; -1.0 for None, 0 or infinity (no timeout)."""
    if value is None:
        return -1.0
    try:
        t: cython.double = timeout_seconds(value)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{name} timeout: {exc}") from None
    return -1.0 if t == 0.0 or t == math.inf else t


def size(name: str, value: object) -> int:
    """A size in bytes, from 0 (no limit) to ``sys.maxsize``: more than any buffer can hold
    is a ValueError on both cores, not an OverflowError on the compiled one."""
    n = check_int(name, value)
    if n < 0:
        raise ValueError(f"{name} must be >= 0 (0: no limit), got {n}")
    if n > sys.maxsize:
        raise ValueError(f"{name} must be at most sys.maxsize ({sys.maxsize}), got {n}")
    return n


def check_socket(sock: object) -> socket.socket:
    """``sock`` if a stream can take it: an open, connected-type stream socket."""
    if not isinstance(sock, socket.socket):
        raise TypeError(f"sock must be a socket.socket, not {type(sock).__name__}")
    if sock.fileno() < 0:
        raise ValueError("sock is closed")
    if sock.type != socket.SOCK_STREAM:
        raise ValueError(f"sock must be a stream socket (SOCK_STREAM), not {sock.type!r}")
    if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
        raise ValueError("sock is a listening socket: give it to a Listener")
    return sock


@cython.ccall
@cython.exceptval(-1, check=True)
def directions(events: object) -> cython.int:
    """enable()/disable()'s ``events`` as the stream's _READING/_WRITING bits."""
    bits: int = check_int("events", events)
    if bits & ~(EV_READ | EV_WRITE):
        raise ValueError(f"events must combine EV_READ and EV_WRITE, got {bits:#x}")
    return (_READING if bits & EV_READ else 0) | (_WRITING if bits & EV_WRITE else 0)


def closed_message(call: str, base_closed: bool) -> str:
    """The RuntimeError's message for ``call`` on a closed stream."""
    if base_closed:
        return f"{call} on a closed stream (its event base was closed)"
    return f"{call} on a closed stream"
