"""Stream: a buffered connection on a socket (libevent's bufferevent, asyncio's transport).

One class, composed: the stream holds what it needs and calls it. ``sockio`` moves the
bytes, a ``TLSLayer`` (``tls.py``, or None) turns ciphertext into plaintext and back, and a
connector (``connect.py``) hands over a connected socket. How it runs, and why:

- Two persistent events, a reader and a writer, with the stream as their argument: the
  base holds an attached event, the event holds the stream. The writer is made on first
  need and attached only while output waits (an idle socket is always writable).
  ``_update_read`` / ``_update_write`` attach and detach them from the state bits
  (``fdevent/_streambits.py``); nothing else touches them.
- One read per readiness, of up to 256 KiB, then one call of ``on_read`` for the batch.
  The events are level-triggered: a peer with more to send makes the reader fire again
  next iteration, after the other streams had their turn.
- ``write()`` on empty output sends at once from the caller's object (bytes are never
  copied to be sent); what the kernel does not take waits in ``output``. Everything that
  waits leaves by one path, ``_flush`` through ``_send``: from ``output``, or under TLS
  from the layer's ``wire`` with more of ``output`` encrypted behind it. ``on_write`` runs
  only from the writer, and an error met inside ``write()`` is reported from the loop, so
  no stream callback runs inside a call the user made.
- The reactions to what the I/O reports are ``_received``, ``_at_eof``, ``_failed`` and
  ``_timed_out`` (the seam a completion driver would plug into: docs/design.md).
- Ownership. An open stream belongs to its base: the base keeps it (no reference needs to
  be kept) and closes it when the base closes (``_Streams``, one per base, in the base's
  ``_closers``). One fd is held by one open stream at a time, in the whole process
  (``_claims``): a second ``Stream`` on a socket already wrapped would race the first for
  its reads and close it twice.
- After ``close()`` or ``abort()`` nothing of the stream runs again; ``close()`` lingers
  only to flush, with no callbacks.
"""

from __future__ import annotations

import contextlib
import math
import socket
import sys
import weakref
from collections.abc import Callable
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

from ... import _tls
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
    _PAUSED,
    _READING,
    _REPORT,
    _SHUT,
    _SHUT_DONE,
    _UNREPORTED,
    _WRITING,
)
from ..core.base import EventBase
from ..core.checks import check_int, timeout_seconds
from ..core.event import Event
from .buffer import Buffer, _to_bytes
from .sockio import READ_MAX, recv_some, send_buffer, send_bytes
from .tls import TLSLayer

StreamCallback = Callable[["Stream", Any], object]
EventCallback = Callable[["Stream", int, Any], object]

#: fd -> a weak reference to the ``_Streams`` of the base whose stream holds it (or None).
_claims: list[Any] = []


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
    (``server_side=True`` for an accepted one). A stream belongs to its base until it is
    closed: no reference needs to be kept, and ``base.close()`` closes it.

    Raises:
        TypeError: ``base`` is not an EventBase, ``sock`` not a socket, a callback not
            callable, ``ssl`` not an SSLContext.
        ValueError: ``sock`` is closed, listening, not a stream socket, or already wrapped
            by an open stream; a priority out of range; ``ssl`` a server context without
            ``server_side=True``.
        RuntimeError: the base is closed.
    """

    # The C layout is in stream.pxd; these annotations tell type checkers the same.
    _base: EventBase
    _sock: Any
    _input: Buffer
    _output: Buffer
    _on_read: Any
    _on_write: Any
    _on_event: Any
    _arg: Any
    _rev: Any
    _wev: Any
    _error: Any
    _tls: TLSLayer | None
    _conn: Any
    _prev: Stream | None
    _next: Stream | None
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
        tls = None if ssl is None else TLSLayer(ssl, bool(server_side), server_hostname)
        self._attach_socket(sock, priority)
        self._enlist()
        if tls is not None:
            self._tls = tls
            self._flags |= _HANDSHAKE
            self._start_tls()
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
        """The socket the stream owns (None while ``connect()`` has not connected one)."""
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
        """Whether ``close()`` or ``abort()`` was called, or the base closed (the socket may
        still be flushing after ``close()``)."""
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
            RuntimeError: the stream is closed (by ``close()``, ``abort()`` or the base's
                ``close()``), or ``write_eof()`` was called.
        """
        flags: cython.int = self._flags
        if flags & (_CLOSING | _SHUT):
            raise RuntimeError(_closed_message("write()", self) if flags & _CLOSING else
                               "write() after write_eof()")
        payload: bytes = data if type(data) is bytes else _to_bytes(data)
        n: cython.Py_ssize_t = len(payload)
        if n == 0 or flags & _FAILED:
            return  # after an error the data could never be sent
        out = self._output
        sent: cython.Py_ssize_t = 0
        if out._len == 0 and self._tls is None and flags & _WRITING and not flags & _CONNECTING:
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
        Idempotent, and safe at any time: after an error, a timeout or the base's
        ``close()`` (which closed the stream already). On a stream still connecting, the
        connect is abandoned and the output dropped.
        """
        self._close()

    def abort(self) -> None:
        """Close the socket now, dropping what ``output`` holds. No callback of the stream runs
        again. Idempotent, and safe at any time."""
        self._abort()

    def write_eof(self) -> None:
        """Shut down the write side once ``output`` is flushed (TLS: after a close_notify);
        reading goes on. A second call does nothing.

        Raises:
            RuntimeError: the stream is closed.
        """
        flags: cython.int = self._flags
        if flags & _CLOSING:
            raise RuntimeError(_closed_message("write_eof()", self))
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
        self._flags |= _directions(events)
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
        self._flags &= ~_directions(events)
        self._update_read()
        self._update_write()

    @property
    def enabled(self) -> int:
        """The directions turned on, as a mask of ``EV_READ`` and ``EV_WRITE``."""
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
            ValueError: a watermark is negative or above ``sys.maxsize``, or ``read_high``
                is below ``read_low``.
        """
        low = _size("read_low", read_low)
        high = _size("read_high", read_high)
        wlow = _size("write_low", write_low)
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
        if self._wev is not None and self._wev.attached:
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

    # -- setup, ownership, and the hand-over from connect() --------------------------------

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
            # The base's own rule, checked before anything is made.
            cython.cast(EventBase, base)._priority_of(priority)
        self._base = base
        self._on_read = on_read
        self._on_write = on_write
        self._on_event = on_event
        self._arg = arg
        self._input = Buffer()
        self._output = Buffer()
        self._output._owner = self
        self._sock = None
        self._fd = -1
        self._rev = None
        self._wev = None
        self._error = None
        self._tls = None
        self._conn = None
        self._prev = None
        self._next = None
        self._read_timeout = -1.0
        self._write_timeout = -1.0
        self._read_low = 0
        self._read_high = 0
        self._write_low = 0
        self._flags = _READING | _WRITING

    @cython.cfunc
    def _ring(self) -> _Streams:
        # The base's _Streams, made with the base's first stream.
        closers: dict[Any, Any] = self._base._closers
        ring = closers.get(_Streams)
        if ring is None:
            ring = _Streams()
            closers[_Streams] = ring
        return ring  # type: ignore[no-any-return]

    @cython.cfunc
    def _enlist(self) -> None:
        ring: _Streams = self._ring()
        head = ring.head
        self._next = head
        if head is not None:
            head._prev = self
        ring.head = self

    @cython.cfunc
    def _unlink(self) -> None:
        prev = self._prev
        nxt = self._next
        if prev is not None:
            prev._next = nxt
        else:
            ring = self._base._closers.get(_Streams)
            if ring is not None and cython.cast(_Streams, ring).head is self:
                cython.cast(_Streams, ring).head = nxt
        if nxt is not None:
            nxt._prev = prev
        self._prev = None
        self._next = None

    @cython.cfunc
    def _attach_socket(self, sock: socket.socket, priority: object) -> None:
        fd: cython.int = sock.fileno()
        _check_unclaimed(fd)
        sock.setblocking(False)
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            # A stream writes whole messages at once: Nagle would only delay them (asyncio's
            # transports do the same).
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._rev = Event(self._base, fd, EV_READ | EV_PERSIST, _read_cb, self, priority)  # type: ignore[arg-type]
        self._sock = sock
        self._fd = fd
        if fd >= len(_claims):
            _claims.extend([None] * (fd + 1 - len(_claims)))
        _claims[fd] = self._ring().ref

    @cython.cfunc
    def _begin_connect(self, conn: object, tls: TLSLayer | None) -> None:
        # connect(): no socket until the connector hands one over.
        self._conn = conn
        self._flags |= _CONNECTING
        self._enlist()
        if tls is not None:
            self._tls = tls
            self._flags |= _HANDSHAKE

    @cython.cfunc
    def _connected(self, sock: socket.socket, priority: object) -> None:
        # The connector's socket is connected: the stream's from now on. TLS next, else
        # BEV_CONNECTED.
        self._attach_socket(sock, priority)
        self._flags &= ~_CONNECTING
        if self._tls is not None:
            self._start_tls()
            self._update_read()
        else:
            self._established()

    @cython.cfunc
    def _connect_failed(self, exc: object, what: cython.int) -> None:
        # connect() gave up: an error (exc), or its timeout (exc None).
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

    # -- the readiness half of the driver: which events are attached -----------------------

    @cython.cfunc
    def _update_read(self) -> None:
        rev = self._rev
        if rev is None:
            return
        flags: cython.int = self._flags
        want: cython.bint = (flags & (_READING | _HANDSHAKE)) != 0 and not flags & (
            _PAUSED | _EOF | _FAILED | _CLOSING
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
            return  # no socket yet: what is written waits for it
        wev = self._wev
        want: cython.bint = (
            (flags & (_WRITING | _CLOSING | _HANDSHAKE)) != 0
            and not flags & (_FAILED | _CLOSED)
            and self._pending_len() > 0
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
                self._base, self._fd, EV_WRITE | EV_PERSIST, _write_cb, self, self._rev.priority
            )
        return self._wev

    # -- event handlers, and the one flush path --------------------------------------------

    @cython.cfunc
    def _readable(self, events: cython.int) -> None:
        if events & EV_TIMEOUT:
            self._timed_out(BEV_READING)
            return
        cap: cython.Py_ssize_t = READ_MAX
        tls = self._tls
        if self._read_high and tls is None:
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
        if tls is not None:
            self._decrypt(chunk)
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
        if events & EV_TIMEOUT and not events & EV_WRITE:
            self._timed_out(BEV_WRITING)
            return
        self._flush()

    @cython.cfunc
    @cython.exceptval(-1, check=True)
    def _send(self) -> cython.bint:
        # Where waiting bytes go to the socket: as many as it takes now, from output or the
        # TLS layer's wire (with more of output encrypted behind them). False: it failed.
        tls = self._tls
        wire: Buffer = self._output
        if tls is not None:
            wire = tls.wire
            if not self._encrypt():
                return False
        if wire._len:
            try:
                n: cython.Py_ssize_t = send_buffer(self._sock, self._fd, wire)
            except OSError as exc:
                self._failed(exc, BEV_WRITING)
                return False
            wire._consume(n)
            if tls is not None:
                return self._encrypt()
        return True

    @cython.cfunc
    @cython.exceptval(-1, check=True)
    def _encrypt(self) -> cython.bint:
        if self._flags & (_HANDSHAKE | _FAILED):
            return True  # plaintext waits for the handshake; after an error it never goes
        try:
            self._tls.encrypt(self._output)  # type: ignore[union-attr]
        except _tls.SSLError as exc:
            self._failed(exc, BEV_WRITING)
            return False
        return True

    @cython.cfunc
    def _flush(self) -> None:
        # The writer's work: send, then react to what drained.
        if not self._send():
            return
        if self._pending_len():
            self._update_write()  # more to send: the writer stays (or is now) attached
            return
        flags: cython.int = self._flags
        if flags & _CLOSING:
            self._finish_close(True)
            return
        self._update_write()
        if flags & _SHUT and not flags & _SHUT_DONE:
            self._shutdown_write()
        if flags & _ABOVE_LOW and self._pending_len() <= self._write_low:
            self._flags &= ~_ABOVE_LOW
            if self._on_write is not None:
                self._on_write(self, self._arg)

    @cython.cfunc
    def _push(self) -> None:
        # TLS records the layer made of itself (handshake, alerts): sent now, unless the
        # writer is already waiting for the socket.
        if not self._flags & _FAILED and (self._wev is None or not self._wev.attached):
            self._send()
        self._update_write()

    # -- TLS: the stream's side of its layer -----------------------------------------------

    @cython.cfunc
    def _start_tls(self) -> None:
        try:
            self._tls.start()  # type: ignore[union-attr]
        except _tls.SSLError as exc:
            self._tls_failed(exc)
            return
        self._push()

    @cython.cfunc
    def _decrypt(self, data: bytes) -> None:
        # Ciphertext came (b"": the socket's end of file): the handshake, then plaintext.
        tls: TLSLayer = self._tls  # type: ignore[assignment]
        tls.feed(data)
        if self._flags & _HANDSHAKE:
            try:
                done: cython.bint = tls.handshake()
            except _tls.SSLError as exc:
                self._tls_failed(exc)
                return
            self._push()
            if not done:
                return
            self._flags &= ~_HANDSHAKE
            self._established()
            if self._flags & (_CLOSING | _FAILED):
                return
        try:
            plain = tls.read()
        except _tls.SSLError as exc:
            self._tls_failed(exc)
            return
        self._push()
        if self._flags & (_CLOSING | _FAILED):
            return
        if plain:
            self._received(plain)
        if tls.eof and not self._flags & (_CLOSING | _EOF):
            self._at_eof()

    @cython.cfunc
    def _tls_failed(self, exc: BaseException) -> None:
        self._push()  # the alert that tells the peer why, if the socket takes it
        if self._flags & _HANDSHAKE and self._conn is not None:
            self._connect_failed(exc, BEV_ERROR | BEV_READING)
        else:
            self._failed(exc, BEV_READING)

    # -- the stream's reactions to what the driver reports ---------------------------------

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
        if self._pending_len() > self._write_low:
            self._flags |= _ABOVE_LOW
        if flags & _SHUT:
            self._shut_when_flushed()
        if self._pending_len() and self._flags & _WRITING and not self._flags & _FAILED:
            self._flush()  # what was written meanwhile goes now: the socket is writable
        else:
            self._update_write()

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
        if self._tls is None:
            return self._output._len
        return self._output._len + self._tls.wire._len

    @cython.cfunc
    def _output_added(self) -> None:
        flags: cython.int = self._flags
        if (
            self._tls is not None
            and flags & _WRITING
            and not flags & (_CONNECTING | _HANDSHAKE | _FAILED)
            and (self._wev is None or not self._wev.attached)
        ):
            self._send()  # a TLS write sends at once too
        if self._pending_len() > self._write_low:
            self._flags |= _ABOVE_LOW
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
        if self._tls is not None and not self._flags & _FAILED:
            self._tls.close_notify(self._output)
        if self._pending_len() == 0:
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
        conn = self._conn
        if conn is not None:
            self._conn = None
            conn.cancel()
        self._unlink()
        sock = self._sock
        fd: cython.int = self._fd
        self._fd = -1
        if sock is None:
            return
        if sock.fileno() == fd:
            # Ours to release (a socket closed behind our back may have lent its number out).
            _claims[fd] = None
            if graceful and not flags & (_SHUT_DONE | _FAILED):
                # The peer may be gone already: then closing is all there is to do.
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_WR)
        with contextlib.suppress(OSError):
            sock.close()

    @cython.cfunc
    def _close(self) -> None:
        # Stream.close(): flush, then shut down and close; no callback from now on.
        flags: cython.int = self._flags
        if flags & _CLOSING:
            return
        self._flags = flags | _CLOSING
        self._input._clear()
        if flags & (_FAILED | _CONNECTING | _HANDSHAKE) or self._base._closed:
            self._finish_close(False)
            return
        if self._tls is not None:
            self._tls.close_notify(self._output)
        if self._pending_len() == 0:
            self._finish_close(True)
            return
        self._update_read()
        self._update_write()

    @cython.cfunc
    def _abort(self) -> None:
        # Stream.abort(), and the base's close(): close now, drop the output.
        if self._flags & _CLOSED:
            return
        self._flags |= _CLOSING
        self._input._clear()
        self._output._clear()
        self._finish_close(False)


@cython.final
@cython.cclass
class _Streams:
    """The open streams of one base, linked through their ``_prev``/``_next``.

    The base holds this among its closers and calls it when it closes: every stream still
    open is closed then, as ``abort()`` closes it (no loop will run again to flush it).
    """

    head: Stream | None
    ref: Any

    def __init__(self) -> None:
        self.head = None
        self.ref = weakref.ref(self)

    def __call__(self) -> None:
        while self.head is not None:
            stream: Stream = self.head
            self.head = stream._next
            if stream._next is not None:
                stream._next._prev = None
            stream._next = None
            stream._abort()

    @cython.cfunc
    def holding(self, fd: cython.int) -> Stream | None:
        # The open stream of this base whose socket is fd (its socket not closed behind its
        # back), or None. A walk, but only when a claim on fd is found.
        stream = self.head
        while stream is not None:
            if stream._fd == fd and stream._sock.fileno() == fd:
                return stream
            stream = stream._next
        return None


def _read_cb(fd: int, events: int, stream: Stream) -> None:
    stream._readable(events)


def _write_cb(fd: int, events: int, stream: Stream) -> None:
    stream._writable(events)


@cython.cfunc
def _check_unclaimed(fd: cython.int) -> None:
    if fd >= len(_claims) or _claims[fd] is None:
        return
    ring = _claims[fd]()
    if ring is not None and cython.cast(_Streams, ring).holding(fd) is not None:
        raise ValueError(
            f"sock (fd {fd}) is already wrapped by a stream: one socket, one Stream "
            "(use that stream, or close it first)"
        )


def _closed_message(call: str, stream: Stream) -> str:
    if stream._base._closed:
        return f"{call} on a closed stream (its event base was closed)"
    return f"{call} on a closed stream"


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


def _size(name: str, value: object) -> int:
    # A size in bytes: 0 (no limit) up to sys.maxsize, alike on both cores.
    n = check_int(name, value)
    if n < 0:
        raise ValueError(f"{name} must be >= 0 (0: no limit), got {n}")
    if n > sys.maxsize:
        raise ValueError(f"{name} must be at most sys.maxsize ({sys.maxsize}), got {n}")
    return n


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


@cython.cfunc
@cython.exceptval(-1, check=True)
def _directions(events: object) -> cython.int:
    bits: int = check_int("events", events)
    if bits & ~(EV_READ | EV_WRITE):
        raise ValueError(f"events must combine EV_READ and EV_WRITE, got {bits:#x}")
    return (_READING if bits & EV_READ else 0) | (_WRITING if bits & EV_WRITE else 0)
