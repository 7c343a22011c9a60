"""Where every path of a stream's driver leads: its events, the one flush path, failure, the end.

``driver.py``, above this module, is the way in (the ``Driver`` interface ``stream.py``
calls, the socket's hand-over, the reader and TLS); what it sets going ends up here:

- Which events are attached. Two persistent events, a reader and a writer, have the stream as
  their argument: the base holds an attached event, the event holds the stream, so an open
  stream needs no other reference. The writer is made on first need (``_writer``, so its
  callback, ``_WRITE_CB``, lives here) and attached only while output waits (an idle socket
  is always writable). Only ``_update_read`` / ``_update_write`` attach and detach them, from
  the state bits (``fdevent/_streambits.py``).
- One flush path: ``_flush`` (the writer's work) through ``_send``, which sends from
  ``output``, or under TLS from the layer's ``wire`` with more of ``output`` encrypted behind
  it. ``write()``'s immediate send of the caller's bytes is the stream's own (stream.py).
  ``on_write`` runs only from the writer, and an error met inside ``write()`` is reported
  from the loop: no stream callback runs inside a call the user made.
- Failure and timeouts (``_failed``, ``_timed_out``), reported once to the stream's owner
  (``_report``; with no ``on_event``, the stream closes itself).
- The ending. After ``close()``, ``abort()`` or the base's ``close()`` nothing of the stream
  runs again; ``close()`` lingers only to flush, with no callbacks.

Every function here takes the stream. What ``driver.py`` and ``connect.py`` call is cpdef
(``cython.ccall``): they import it by name, as the pure core needs, and cimport it
(``flow.pxd``), so a compiled call is a C call, as it was inside one module.
"""

from __future__ import annotations

import contextlib
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

from ..._flags import (
    BEV_EOF,
    BEV_ERROR,
    BEV_READING,
    BEV_TIMEOUT,
    BEV_WRITING,
    EV_PERSIST,
    EV_TIMEOUT,
    EV_WRITE,
)
from ..._streambits import (
    _ABOVE_LOW,
    _CLOSED,
    _CLOSING,
    _CONNECTING,
    _DONE,
    _EOF,
    _FAILED,
    _HANDSHAKE,
    _LATER,
    _PAUSED,
    _READING,
    _REPORT,
    _SHUT,
    _SHUT_DONE,
    _WRITING,
)
from ..core.event import Event
from ..core.record import ST_HANDLER, EventRecord, Handler
from . import owners
from .buffer import Buffer
from .sockio import send_buffer
from .stream import Stream


@cython.final
@cython.cclass
class _WriteCallback(Handler):
    """The writer's callback: the stream (its arg) flushes."""

    @cython.cfunc
    def _io_ready(self, ev: EventRecord, res: cython.int) -> None:
        _writable(ev._arg, res)

    def __call__(self, fd: int, events: int, s: Stream) -> None:
        _writable(s, events)

    def __repr__(self) -> str:
        return "<stream writer>"


_WRITE_CB = _WriteCallback()


@cython.ccall
def _event(s: Stream, fd: cython.int, flags: cython.int, cb: Handler, priority: object) -> Any:
    ev: EventRecord = Event(s._base, fd, flags, cb, s, priority)  # type: ignore[arg-type]
    ev._state |= ST_HANDLER  # the base calls cb's _io_ready, in C (core/record.py)
    return ev


# -- the readiness half: which events are attached -------------------------------------------


@cython.ccall
def _update_read(s: Stream) -> None:
    rev = s._rev
    if rev is None:
        return
    flags: cython.int = s._flags
    want: cython.bint = (flags & (_READING | _HANDSHAKE)) != 0 and not flags & (
        _PAUSED | _EOF | _FAILED | _CLOSING
    )
    if want:
        if not rev.attached:
            rev.attach(s._read_timeout if s._read_timeout >= 0.0 else None)
    elif rev.attached:
        rev.detach()


@cython.ccall
def _update_write(s: Stream) -> None:
    flags: cython.int = s._flags
    if flags & _CONNECTING:
        return  # no socket yet: what is written waits for it
    wev = s._wev
    want: cython.bint = (
        (flags & (_WRITING | _CLOSING | _HANDSHAKE)) != 0
        and not flags & (_FAILED | _CLOSED)
        and _pending(s) > 0
    )
    if want:
        wev = _writer(s)
        if not wev.attached:
            wev.attach(s._write_timeout if s._write_timeout >= 0.0 else None)
    elif wev is not None and wev.attached:
        wev.detach()


@cython.cfunc
def _writer(s: Stream) -> Any:
    # The write event, made on first need: an idle stream never has one (96 bytes saved).
    if s._wev is None:
        s._wev = _event(s, s._fd, EV_WRITE | EV_PERSIST, _WRITE_CB, s._rev.priority)
    return s._wev


# -- the writer, and the one flush path ------------------------------------------------------


@cython.cfunc
def _writable(s: Stream, events: cython.int) -> None:
    if s._flags & _REPORT:
        s._flags &= ~_REPORT
        _report(s, BEV_ERROR | BEV_WRITING)
    elif events & EV_TIMEOUT and not events & EV_WRITE:
        _timed_out(s, BEV_WRITING)
    else:
        _flush(s)


@cython.ccall
@cython.exceptval(-1, check=True)
def _send(s: Stream) -> cython.bint:
    # Where waiting bytes go to the socket: as many as it takes now, from output or the TLS
    # layer's wire (with more of output encrypted behind them). False: the stream failed.
    tls = s._tls
    wire: Buffer = s._output if tls is None else tls.wire
    crypt: cython.bint = tls is not None and not s._flags & (_HANDSHAKE | _FAILED)
    try:  # (an ssl.SSLError is an OSError)
        if crypt:
            tls.encrypt(s._output)  # type: ignore[union-attr]
        if wire._len:
            wire._consume(send_buffer(s._sock, s._fd, wire))
            if crypt:
                tls.encrypt(s._output)  # type: ignore[union-attr]
    except OSError as exc:
        _failed(s, exc, BEV_WRITING)
        return False
    return True


@cython.ccall
def _flush(s: Stream) -> None:
    # The writer's work: send, then react to what drained.
    if not _send(s):
        return
    if _pending(s):
        _update_write(s)  # more to send: the writer stays (or is now) attached
        return
    flags: cython.int = s._flags
    if flags & _CLOSING:
        _finish_close(s, True)
        return
    _update_write(s)
    if flags & _SHUT and not flags & _SHUT_DONE:
        _shutdown_write(s)
    if flags & _ABOVE_LOW and _pending(s) <= s._write_low:
        s._flags &= ~_ABOVE_LOW
        if s._on_write is not None:
            s._on_write(s, s._arg)


@cython.ccall
def _output_added(s: Stream) -> None:
    flags: cython.int = s._flags
    if (
        s._tls is not None
        and flags & _WRITING
        and not flags & (_CONNECTING | _HANDSHAKE | _FAILED)
        and (s._wev is None or not s._wev.attached)
    ):
        _send(s)  # a TLS write sends at once too
    if _pending(s) > s._write_low:
        s._flags |= _ABOVE_LOW
    _update_write(s)


@cython.ccall
@cython.exceptval(-1, check=True)
def _pending(s: Stream) -> cython.Py_ssize_t:
    if s._tls is None:
        return s._output._len
    return s._output._len + s._tls.wire._len


# -- failure, timeouts, and what the stream's owner hears ------------------------------------


@cython.ccall
def _failed(s: Stream, exc: object, what: cython.int) -> None:
    # An error (exc) in direction ``what``, or a connect that gave up (``what`` is then
    # BEV_ERROR or BEV_TIMEOUT with the direction). No I/O from now on; reported once, unless
    # EOF was; with _LATER (met inside write()), by the writer, from the loop.
    flags: cython.int = s._flags
    if flags & _FAILED:
        return
    if exc is not None:
        s._error = exc
    s._flags = (flags | _FAILED) & ~_CONNECTING
    if s._conn is not None:
        s._conn.cancel()
        s._conn = None
    _update_read(s)
    _update_write(s)
    if flags & _CLOSING:
        _finish_close(s, False)
    elif flags & _DONE:
        # EOF was reported and now writing failed: the contract reports one of EOF and
        # ERROR, and nothing can happen on this stream any more. Close it.
        _abort(s)
    elif what & _LATER:
        s._flags |= _DONE | _REPORT
        _writer(s).activate(EV_WRITE)
    else:
        s._flags |= _DONE
        _report(s, what if what & (BEV_ERROR | BEV_TIMEOUT) else BEV_ERROR | what)


@cython.ccall
def _timed_out(s: Stream, direction: cython.int) -> None:
    if s._flags & _CLOSING:
        _finish_close(s, False)  # the flush of close() made no progress: give up
        return
    s._flags &= ~(_READING if direction == BEV_READING else _WRITING)
    _update_read(s)
    _update_write(s)
    _report(s, BEV_TIMEOUT | direction)


@cython.ccall
def _report(s: Stream, what: cython.int) -> None:
    if s._flags & _CLOSING:
        return
    cb = s._on_event
    if cb is not None:
        cb(s, what, s._arg)
    elif what & BEV_EOF:
        _close(s)
    elif what & (BEV_ERROR | BEV_TIMEOUT):
        _abort(s)


# -- ending ----------------------------------------------------------------------------------


@cython.ccall
def _shut_when_flushed(s: Stream) -> None:
    if s._tls is not None and not s._flags & _FAILED:
        s._tls.close_notify(s._output)
    if _pending(s) == 0:
        _shutdown_write(s)
    else:
        _update_write(s)


@cython.cfunc
def _shutdown_write(s: Stream) -> None:
    s._flags |= _SHUT_DONE
    try:
        s._sock.shutdown(socket.SHUT_WR)
    except OSError as exc:
        _failed(s, exc, BEV_WRITING)


@cython.ccall
def _close(s: Stream) -> None:
    # Stream.close(): flush, then shut down and close; no callback from now on.
    flags: cython.int = s._flags
    if flags & _CLOSING:
        return
    s._flags = flags | _CLOSING
    s._input._clear()
    if flags & (_FAILED | _CONNECTING | _HANDSHAKE) or s._base._closed:
        _finish_close(s, False)
        return
    if s._tls is not None:
        s._tls.close_notify(s._output)
    if _pending(s) == 0:
        _finish_close(s, True)
    else:
        _update_read(s)
        _update_write(s)


@cython.ccall
def _abort(s: Stream) -> None:
    # Stream.abort(), and the base's close(): close now, drop the output.
    if s._flags & _CLOSED:
        return
    s._flags |= _CLOSING
    s._input._clear()
    s._output._clear()
    _finish_close(s, False)


@cython.cfunc
def _finish_close(s: Stream, graceful: cython.bint) -> None:
    flags: cython.int = s._flags
    if flags & _CLOSED:
        return
    s._flags = flags | _CLOSED | _CLOSING
    for ev in (s._rev, s._wev):
        if ev is not None:
            ev.detach()
    # Break the stream <-> event and stream <-> buffer cycles now, not at the next GC.
    s._rev = s._wev = None
    s._output._owner = s._input._owner = None
    if s._conn is not None:
        s._conn.cancel()
        s._conn = None
    sock = s._sock
    fd: cython.int = s._fd
    s._fd = -1
    owners.remove(s._base, s, fd)
    if sock is None:
        return
    if graceful and not flags & (_SHUT_DONE | _FAILED):
        with contextlib.suppress(OSError):  # the peer may be gone already
            sock.shutdown(socket.SHUT_WR)
    with contextlib.suppress(OSError):
        sock.close()
