"""Stream: a buffered connection on a socket (libevent's bufferevent, asyncio's transport).

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

TLS (``_tls.py``) sits between the socket and the buffers: ciphertext in from the socket,
plaintext into ``input``; plaintext from ``output`` is encrypted into a second buffer, the
wire buffer, which is what the writer sends. For a plain stream the wire buffer *is*
``output``.
"""

from __future__ import annotations

import contextlib
import math
import socket
from collections.abc import Callable
from socket import socket as SocketType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # Type checkers read the shim's typed no-ops, never Cython's untyped decorators (as in
    # event.py).
    from . import _cython_shim as cython
else:
    try:
        import cython
    except ImportError:  # pragma: no cover - the pure core without Cython installed
        from . import _cython_shim as cython

from .._flags import (
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
from .._pure import _tls
from ._checks import check_int, timeout_seconds
from ._streamio import READ_MAX, recv_some, send_buffer, send_bytes
from .base import EventBase
from .buffer import Buffer, _to_bytes
from .event import Event

StreamCallback = Callable[["Stream", Any], object]
EventCallback = Callable[["Stream", int, Any], object]

# State bits (Stream._flags).
_READING = 0x1  # the user wants input (enable/disable)
_WRITING = 0x2  # the user lets output go (enable/disable)
_PAUSED = 0x4  # input stands at the read high watermark
_EOF = 0x8  # the peer sent its end of file: nothing more to read
_DONE = 0x10  # BEV_EOF or BEV_ERROR was reported: neither is again
_FAILED = 0x20  # an error: no more I/O at all
_CLOSING = 0x40  # close() or abort(): no callback runs again
_CLOSED = 0x80  # the socket is closed
_SHUT = 0x100  # write_eof(): shut the write side once output is flushed
_SHUT_DONE = 0x200
_CONNECTING = 0x400  # connect() has not finished (resolving or connecting)
_HANDSHAKE = 0x800  # the TLS handshake has not finished
_UNREPORTED = 0x1000  # input holds bytes on_read was not told of (below read_low)
_ABOVE_LOW = 0x2000  # output stood above write_low since the last on_write
_REPORT = 0x4000  # an error met inside write() waits to be reported from the loop

#: A TLS stream encrypts more of ``output`` only while less than this much ciphertext waits
#: to be sent, so ``len(stream.output)`` stays the measure of what is pending (back-pressure
#: works as on a plain stream) and the hidden ciphertext is bounded.
_TLS_WIRE_MAX = 65536


def _callable_or_none(name: str, value: object) -> None:
    if value is not None and not callable(value):
        raise TypeError(f"{name} must be callable or None, not {type(value).__name__}")


def _watermark(name: str, value: object) -> int:
    n = check_int(name, value)
    if n < 0:
        raise ValueError(f"{name} must be >= 0 (0: no limit), got {n}")
    return n


def _timeout_or_off(name: str, value: object) -> float:
    # None or 0: no timeout (-1.0 inside); else checked seconds (TypeError/ValueError).
    if value is None:
        return -1.0
    try:
        t = timeout_seconds(value)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{name} timeout: {exc}") from None
    return -1.0 if t == 0.0 or t == math.inf else t


def _check_socket(sock: object) -> socket.socket:
    if not isinstance(sock, socket.socket):
        raise TypeError(f"sock must be a socket.socket, not {type(sock).__name__}")
    if sock.fileno() < 0:
        raise ValueError("sock is closed")
    if sock.type != socket.SOCK_STREAM:
        raise ValueError(f"sock must be a stream socket (SOCK_STREAM), not {sock.type!r}")
    if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
        raise ValueError("sock is a listening socket: give it to a Listener")
    return sock


def _read_cb(fd: int, events: int, stream: Stream) -> None:
    stream._readable(events)


def _write_cb(fd: int, events: int, stream: Stream) -> None:
    stream._writable(events)


@cython.cclass
class Stream:
    """A buffered connection: reads into ``input``, writes from ``output``, reports events.

    ``Stream(base, sock, on_read=None, on_write=None, on_event=None, arg=None, *,
    priority=None, ssl=None, server_side=False, server_hostname=None)``

    Takes ownership of ``sock`` (a connected stream socket; made non-blocking, TCP_NODELAY
    on TCP; closing the stream closes it). Reading starts at once. ``on_read(stream, arg)``
    runs when new bytes are in ``stream.input`` (at least the read low watermark);
    ``on_write(stream, arg)`` when output that stood above the write low watermark has
    drained to it; ``on_event(stream, what, arg)`` reports ``BEV_EOF|BEV_READING``,
    ``BEV_ERROR`` or ``BEV_TIMEOUT`` with the direction, and ``BEV_CONNECTED`` at the end of
    a connect or TLS handshake. Without ``on_event`` the stream closes itself on end of
    file, error or timeout. ``ssl``: an ``ssl.SSLContext`` to run TLS over the socket
    (``server_side=True`` for an accepted one). A stream stays alive while its base
    watches it: no reference needs to be kept.

    Raises:
        TypeError: ``base`` is not an EventBase, ``sock`` not a socket, a callback not
            callable, ``ssl`` not an SSLContext.
        ValueError: ``sock`` is closed, listening or not a stream socket; a priority out of
            range.
        RuntimeError: the base is closed.
    """

    # The C layout is in stream.pxd; these annotations tell type checkers the same.
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

    @cython.annotation_typing(False)
    def __init__(
        self,
        base: EventBase,
        sock: socket.socket,
        on_read: StreamCallback | None = None,
        on_write: StreamCallback | None = None,
        on_event: EventCallback | None = None,
        arg: Any = None,
        *,
        priority: int | None = None,
        ssl: Any = None,
        server_side: bool = False,
        server_hostname: str | None = None,
    ) -> None:
        self._setup(base, on_read, on_write, on_event, arg, priority)
        sock = _check_socket(sock)
        tls = None
        if ssl is not None:
            tls = _tls.TLS(ssl, bool(server_side), server_hostname)
        self._attach_socket(sock, priority)
        if tls is not None:
            self._start_tls(tls)
        self._update_read()

    # -- the public API --------------------------------------------------------------------

    @property
    def input(self) -> Buffer:
        """The Buffer of bytes received and not yet read (plaintext, under TLS)."""
        return self._input

    @property
    def output(self) -> Buffer:
        """The Buffer of bytes written and not yet sent (plaintext, under TLS)."""
        return self._output

    @property
    def error(self) -> BaseException | None:
        """The ``OSError`` or ``ssl.SSLError`` behind ``BEV_ERROR``; None until then."""
        return self._error  # type: ignore[no-any-return]

    @property
    def base(self) -> EventBase:
        """The EventBase the stream runs on."""
        return self._base

    @property
    def socket(self) -> socket.socket | None:
        """The socket the stream owns (None while ``connect()`` has not made one)."""
        return self._sock  # type: ignore[no-any-return]

    @property
    def fd(self) -> int:
        """The socket's fd; -1 before a connect made one and after the stream closed."""
        return self._fd

    @property
    def arg(self) -> Any:
        """The argument passed to the callbacks."""
        return self._arg

    @property
    def closed(self) -> bool:
        """Whether ``close()`` or ``abort()`` was called (the socket may still be flushing)."""
        return bool(self._flags & _CLOSING)

    @property
    def ssl_object(self) -> Any:
        """The ``ssl.SSLObject`` of a TLS stream (cipher, peer certificate...), else None."""
        return None if self._tls is None else self._tls.sslobj

    @cython.annotation_typing(False)
    def write(self, data: Any) -> None:
        """Send ``data`` (bytes-like): at once as far as the kernel takes it, the rest kept in
        ``output`` and flushed when the socket is writable (after ``BEV_CONNECTED`` on a
        stream still connecting). ``bytes`` are not copied to be sent.

        Raises:
            TypeError: ``data`` is not bytes-like.
            RuntimeError: the stream is closed, or ``write_eof()`` was called.
        """
        flags: cython.int = self._flags
        if flags & (_CLOSING | _SHUT):
            raise RuntimeError(
                "write() on a closed stream" if flags & _CLOSING else "write() after write_eof()"
            )
        payload: bytes = data if type(data) is bytes else _to_bytes(data)
        n: cython.Py_ssize_t = len(payload)
        if n == 0 or flags & _FAILED:
            return  # after an error the data could never be sent
        out = self._output
        if self._tls is not None:
            out._append_bytes(payload)
            self._output_added()
            return
        sent: cython.Py_ssize_t = 0
        if out._len == 0 and flags & _WRITING and not flags & _CONNECTING:
            try:
                sent = send_bytes(self._sock, self._fd, payload, 0)
            except OSError as exc:
                self._defer_failure(exc)
                return
            if sent == n:
                return
        out._append_rest(payload, sent)
        self._output_added()

    def close(self) -> None:
        """Flush what ``output`` holds, then shut down and close the socket (TLS: after a
        close_notify); unread input is discarded. No callback of the stream runs again.
        Idempotent; fine after an error or a timeout. On a stream still connecting, the
        connect is abandoned and the output dropped.
        """
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

    def abort(self) -> None:
        """Close the socket now, dropping what ``output`` holds. No callback of the stream runs
        again. Idempotent."""
        if self._flags & _CLOSED:
            return
        self._flags |= _CLOSING
        self._input._clear()
        self._output._clear()
        self._finish_close(False)

    def write_eof(self) -> None:
        """Shut down the write side once ``output`` is flushed (TLS: after a close_notify);
        reading goes on. A second call does nothing.

        Raises:
            RuntimeError: the stream is closed.
        """
        flags: cython.int = self._flags
        if flags & _CLOSING:
            raise RuntimeError("write_eof() on a closed stream")
        if flags & _SHUT:
            return
        self._flags = flags | _SHUT
        if flags & (_CONNECTING | _HANDSHAKE):
            return  # done once connected, after what was written meanwhile
        self._shut_when_flushed()

    @cython.annotation_typing(False)
    def enable(self, events: int) -> None:
        """Turn reading (``EV_READ``) and/or writing (``EV_WRITE``) on.

        Raises:
            TypeError: ``events`` is not an int.
            ValueError: ``events`` has bits other than EV_READ and EV_WRITE.
        """
        bits: cython.int = _directions(events)
        self._flags |= bits
        self._update_read()
        self._update_write()

    @cython.annotation_typing(False)
    def disable(self, events: int) -> None:
        """Turn reading (``EV_READ``) and/or writing (``EV_WRITE``) off: no reads from the
        socket / no sends of ``output`` until ``enable()``.

        Raises:
            TypeError: ``events`` is not an int.
            ValueError: ``events`` has bits other than EV_READ and EV_WRITE.
        """
        bits: cython.int = _directions(events)
        self._flags &= ~bits
        self._update_read()
        self._update_write()

    @property
    def enabled(self) -> int:
        """The directions turned on: a mask of ``EV_READ`` and ``EV_WRITE``."""
        return (EV_READ if self._flags & _READING else 0) | (
            EV_WRITE if self._flags & _WRITING else 0
        )

    @cython.annotation_typing(False)
    def set_watermarks(self, read_low: int = 0, read_high: int = 0, write_low: int = 0) -> None:
        """Set the watermarks, in bytes (0: no limit).

        ``on_read`` runs once ``input`` holds at least ``read_low``; at ``read_high`` the
        stream stops reading from the socket until ``input`` drains below it (a read never
        takes more than ``read_high`` minus what ``input`` holds); ``on_write`` runs when
        output has drained to ``write_low``.

        Raises:
            TypeError: a watermark is not an int.
            ValueError: a watermark is negative, or ``read_high`` is below ``read_low``.
        """
        low = _watermark("read_low", read_low)
        high = _watermark("read_high", read_high)
        wlow = _watermark("write_low", write_low)
        if high and low > high:
            raise ValueError(f"read_high ({high}) must not be below read_low ({low})")
        self._read_low = low
        self._read_high = high
        self._write_low = wlow
        self._check_paused()

    @cython.annotation_typing(False)
    def set_timeouts(self, read: float | None = None, write: float | None = None) -> None:
        """Report ``BEV_TIMEOUT`` with the direction when no progress was made for that many
        seconds (None or 0: no timeout), and disable that direction (libevent's semantics).
        The write timeout counts only while output is pending.

        Raises:
            TypeError: a timeout is not a number or timedelta.
            ValueError: a timeout is negative or NaN.
        """
        rt = _timeout_or_off("read", read)
        wt = _timeout_or_off("write", write)
        self._read_timeout = rt
        self._write_timeout = wt
        if self._rev is not None and self._rev.attached:
            self._rev.attach(rt if rt >= 0.0 else None)
        if self._wev is not None and self._wev.attached and not self._flags & _CONNECTING:
            self._wev.attach(wt if wt >= 0.0 else None)

    def _buffer_changed(self, buf: Buffer) -> None:
        """Called by ``input``/``output`` when the user reads or adds: resume or flush."""
        if buf is self._input:
            self._check_paused()
        elif not self._flags & _CLOSING:
            self._output_added()

    def __repr__(self) -> str:
        flags = self._flags
        state = (
            "closed"
            if flags & _CLOSED
            else "closing"
            if flags & _CLOSING
            else "connecting"
            if flags & _CONNECTING
            else "handshaking"
            if flags & _HANDSHAKE
            else "failed"
            if flags & _FAILED
            else "open"
        )
        tls = " tls" if self._tls is not None else ""
        return (
            f"<Stream fd={self._fd}{tls} {state} input={self._input._len} "
            f"output={self._output._len}>"
        )

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
            self.abort()
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
            self.abort()
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
            self.close()
        elif what & (BEV_ERROR | BEV_TIMEOUT):
            self.abort()

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

    # -- connect() and TLS: their reactions ----------------------------------------------

    @cython.cfunc
    def _begin_connect(self, conn: object, tls: object) -> None:
        self._conn = conn
        self._flags |= _CONNECTING
        if tls is not None:
            self._start_tls(tls)

    @cython.cfunc
    def _connect_socket(self, sock: SocketType, priority: object) -> None:
        # connect() made this socket and started connecting it: wait until it is writable.
        self._attach_socket(sock, priority)
        self._writer().attach()

    @cython.cfunc
    def _drop_socket(self) -> None:
        # That address failed: forget its socket; connect() tries the next one.
        if self._rev is not None:
            self._rev.detach()
        if self._wev is not None:
            self._wev.detach()
        self._rev = None
        self._wev = None
        if self._sock is not None:
            self._sock.close()
        self._sock = None
        self._fd = -1

    @cython.cfunc
    def _connected(self) -> None:
        # The TCP (or Unix) connection is up; TLS next, else BEV_CONNECTED.
        self._flags &= ~_CONNECTING
        if self._tls is not None:
            self._start_tls(self._tls)
            self._update_read()
            return
        self._established()

    @cython.cfunc
    def _established(self) -> None:
        # Connected (and the TLS handshake done): report it, then carry on as any stream.
        conn = self._conn
        self._conn = None
        if conn is not None:
            conn.cancel()
        self._update_read()
        self._report(BEV_CONNECTED)
        flags: cython.int = self._flags
        if flags & _CLOSING:
            return
        if self._tls is not None:
            self._tls_encrypt()
        if self._pending_len() > self._write_low:
            self._flags |= _ABOVE_LOW
        if flags & _SHUT:
            self._shut_when_flushed()
        if self._wire._len and self._flags & _WRITING and not self._flags & _FAILED:
            self._flush()  # what was written meanwhile goes now: the socket is writable
        else:
            self._update_write()

    @cython.cfunc
    def _connect_failed(self, exc: object, what: cython.int) -> None:
        # connect() gave up: an error (exc) or its timeout (exc None).
        if self._flags & _CLOSING:
            return
        self._flags = (self._flags & ~_CONNECTING) | _FAILED | _DONE
        if exc is not None:
            self._error = exc
        conn = self._conn
        self._conn = None
        if conn is not None:
            conn.cancel()
        self._update_read()
        self._update_write()
        self._report(what)

    @cython.cfunc
    def _connect_timed_out(self) -> None:
        direction: cython.int = BEV_WRITING if self._flags & _CONNECTING else BEV_READING
        self._connect_failed(None, BEV_TIMEOUT | direction)

    @cython.cfunc
    def _start_tls(self, tls: object) -> None:
        self._tls = tls
        self._wire = Buffer()
        self._flags |= _HANDSHAKE
        if self._sock is not None and not self._flags & _CONNECTING:
            self._tls_step()

    @cython.cfunc
    def _tls_received(self, data: bytes) -> None:
        tls = self._tls
        if len(data) == 0:
            tls.feed_eof()
        else:
            tls.feed(data)
        self._tls_step()

    @cython.cfunc
    def _tls_step(self) -> None:
        # Drive the TLS object after ciphertext came in: handshake, then plaintext out.
        tls = self._tls
        try:
            if self._flags & _HANDSHAKE:
                if not tls.handshake():
                    self._tls_send_wire()
                    if tls.eof:
                        self._tls_failed(_tls.eof_error())
                    return
                self._flags &= ~_HANDSHAKE
                self._tls_send_wire()
                self._established()
                if self._flags & (_CLOSING | _FAILED):
                    return
            data, eof = tls.read()
        except _tls.SSLError as exc:
            self._tls_send_wire()  # the alert that tells the peer why, if the socket takes it
            self._tls_failed(exc)
            return
        self._tls_send_wire()
        if self._flags & (_CLOSING | _FAILED):
            return
        if data:
            self._received(data)
        if eof and not self._flags & (_CLOSING | _EOF):
            self._at_eof()

    @cython.cfunc
    def _tls_failed(self, exc: BaseException) -> None:
        if self._flags & _HANDSHAKE and self._conn is not None:
            self._connect_failed(exc, BEV_ERROR | BEV_READING)
        else:
            self._failed(exc, BEV_READING)

    @cython.cfunc
    def _tls_encrypt(self) -> None:
        if self._flags & (_HANDSHAKE | _CONNECTING | _FAILED):
            return  # plaintext waits for the handshake; after an error it never goes
        out = self._output
        wire = self._wire
        tls = self._tls
        while out._len and wire._len < _TLS_WIRE_MAX:
            chunk = out._take(out._len if out._len < 65536 else 65536, False)
            try:
                tls.write(chunk)
            except _tls.SSLError as exc:
                self._failed(exc, BEV_WRITING)
                return
            out._consume(len(chunk))
            wire._append_bytes(tls.take())

    @cython.cfunc
    def _tls_send_wire(self) -> None:
        # Handshake records and the like: into the wire buffer, sent now if the socket takes.
        wire = self._wire
        wire._append_bytes(self._tls.take())
        if wire._len and not self._flags & _FAILED and not (self._wev and self._wev.attached):
            try:
                n: cython.Py_ssize_t = send_buffer(self._sock, self._fd, wire)
            except OSError as exc:
                self._failed(exc, BEV_WRITING)
                return
            wire._consume(n)
        self._update_write()

    @cython.cfunc
    def _tls_close_notify(self) -> None:
        if self._flags & (_HANDSHAKE | _FAILED):
            return
        out = self._output
        tls = self._tls
        try:
            while out._len:
                chunk = out._take(out._len, True)
                tls.write(chunk)
            tls.close_notify()
        except _tls.SSLError:
            pass  # nothing better to do with a TLS layer that will not close cleanly
        self._wire._append_bytes(tls.take())


@cython.cfunc
@cython.exceptval(-1, check=True)
def _directions(events: object) -> cython.int:
    bits: int = check_int("events", events)
    if bits & ~(EV_READ | EV_WRITE):
        raise ValueError(f"events must combine EV_READ and EV_WRITE, got {bits:#x}")
    return (_READING if bits & EV_READ else 0) | (_WRITING if bits & EV_WRITE else 0)
