"""Stream: a buffered connection on a socket (libevent's bufferevent, asyncio's transport).

This module is the public API: argument checks at the door, then the typed machinery of
``_streamcore.py`` (state, events, reactions; its docstring says why it is built so) and
``_streamtls.py`` (connect and TLS). docs/design.md has the decisions where DESIGN.md is
silent.
"""

from __future__ import annotations

import socket
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
from ..._flags import EV_READ, EV_WRITE
from ..._streambits import (
    _CLOSED,
    _CLOSING,
    _CONNECTING,
    _FAILED,
    _HANDSHAKE,
    _READING,
    _SHUT,
    _WRITING,
)
from ..core.base import EventBase
from ..core.checks import check_int
from .buffer import Buffer, _to_bytes
from .core import _timeout_or_off
from .sockio import send_bytes
from .tls import StreamTLS

StreamCallback = Callable[["Stream", Any], object]
EventCallback = Callable[["Stream", int, Any], object]


def _watermark(name: str, value: object) -> int:
    n = check_int(name, value)
    if n < 0:
        raise ValueError(f"{name} must be >= 0 (0: no limit), got {n}")
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


@cython.cclass
class Stream(StreamTLS):
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
        self._close()

    def abort(self) -> None:
        """Close the socket now, dropping what ``output`` holds. No callback of the stream runs
        again. Idempotent."""
        self._abort()

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


@cython.cfunc
@cython.exceptval(-1, check=True)
def _directions(events: object) -> cython.int:
    bits: int = check_int("events", events)
    if bits & ~(EV_READ | EV_WRITE):
        raise ValueError(f"events must combine EV_READ and EV_WRITE, got {bits:#x}")
    return (_READING if bits & EV_READ else 0) | (_WRITING if bits & EV_WRITE else 0)
