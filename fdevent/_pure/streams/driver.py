"""The stream's driver: what a ``Stream`` does, over the state ``stream.py`` keeps.

The public face (``stream.py``) calls this through its ``Driver`` interface; the events call
it through their callbacks, ``_READ_CB`` / ``_WRITE_CB`` (``record.Handler``s: the base calls
them in C, with no Python call and no boxed int per event); ``connect.py`` hands it a
connected socket (``_connected``). How it runs, and why:

- Two persistent events, a reader and a writer, have the stream as their argument: the base
  holds an attached event, the event holds the stream, so an open stream needs no other
  reference. The writer is made on first need and attached only while output waits (an
  idle socket is always writable). Only ``_update_read`` / ``_update_write`` attach and
  detach them, from the state bits (``fdevent/_streambits.py``).
- One read per readiness, of up to 256 KiB (``sockio``), then one ``on_read`` for the batch.
  The events are level-triggered: a peer with more to send makes the reader fire again next
  iteration, after the other streams had their turn.
- One flush path: ``_flush`` (the writer's work) through ``_send``, which sends from
  ``output``, or under TLS from the layer's ``wire`` with more of ``output`` encrypted behind
  it. ``write()``'s immediate send of the caller's bytes is the stream's own (stream.py).
  ``on_write`` runs only from the writer, and an error met inside ``write()`` is reported
  from the loop: no stream callback runs inside a call the user made.
- TLS is the ``TLSLayer`` the stream holds (None on a plain stream): ciphertext in,
  plaintext out (``_decrypt``), its records out by the flush path.
- The reactions to what the I/O reports are ``_received``, ``_at_eof``, ``_failed`` and
  ``_timed_out``: a completion driver (io_uring) would keep them and replace the events and
  the system calls (docs/design.md, "The I/O driver seam").
- After ``close()``, ``abort()`` or the base's ``close()`` nothing of the stream runs again;
  ``close()`` lingers only to flush, with no callbacks.
"""

from __future__ import annotations

import contextlib
import socket
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # Type checkers read the shim's typed no-ops, not Cython's untyped ones (event.py).
    from ..clib import shim as cython
else:
    try:
        import cython
    except ImportError:  # pragma: no cover - the pure core without Cython installed
        from ..clib import shim as cython
    if not cython.compiled:  # at run time the pure core takes the shim (its docstring)
        from ..clib import shim as cython

from ..._flags import (
    BEV_CONNECTED,
    BEV_EOF,
    BEV_ERROR,
    BEV_READING,
    BEV_TIMEOUT,
    BEV_WRITING,
    EV_PERSIST,
    EV_READ,
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
    _UNREPORTED,
    _WRITING,
)
from ..core.event import Event
from ..core.record import ST_HANDLER, EventRecord, Handler
from . import owners
from .buffer import Buffer
from .sockio import READ_MAX, recv_some, send_buffer
from .stream import Driver, Stream
from .tls import TLSLayer


@cython.final
@cython.cclass
class SocketDriver(Driver):
    """The driver of streams on sockets, through readiness events (the ``Driver``
    interface of ``stream.py``, each operation one function of this module)."""

    @cython.cfunc
    def attach(self, s: Stream, sock: socket.socket, priority: object) -> None:
        _attach_socket(s, sock, priority)
        if s._tls is not None:
            _start_tls(s)
        _update_read(s)

    @cython.cfunc
    def output_added(self, s: Stream) -> None:
        _output_added(s)

    @cython.cfunc
    def failed(self, s: Stream, exc: object, what: cython.int) -> None:
        _failed(s, exc, what)

    @cython.cfunc
    def update(self, s: Stream) -> None:
        _update_read(s)
        _update_write(s)

    @cython.cfunc
    def check_paused(self, s: Stream) -> None:
        _check_paused(s)

    @cython.cfunc
    def shut(self, s: Stream) -> None:
        _shut_when_flushed(s)

    @cython.cfunc
    def close(self, s: Stream) -> None:
        _close(s)

    @cython.cfunc
    def abort(self, s: Stream) -> None:
        _abort(s)


@cython.final
@cython.cclass
class _ReadCallback(Handler):
    """The reader's callback: the stream (its arg) reads."""

    @cython.cfunc
    def _io_ready(self, ev: EventRecord, res: cython.int) -> None:
        _readable(ev._arg, res)

    def __call__(self, fd: int, events: int, s: Stream) -> None:
        _readable(s, events)

    def __repr__(self) -> str:  # dump()'s name for the callback
        return "<stream reader>"


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


_READ_CB = _ReadCallback()
_WRITE_CB = _WriteCallback()


@cython.cfunc
def _event(s: Stream, fd: cython.int, flags: cython.int, cb: Handler, priority: object) -> Any:
    ev: EventRecord = Event(s._base, fd, flags, cb, s, priority)  # type: ignore[arg-type]
    ev._state |= ST_HANDLER  # the base calls cb's _io_ready, in C (core/record.py)
    return ev


# -- the socket, and the hand-over from connect()'s Connector --------------------------------


@cython.cfunc
def _attach_socket(s: Stream, sock: socket.socket, priority: object) -> None:
    fd: cython.int = sock.fileno()
    owners.check_unclaimed(fd)
    sock.setblocking(False)
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        # A stream writes whole messages at once: Nagle would only delay them (asyncio's
        # transports do the same).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s._rev = _event(s, fd, EV_READ | EV_PERSIST, _READ_CB, priority)
    s._sock = sock
    s._fd = fd
    owners.add(s._base, s, fd)


@cython.ccall
def _connected(s: Stream, sock: socket.socket, priority: object) -> None:
    # The connector's socket is connected and the stream's from now on: TLS, else
    # BEV_CONNECTED.
    _attach_socket(s, sock, priority)
    s._flags &= ~_CONNECTING
    if s._tls is None:
        _established(s)
    else:
        _start_tls(s)
        _update_read(s)


# -- the readiness half: which events are attached -------------------------------------------


@cython.cfunc
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


@cython.cfunc
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


# -- the events' handlers, and the one flush path --------------------------------------------


@cython.cfunc
def _readable(s: Stream, events: cython.int) -> None:
    if events & EV_TIMEOUT:
        _timed_out(s, BEV_READING)
        return
    cap: cython.Py_ssize_t = READ_MAX
    tls = s._tls
    if s._read_high and tls is None:
        cap = s._read_high - s._input._len
        if cap <= 0:
            _check_paused(s)
            return
    try:
        data = recv_some(s._sock, s._fd, cap)
    except OSError as exc:
        _failed(s, exc, BEV_READING)
        return
    if data is None:
        return
    chunk: bytes = data
    if tls is not None:
        _decrypt(s, chunk)
    elif len(chunk) == 0:
        _at_eof(s)
    else:
        _received(s, chunk)


@cython.cfunc
def _writable(s: Stream, events: cython.int) -> None:
    if s._flags & _REPORT:
        s._flags &= ~_REPORT
        _report(s, BEV_ERROR | BEV_WRITING)
    elif events & EV_TIMEOUT and not events & EV_WRITE:
        _timed_out(s, BEV_WRITING)
    else:
        _flush(s)


@cython.cfunc
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


@cython.cfunc
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


@cython.cfunc
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


@cython.cfunc
@cython.exceptval(-1, check=True)
def _pending(s: Stream) -> cython.Py_ssize_t:
    if s._tls is None:
        return s._output._len
    return s._output._len + s._tls.wire._len


# -- TLS: the stream's side of the layer it holds --------------------------------------------


@cython.cfunc
def _start_tls(s: Stream) -> None:
    try:
        s._tls.start()  # type: ignore[union-attr]
    except OSError as exc:  # an ssl.SSLError
        _failed(s, exc, BEV_READING)
        return
    _push(s)


@cython.cfunc
def _decrypt(s: Stream, data: bytes) -> None:
    # Ciphertext came (b"": the socket's end of file): plaintext, once the handshake is done.
    tls: TLSLayer = s._tls  # type: ignore[assignment]
    try:
        plain = tls.receive(data)
    except OSError as exc:  # an ssl.SSLError
        _push(s)  # the alert that tells the peer why, if the socket takes it
        _failed(s, exc, BEV_READING)
        return
    _push(s)
    if s._flags & _HANDSHAKE:
        if not tls.ready:
            return
        s._flags &= ~_HANDSHAKE
        _established(s)
    if s._flags & (_CLOSING | _FAILED):
        return
    if plain:
        _received(s, plain)
    if tls.eof and not s._flags & (_CLOSING | _EOF):
        _at_eof(s)


@cython.cfunc
def _push(s: Stream) -> None:
    # Records the layer made of itself (handshake, alerts): sent now, unless the writer
    # already waits for the socket.
    if not s._flags & _FAILED and (s._wev is None or not s._wev.attached):
        _send(s)
    _update_write(s)


# -- the stream's reactions to what the I/O reports ------------------------------------------


@cython.cfunc
def _established(s: Stream) -> None:
    # Connected (and the TLS handshake done): report it, then carry on as any stream.
    if s._conn is not None:
        s._conn.cancel()  # its timer covered the handshake too
        s._conn = None
    _update_read(s)
    _report(s, BEV_CONNECTED)
    if s._flags & _CLOSING:
        return
    if _pending(s) > s._write_low:
        s._flags |= _ABOVE_LOW
    if s._flags & _SHUT:
        _shut_when_flushed(s)
    if _pending(s) and s._flags & _WRITING and not s._flags & _FAILED:
        _flush(s)  # what was written meanwhile goes now: the socket is writable
    else:
        _update_write(s)


@cython.cfunc
def _received(s: Stream, data: bytes) -> None:
    inp = s._input
    inp._append_bytes(data)
    if s._read_high and inp._len >= s._read_high:
        _check_paused(s)
    if inp._len >= s._read_low:
        s._flags &= ~_UNREPORTED
        if s._on_read is not None:
            s._on_read(s, s._arg)
    else:
        s._flags |= _UNREPORTED


@cython.cfunc
def _at_eof(s: Stream) -> None:
    s._flags |= _EOF
    _update_read(s)
    if s._flags & _UNREPORTED and s._input._len:
        # Bytes below the low watermark still reach on_read before the EOF is reported.
        s._flags &= ~_UNREPORTED
        if s._on_read is not None:
            s._on_read(s, s._arg)
    if not s._flags & (_DONE | _CLOSING):
        s._flags |= _DONE
        _report(s, BEV_EOF | BEV_READING)


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


@cython.cfunc
def _timed_out(s: Stream, direction: cython.int) -> None:
    if s._flags & _CLOSING:
        _finish_close(s, False)  # the flush of close() made no progress: give up
        return
    s._flags &= ~(_READING if direction == BEV_READING else _WRITING)
    _update_read(s)
    _update_write(s)
    _report(s, BEV_TIMEOUT | direction)


@cython.cfunc
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


@cython.cfunc
def _check_paused(s: Stream) -> None:
    inp = s._input
    high: cython.Py_ssize_t = s._read_high
    if high and inp._len >= high:
        if not s._flags & _PAUSED:
            s._flags |= _PAUSED
            inp._owner = s
            _update_read(s)
    elif s._flags & _PAUSED:
        s._flags &= ~_PAUSED
        inp._owner = None
        _update_read(s)


# -- ending ----------------------------------------------------------------------------------


@cython.cfunc
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


@cython.cfunc
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


@cython.cfunc
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
