"""Stream: a buffered connection on a socket (libevent's bufferevent, asyncio's transport).

This module is the stream's state and its public face; what the stream *does* (its two events,
the one flush path, TLS records, its reactions, its ending) is its driver's (``driver.py``, and
``flow.py`` under it), reached through the ``Driver`` interface below. The split is libevent's:
``bufferevent.c`` is the generic half and calls its ``be_ops`` table; ``bufferevent_sock.c``
implements the table and works on the generic struct. It is also the seam of docs/design.md,
"The I/O driver seam": a completion driver (io_uring) would be a second ``Driver``. A Cython
class keeps all its methods in its own module, and a module cannot import one that imports it,
so the driver sits above this module and is handed to it when the streams package is imported
(``streams/__init__.py``).

The stream holds its parts and calls them; it inherits nothing. A ``TLSLayer`` (``tls.py``)
is held by a TLS stream and None on a plain one; a ``Connector`` (``connect.py``) is held
while ``connect()`` has no connected socket yet and hands one over; ``owners.py`` ties an
open stream to its base, which closes it, and gives each fd to one open stream.

``write()`` keeps its hot path here: on empty output it sends at once from the caller's
object (bytes are never copied to be sent), and only what the kernel did not take goes to
the driver, which flushes it from the loop.
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
    if not cython.compiled:  # at run time the pure core takes the shim (its docstring)
        from ..clib import shim as cython

from ..._flags import BEV_WRITING, EV_READ, EV_WRITE
from ..._introspect import TwinSignature
from ..._streambits import (
    _CLOSED,
    _CLOSING,
    _CONNECTING,
    _FAILED,
    _HANDSHAKE,
    _LATER,
    _READING,
    _SHUT,
    _WRITING,
)
from ..core.base import EventBase
from .buffer import Buffer, _to_bytes
from .checks import (
    callable_or_none,
    check_socket,
    closed_message,
    directions,
    size,
    timeout_or_off,
)
from .sockio import send_bytes
from .tls import TLSLayer

StreamCallback = Callable[["Stream", Any], object]
EventCallback = Callable[["Stream", int, Any], object]

#: repr()'s word for the state: the first of these bits that is set ("open" if none).
_STATES = (
    (_CLOSED, "closed"),
    (_CLOSING, "closing"),
    (_CONNECTING, "connecting"),
    (_HANDSHAKE, "handshaking"),
    (_FAILED, "failed"),
)


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

    __signature__ = TwinSignature()  # inspect.signature() and help() on the compiled class too

    # The C layout is in stream.pxd; these annotations tell type checkers the same.
    _base: EventBase
    _sock: Any
    _input: Buffer
    _output: Buffer
    _on_read: Any
    _on_write: Any
    _on_event: Any
    _arg: Any
    _rev: Any  # the reader and the writer (Events), the driver's
    _wev: Any
    _error: Any
    _tls: TLSLayer | None
    _conn: Any  # a Connector while connect() has no connected socket yet
    _read_timeout: float  # seconds; -1.0: none
    _write_timeout: float
    _read_low: int
    _read_high: int
    _write_low: int
    _fd: int
    _flags: int  # the state bits of fdevent/_streambits.py

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
        sock = check_socket(sock)
        if ssl is not None:
            self._tls = TLSLayer(ssl, bool(server_side), server_hostname)
            self._flags |= _HANDSHAKE
        _driver.attach(self, sock, priority)

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
        """Whether ``close()`` or ``abort()`` was called or the base closed (the socket may
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
        if flags & _CLOSING:
            raise RuntimeError(closed_message("write()", self._base._closed))
        if flags & _SHUT:
            raise RuntimeError("write() after write_eof()")
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
                _driver.failed(self, exc, BEV_WRITING | _LATER)
                return
            if sent == n:
                return
        out._append_rest(payload, sent)
        _driver.output_added(self)

    def close(self) -> None:
        """Flush what ``output`` holds, then shut down and close the socket (TLS: after a
        close_notify); unread input is discarded. No callback of the stream runs again.
        Idempotent, and safe at any time: after an error, a timeout or the base's
        ``close()`` (which closed the stream already). On a stream still connecting, the
        connect is abandoned and the output dropped.
        """
        _driver.close(self)

    def abort(self) -> None:
        """Close the socket now, dropping what ``output`` holds. No callback of the stream runs
        again. Idempotent, and safe at any time."""
        _driver.abort(self)

    def write_eof(self) -> None:
        """Shut down the write side once ``output`` is flushed (TLS: after a close_notify);
        reading goes on. A second call does nothing.

        Raises:
            RuntimeError: the stream is closed.
        """
        flags: cython.int = self._flags
        if flags & _CLOSING:
            raise RuntimeError(closed_message("write_eof()", self._base._closed))
        if flags & _SHUT:
            return
        self._flags = flags | _SHUT
        if not flags & (_CONNECTING | _HANDSHAKE):  # else once connected
            _driver.shut(self)

    @cython.annotation_typing(False)
    def enable(self, events: int) -> None:
        """Turn reading (``EV_READ``) and/or writing (``EV_WRITE``) on.

        Raises:
            TypeError: ``events`` is not an int.
            ValueError: ``events`` has bits other than EV_READ and EV_WRITE.
        """
        self._flags |= directions(events)
        _driver.update(self)

    @cython.annotation_typing(False)
    def disable(self, events: int) -> None:
        """Turn reading (``EV_READ``) and/or writing (``EV_WRITE``) off: no reads from the
        socket / no sends of ``output`` until ``enable()``.

        Raises:
            TypeError: ``events`` is not an int.
            ValueError: ``events`` has bits other than EV_READ and EV_WRITE.
        """
        self._flags &= ~directions(events)
        _driver.update(self)

    @property
    def enabled(self) -> int:
        """The directions turned on, as a mask of ``EV_READ`` and ``EV_WRITE``."""
        flags = self._flags
        return (EV_READ if flags & _READING else 0) | (EV_WRITE if flags & _WRITING else 0)

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
        low = size("read_low", read_low)
        high = size("read_high", read_high)
        wlow = size("write_low", write_low)
        if high and low > high:
            raise ValueError(f"read_high ({high}) must not be below read_low ({low})")
        self._read_low = low
        self._read_high = high
        self._write_low = wlow
        _driver.check_paused(self)

    @cython.annotation_typing(False)
    def set_timeouts(self, read: float | None = None, write: float | None = None) -> None:
        """Report ``BEV_TIMEOUT`` with the direction when no progress was made for that many
        seconds (None or 0: no timeout), and disable that direction (libevent's semantics).
        The write timeout counts only while output is pending.

        Raises:
            TypeError: a timeout is not a number or timedelta.
            ValueError: a timeout is negative or NaN.
        """
        rt: cython.double = timeout_or_off("read", read)
        wt: cython.double = timeout_or_off("write", write)
        self._read_timeout = rt
        self._write_timeout = wt
        if self._rev is not None and self._rev.attached:
            self._rev.attach(rt if rt >= 0.0 else None)
        if self._wev is not None and self._wev.attached:
            self._wev.attach(wt if wt >= 0.0 else None)

    def _buffer_changed(self, buf: Buffer) -> None:
        """Called by ``input``/``output`` when the user reads or adds: resume or flush."""
        if buf is self._input:
            _driver.check_paused(self)
        elif not self._flags & _CLOSING:
            _driver.output_added(self)

    def __repr__(self) -> str:
        state = next((word for bit, word in _STATES if self._flags & bit), "open")
        tls = " tls" if self._tls is not None else ""
        return (
            f"<Stream fd={self._fd}{tls} {state} input={self._input._len} "
            f"output={self._output._len}>"
        )

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
        # Every check before anything is made, then every field (connect() calls this too).
        if not isinstance(base, EventBase):
            raise TypeError(f"base must be an EventBase, not {type(base).__name__}")
        if base.closed:
            raise RuntimeError("the event base is closed")
        callable_or_none("on_read", on_read)
        callable_or_none("on_write", on_write)
        callable_or_none("on_event", on_event)
        if priority is not None:
            cython.cast(EventBase, base)._priority_of(priority)  # the base's own rule
        self._base = base
        self._on_read = on_read
        self._on_write = on_write
        self._on_event = on_event
        self._arg = arg
        self._input = Buffer()
        self._output = Buffer()
        self._output._owner = self
        self._sock = self._rev = self._wev = self._error = self._tls = self._conn = None
        self._read_timeout = self._write_timeout = -1.0
        self._read_low = self._read_high = self._write_low = 0
        self._fd = -1
        self._flags = _READING | _WRITING


@cython.cclass
class Driver:
    """What a stream's public methods ask of its driver (``driver.py`` implements it).

    ``attach(s, sock, priority)``: take ``sock`` (claimed for ``s``, made non-blocking,
    its events made), start a TLS handshake if ``s`` has a layer, and read.
    ``output_added(s)``: ``output`` grew; send what can go now (TLS), arm the writer.
    ``failed(s, exc, what)``: an error in direction ``what`` (``_LATER``: met inside a
    call of the user's, so reported from the loop).
    ``update(s)``: the state bits changed; attach or detach the events to match.
    ``check_paused(s)``: ``input`` or the watermarks changed; pause or resume reading.
    ``shut(s)``, ``close(s)``, ``abort(s)``: ``write_eof()``, ``close()``, ``abort()``.
    """

    @cython.cfunc
    def attach(self, s: Stream, sock: socket.socket, priority: object) -> None:
        raise _unplugged()

    @cython.cfunc
    def output_added(self, s: Stream) -> None:
        raise _unplugged()

    @cython.cfunc
    def failed(self, s: Stream, exc: object, what: cython.int) -> None:
        raise _unplugged()

    @cython.cfunc
    def update(self, s: Stream) -> None:
        raise _unplugged()

    @cython.cfunc
    def check_paused(self, s: Stream) -> None:
        raise _unplugged()

    @cython.cfunc
    def shut(self, s: Stream) -> None:
        raise _unplugged()

    @cython.cfunc
    def close(self, s: Stream) -> None:
        raise _unplugged()

    @cython.cfunc
    def abort(self, s: Stream) -> None:
        raise _unplugged()


def _unplugged() -> RuntimeError:
    return RuntimeError("no stream driver (the streams package plugs it in when imported)")


#: The driver of every stream of this core (one, stateless: a stream's state is its own).
_driver: Driver = Driver()


def use_driver(driver: Driver) -> None:
    """Make ``driver`` the streams' driver (``streams/__init__.py`` does, once)."""
    global _driver
    _driver = driver
