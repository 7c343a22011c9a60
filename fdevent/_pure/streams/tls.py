"""Connect and TLS reactions of a stream: the middle layer of ``Stream``.

``connect()`` (``_connect.py``) drives a stream through resolving and connecting with these
methods; TLS (``_tls.py``, ssl.MemoryBIO) runs the handshake and moves plaintext and
ciphertext between the stream's buffers and its wire buffer. ``_streamcore.py`` says how the
pieces fit.
"""

from __future__ import annotations

from socket import socket as SocketType
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

from ... import _tls
from ..._flags import BEV_CONNECTED, BEV_ERROR, BEV_READING, BEV_TIMEOUT, BEV_WRITING
from ..._streambits import (
    _ABOVE_LOW,
    _CLOSING,
    _CONNECTING,
    _DONE,
    _EOF,
    _FAILED,
    _HANDSHAKE,
    _SHUT,
    _TLS_WIRE_MAX,
    _WRITING,
)
from .buffer import Buffer
from .core import StreamCore
from .sockio import send_buffer


@cython.cclass
class StreamTLS(StreamCore):
    """A StreamCore that can connect and run TLS. Not made directly: see ``Stream``."""

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
