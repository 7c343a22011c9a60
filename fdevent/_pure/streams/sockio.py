"""The system calls that move a stream's bytes.

A stream's driver decides *when* to read and write (its readiness events: ``driver.py``,
``flow.py``); this module does the moving, and is the only code that touches a stream's socket
for data (``write()``'s immediate send included). On the compiled core every call here is C
straight to libc (``recv`` or ``readv``, ``send``, ``sendmsg`` on the fd, see ``_streamio.h``):
no Python-level socket method runs per read or write. The pure core makes the same calls through
the socket object. Both report alike: data, ``b""`` at end of file, "not now" (``None`` or 0),
or an ``OSError`` for the errno.

A completion driver (io_uring) would replace this module and the two readiness events, and
keep the stream's reactions (``_received``, ``_at_eof``, ``_failed``); see docs/design.md,
"The I/O driver seam".
"""

from __future__ import annotations

import os
import socket
from typing import TYPE_CHECKING, Any

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

from .buffer import Buffer

#: The most one read takes: the size of the process's read scratch area (_streamio.h).
READ_MAX = 262144
_READ_MAX = READ_MAX  # the same, as a C constant in the compiled core
#: The most chunks one send gathers (FDEVENT_IOV_MAX in _streamio.h): 64 chunks are at least
#: 64 bytes of data each way and usually far more, well past what one send can take.
IOV_MAX = 64

# The pure core's read scratch area, made on first use (the compiled core has its own in C).
_scratch: list[memoryview] = []


def _scratch_view() -> memoryview:
    if not _scratch:
        _scratch.append(memoryview(bytearray(READ_MAX)))
    return _scratch[0]


@cython.ccall
def recv_some(sock: socket.socket, fd: cython.int, cap: cython.Py_ssize_t) -> Any:
    """Read up to ``cap`` bytes: bytes, ``b""`` at end of file, None if nothing is there now.

    Raises:
        OSError: the read failed (``ConnectionResetError`` and the like).
    """
    if cap > _READ_MAX:
        cap = _READ_MAX
    if cython.compiled:
        # Into the returned object itself when the read is likely large (_streamio.h).
        data = fdevent_recv_obj(fd, cap)  # type: ignore[name-defined]  # noqa: F821
        if data is not None:
            return data
        return _not_now_or_raise()
    view = _scratch_view()
    try:
        got = sock.recv_into(view, cap)
    except (BlockingIOError, InterruptedError):
        return None
    return bytes(view[:got]) if got else b""


@cython.ccall
@cython.exceptval(-2, check=True)
def recv_into(sock: socket.socket, fd: cython.int, buf: object) -> cython.Py_ssize_t:
    """Read into the writable buffer ``buf``: the count (0 at end of file), -1 if nothing is
    there now. (An asyncio ``BufferedProtocol``'s read, ``fdevent.aio``.)

    Raises:
        OSError: the read failed.
        TypeError, BufferError: ``buf`` is not a writable buffer.
    """
    if cython.compiled:
        n: cython.Py_ssize_t = fdevent_recv_into(fd, buf)  # type: ignore[name-defined]  # noqa: F821
        if n >= 0:
            return n
        _not_now_or_raise()
        return -1
    try:
        return sock.recv_into(buf)  # type: ignore[arg-type]
    except (BlockingIOError, InterruptedError):
        return -1


@cython.ccall
@cython.exceptval(-1, check=True)
def send_bytes(
    sock: socket.socket, fd: cython.int, data: bytes, start: cython.Py_ssize_t
) -> cython.Py_ssize_t:
    """Send ``data[start:]`` as far as the socket takes it now; return how much (0: none).

    Raises:
        OSError: the send failed (``BrokenPipeError``, ``ConnectionResetError``, ...).
    """
    if cython.compiled:
        n: cython.Py_ssize_t = fdevent_send(  # type: ignore[name-defined]  # noqa: F821
            fd,
            PyBytes_AS_STRING(data) + start,  # type: ignore[name-defined]  # noqa: F821
            len(data) - start,
        )
        if n >= 0:
            return n
        _not_now_or_raise()
        return 0
    try:
        if start:
            with memoryview(data) as view:
                return sock.send(view[start:])
        return sock.send(data)
    except (BlockingIOError, InterruptedError):
        return 0


@cython.ccall
@cython.exceptval(-1, check=True)
def send_buffer(sock: socket.socket, fd: cython.int, buf: Buffer) -> cython.Py_ssize_t:
    """Send from the front of ``buf`` (up to IOV_MAX chunks in one call); return how many
    bytes went (0: none). The caller drains them from ``buf``.

    Raises:
        OSError: the send failed.
    """
    if buf._len == 0:
        return 0
    first = buf._first
    rest = buf._rest
    if cython.compiled:
        n: cython.Py_ssize_t = fdevent_send_chunks(fd, first, buf._off, rest, buf._ri)  # type: ignore[name-defined]  # noqa: F821
        if n >= 0:
            return n
        _not_now_or_raise()
        return 0
    try:
        with memoryview(first) as view:
            if rest is None or buf._ri == len(rest):
                return sock.send(view[buf._off :])
            parts = [view[buf._off :]]
            parts.extend(rest[buf._ri : buf._ri + IOV_MAX - 1])
            try:
                return sock.sendmsg(parts)
            finally:
                parts[0].release()
    except (BlockingIOError, InterruptedError):
        return 0


@cython.cfunc
def _not_now_or_raise() -> object:
    # After a failed call in C: None for "not now", else the OSError of errno.
    err: cython.int = errno  # type: ignore[name-defined]  # noqa: F821
    if fdevent_not_now(err):  # type: ignore[name-defined]  # noqa: F821
        return None
    raise OSError(err, os.strerror(err))
