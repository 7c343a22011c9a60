"""The stream's machinery under its public API (``stream.py``): state, events, reactions.

What a stream does, and why it is built so:

- Two persistent events per stream, a reader and a writer, with the stream as their
  argument: the base holds an attached event, the event holds the stream, so a stream lives
  while the base watches it and needs no other reference. The writer is attached only while
  output waits (an idle socket is always writable: a writer left attached would spin).
- One read per readiness, of up to 256 KiB (``_streamio``), then one call of ``on_read``
  for the batch. The events are level-triggered: a peer with more to send makes the reader
  fire again next iteration, after the other streams had their turn.
- ``write()`` on empty output sends at once, from the caller's object (bytes are never
  copied to be sent); only what the kernel did not take is kept, and the writer flushes it.
  ``on_write`` runs only from the writer, never inside ``write()``, and an error met inside
  ``write()`` is reported from the loop, so no stream callback ever runs inside a call the
  user made.
- Every state change goes through ``_update_read`` / ``_update_write``, which attach or
  detach the two events from the state bits; nothing else touches them. This is the
  readiness half of the I/O driver; ``_streamio`` is the other half, and the stream reacts
  to what they report in ``_received``, ``_at_eof``, ``_failed`` and ``_timed_out`` (the
  seam a completion driver would plug into: docs/design.md).
- After ``close()`` or ``abort()`` nothing of the stream runs again; ``close()`` lingers
  only to flush, with no callbacks.

TLS (``_tls.py``, driven from ``_streamtls.py``) sits between the socket and the buffers:
ciphertext in from the socket, plaintext into ``input``; plaintext from ``output`` is
encrypted into a second buffer, the wire buffer, which is what the writer sends. For a plain
stream the wire buffer *is* ``output``. Three classes, one object: ``StreamCore`` (this
module), ``StreamTLS`` (connect and TLS reactions) and ``Stream`` (the public API).
"""

from __future__ import annotations

import contextlib
import math
import socket
from socket import socket as SocketType
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

from ..._flags import (
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
    _PAUSED,
    _READING,
    _REPORT,
    _SHUT,
    _SHUT_DONE,
    _UNREPORTED,
    _WRITING,
)
from ..core.base import EventBase
from ..core.checks import timeout_seconds
from ..core.event import Event
from .buffer import Buffer
from .sockio import READ_MAX, recv_some, send_buffer


def _callable_or_none(name: str, value: object) -> None:
    if value is not None and not callable(value):
        raise TypeError(f"{name} must be callable or None, not {type(value).__name__}")


def _timeout_or_off(name: str, value: object) -> float:
    # None or 0: no timeout (-1.0 inside); else checked seconds (TypeError/ValueError).
    if value is None:
        return -1.0
    try:
        t = timeout_seconds(value)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{name} timeout: {exc}") from None
    return -1.0 if t == 0.0 or t == math.inf else t


def _read_cb(fd: int, events: int, stream: StreamCore) -> None:
    stream._readable(events)


def _write_cb(fd: int, events: int, stream: StreamCore) -> None:
    stream._writable(events)


@cython.cclass
class StreamCore:
    """The state and machinery of a Stream: its buffers, events and reactions.

    Not made directly: ``Stream`` (the public API) and ``connect()`` make streams.
    """

    # The C layout is in _streamcore.pxd; these annotations tell type checkers the same.
    _base: EventBase
    _sock: Any
    _input: Buffer
    _output: Buffer
    _wire: Buffer
    _on_read: Any
    _on_write: Any
    _on_event: Any
    _arg: Any
    _rev: Any
    _wev: Any
    _error: Any
    _tls: Any
    _conn: Any
    _read_timeout: float
    _write_timeout: float
    _read_low: int
    _read_high: int
    _write_low: int
    _fd: int
    _flags: int

    # -- setup (also used by connect()) ----------------------------------------------------

    @cython.cfunc
    def _setup(
        self,
        base: object,
        on_read: object,
        on_write: object,
        on_event: object,
        arg: object,
        priority: object,
    ) -> None:
        if not isinstance(base, EventBase):
            raise TypeError(f"base must be an EventBase, not {type(base).__name__}")
        if base.closed:
            raise RuntimeError("the event base is closed")
        _callable_or_none("on_read", on_read)
        _callable_or_none("on_write", on_write)
        _callable_or_none("on_event", on_event)
        if priority is not None:
            # Checked now, by the rules of Event's priority, so a bad one leaves nothing.
            Event(base, -1, EV_TIMEOUT, _read_cb, None, priority)  # type: ignore[arg-type]
        self._base = base
        self._on_read = on_read
        self._on_write = on_write
        self._on_event = on_event
        self._arg = arg
        self._input = Buffer()
        self._output = Buffer()
        self._output._owner = self
        self._wire = self._output
        self._sock = None
        self._fd = -1
        self._rev = None
        self._wev = None
        self._error = None
        self._tls = None
        self._conn = None
        self._read_timeout = -1.0
        self._write_timeout = -1.0
        self._read_low = 0
        self._read_high = 0
        self._write_low = 0
        self._flags = _READING | _WRITING

    @cython.cfunc
    def _attach_socket(self, sock: SocketType, priority: object) -> None:
        sock.setblocking(False)
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            # A stream writes whole messages at once: Nagle would only delay them (asyncio's
            # transports do the same).
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        fd: cython.int = sock.fileno()
        self._rev = Event(self._base, fd, EV_READ | EV_PERSIST, _read_cb, self, priority)  # type: ignore[arg-type]
        self._sock = sock
        self._fd = fd

    # -- the readiness half of the driver: which events are attached -----------------------

    @cython.cfunc
    def _update_read(self) -> None:
        rev = self._rev
        if rev is None:
            return
        flags: cython.int = self._flags
        want: cython.bint = (flags & (_READING | _HANDSHAKE)) != 0 and not flags & (
            _PAUSED | _EOF | _FAILED | _CLOSING | _CONNECTING
        )
        if want:
            if not rev.attached:
                rev.attach(self._read_timeout if self._read_timeout >= 0.0 else None)
        elif rev.attached:
            rev.detach()

    @cython.cfunc
    def _update_write(self) -> None:
        flags: cython.int = self._flags
        if flags & _CONNECTING:
            return
        wev = self._wev
        want: cython.bint = (
            self._wire._len > 0
            and (flags & (_WRITING | _CLOSING)) != 0
            and not flags & (_FAILED | _CLOSED)
        )
        if want:
            if wev is None:
                wev = self._writer()
            if not wev.attached:
                wev.attach(self._write_timeout if self._write_timeout >= 0.0 else None)
        elif wev is not None and wev.attached:
            wev.detach()

    @cython.cfunc
    def _writer(self) -> Any:
        # The write event, made on first need: an idle stream never has one (96 bytes saved).
        if self._wev is None:
            self._wev = Event(
                self._base,
                self._fd,
                EV_WRITE | EV_PERSIST,
                _write_cb,
                self,
                self._rev.priority,
            )
        return self._wev

    # -- event handlers --------------------------------------------------------------------

    @cython.cfunc
    def _readable(self, events: cython.int) -> None:
        if events & EV_TIMEOUT:
            self._timed_out(BEV_READING)
            return
        cap: cython.Py_ssize_t = READ_MAX
        if self._read_high and self._tls is None:
            cap = self._read_high - self._input._len
            if cap <= 0:
                self._check_paused()
                return
        try:
            data = recv_some(self._sock, self._fd, cap)
        except OSError as exc:
            self._failed(exc, BEV_READING)
            return
        if data is None:
            return
        chunk: bytes = data
        if self._tls is not None:
            self._tls_received(chunk)
        elif len(chunk) == 0:
            self._at_eof()
        else:
            self._received(chunk)

    @cython.cfunc
    def _writable(self, events: cython.int) -> None:
        if self._flags & _REPORT:
            self._flags &= ~_REPORT
            self._report(BEV_ERROR | BEV_WRITING)
            return
        if self._flags & _CONNECTING:
            if self._conn is not None:
                self._conn.writable(self, events)
            return
        if events & EV_TIMEOUT and not events & EV_WRITE:
            self._timed_out(BEV_WRITING)
            return
        self._flush()

    @cython.cfunc
    def _flush(self) -> None:
        wire = self._wire
        if wire._len:
            try:
                n: cython.Py_ssize_t = send_buffer(self._sock, self._fd, wire)
            except OSError as exc:
                self._failed(exc, BEV_WRITING)
                return
            wire._consume(n)
            if self._tls is not None:
                self._tls_encrypt()
        if wire._len:
            self._update_write()  # more to send: the writer stays (or is now) attached
            return
        flags: cython.int = self._flags
        if flags & _CLOSING:
            self._finish_close(True)
            return
        self._update_write()
        if flags & _SHUT and not flags & _SHUT_DONE and self._output._len == 0:
            self._shutdown_write()
        if flags & _ABOVE_LOW and self._pending_len() <= self._write_low:
            self._flags &= ~_ABOVE_LOW
            if self._on_write is not None:
                self._on_write(self, self._arg)

    # -- the stream's reactions to what the driver reports ---------------------------------

    @cython.cfunc
    def _received(self, data: bytes) -> None:
        inp = self._input
        inp._append_bytes(data)
        if self._read_high and inp._len >= self._read_high:
            self._check_paused()
        if inp._len >= self._read_low:
            self._flags &= ~_UNREPORTED
            if self._on_read is not None:
                self._on_read(self, self._arg)
        else:
            self._flags |= _UNREPORTED

    @cython.cfunc
    def _at_eof(self) -> None:
        self._flags |= _EOF
        self._update_read()
        if self._flags & _UNREPORTED and self._input._len:
            # Bytes below the low watermark still reach on_read before the EOF is reported.
            self._flags &= ~_UNREPORTED
            if self._on_read is not None:
                self._on_read(self, self._arg)
            if self._flags & (_CLOSING | _DONE):
                return
        if self._flags & (_DONE | _CLOSING):
            return
        self._flags |= _DONE
        self._report(BEV_EOF | BEV_READING)

    @cython.cfunc
    def _failed(self, exc: BaseException, direction: cython.int) -> None:
        flags: cython.int = self._flags
        if flags & _FAILED:
            return
        self._error = exc
        self._flags = flags | _FAILED
        self._update_read()
        self._update_write()
        if flags & _CLOSING:
            self._finish_close(False)
        elif flags & _DONE:
            # End of file was reported and now writing failed: nothing can happen on this
            # stream any more, and the contract reports one of EOF/ERROR only. Close it.
            self._abort()
        else:
            self._flags |= _DONE
            self._report(BEV_ERROR | direction)

    @cython.cfunc
    def _defer_failure(self, exc: BaseException) -> None:
        # An error met inside write(): recorded now, reported from the loop.
        if self._flags & _FAILED:
            return
        self._error = exc
        self._flags |= _FAILED
        self._update_read()
        self._update_write()
        if self._flags & _DONE:
            self._abort()
            return
        self._flags |= _DONE | _REPORT
        self._writer().activate(EV_WRITE)

    @cython.cfunc
    def _timed_out(self, direction: cython.int) -> None:
        if self._flags & _CLOSING:
            self._finish_close(False)  # the flush of close() made no progress: give up
            return
        self._flags &= ~(_READING if direction == BEV_READING else _WRITING)
        self._update_read()
        self._update_write()
        self._report(BEV_TIMEOUT | direction)

    @cython.cfunc
    def _report(self, what: cython.int) -> None:
        if self._flags & _CLOSING:
            return
        cb = self._on_event
        if cb is not None:
            cb(self, what, self._arg)
        elif what & BEV_EOF:
            self._close()
        elif what & (BEV_ERROR | BEV_TIMEOUT):
            self._abort()

    # -- helpers ---------------------------------------------------------------------------

    @cython.cfunc
    @cython.exceptval(-1, check=True)
    def _pending_len(self) -> cython.Py_ssize_t:
        if self._wire is self._output:
            return self._output._len
        return self._output._len + self._wire._len

    @cython.cfunc
    def _output_added(self) -> None:
        if self._tls is not None:
            self._tls_encrypt()
        if self._pending_len() > self._write_low:
            self._flags |= _ABOVE_LOW
        if (
            self._tls is not None
            and (self._wev is None or not self._wev.attached)
            and self._wire._len
            and not self._flags & (_CONNECTING | _FAILED)
            and self._flags & _WRITING
        ):
            self._flush()  # a TLS write sends at once too
        self._update_write()

    @cython.cfunc
    def _check_paused(self) -> None:
        inp = self._input
        high: cython.Py_ssize_t = self._read_high
        if high and inp._len >= high:
            if not self._flags & _PAUSED:
                self._flags |= _PAUSED
                inp._owner = self
                self._update_read()
        elif self._flags & _PAUSED:
            self._flags &= ~_PAUSED
            inp._owner = None
            self._update_read()

    @cython.cfunc
    def _shut_when_flushed(self) -> None:
        if self._tls is not None:
            self._tls_close_notify()
        if self._wire._len == 0 and self._output._len == 0:
            self._shutdown_write()
        else:
            self._update_write()

    @cython.cfunc
    def _shutdown_write(self) -> None:
        self._flags |= _SHUT_DONE
        try:
            self._sock.shutdown(socket.SHUT_WR)
        except OSError as exc:
            self._failed(exc, BEV_WRITING)

    @cython.cfunc
    def _finish_close(self, graceful: cython.bint) -> None:
        flags: cython.int = self._flags
        if flags & _CLOSED:
            return
        self._flags = flags | _CLOSED | _CLOSING
        if self._rev is not None:
            self._rev.detach()
        if self._wev is not None:
            self._wev.detach()
        # Break the stream <-> event and stream <-> buffer cycles now, not at the next GC.
        self._rev = None
        self._wev = None
        self._output._owner = None
        self._input._owner = None
        if self._conn is not None:
            self._conn.cancel()
            self._conn = None
        sock = self._sock
        if sock is not None:
            if graceful and not flags & (_SHUT_DONE | _FAILED):
                # The peer may be gone already: then closing is all there is to do.
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_WR)
            sock.close()
        self._fd = -1

    @cython.cfunc
    def _close(self) -> None:
        # Stream.close(): flush, then shut down and close; no callback from now on.
        flags: cython.int = self._flags
        if flags & _CLOSING:
            return
        self._flags = flags | _CLOSING
        self._input._clear()
        if flags & (_FAILED | _CONNECTING | _HANDSHAKE) or self._sock is None:
            self._finish_close(False)
            return
        if self._tls is not None:
            self._tls_close_notify()
        if self._wire._len == 0:
            self._finish_close(True)
            return
        self._update_read()
        self._update_write()

    @cython.cfunc
    def _abort(self) -> None:
        # Stream.abort(): close now, drop the output.
        if self._flags & _CLOSED:
            return
        self._flags |= _CLOSING
        self._input._clear()
        self._output._clear()
        self._finish_close(False)

    # -- TLS hooks, overridden by StreamTLS (a plain stream never calls them) -------------

    @cython.cfunc
    def _tls_received(self, data: bytes) -> None:
        pass

    @cython.cfunc
    def _tls_encrypt(self) -> None:
        pass

    @cython.cfunc
    def _tls_close_notify(self) -> None:
        pass
