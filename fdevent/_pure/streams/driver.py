"""The stream's driver: what a ``Stream`` does, over the state ``stream.py`` keeps.

The public face (``stream.py``) calls it through its ``Driver`` interface (``SocketDriver``);
the events call it through their callbacks, ``_READ_CB`` here and ``_WRITE_CB`` in
``flow.py`` (``record.Handler``s: the base calls them in C, with no Python call and no boxed
int per event); ``connect.py`` hands it a connected socket (``_connected``). It is two
modules, this one above ``flow.py`` (cimports cannot go round in a circle):

- Here, the way in: the ``Driver`` interface, the socket's hand-over and the connection
  established, the reader and what it delivers (``_received``, ``_at_eof``, reading paused at
  the high watermark), and TLS: the ``TLSLayer`` the stream holds (None on a plain stream),
  ciphertext in, plaintext out (``_decrypt``), its own records pushed out (``_push``).
- ``flow.py``: where every path leads. Which events are attached, the writer and the one
  flush path (``_flush`` through ``_send``), failure and timeouts and what the stream's owner
  hears of them, and the ending.

How the reader runs, and why:

- One read per readiness, of up to 256 KiB (``sockio``), then one ``on_read`` for the batch.
  The events are level-triggered: a peer with more to send makes the reader fire again next
  iteration, after the other streams had their turn.
- The reader is attached while the stream reads (``flow._update_read``, from the state bits:
  ``fdevent/_streambits.py``). The reader event has the stream as its argument: the base holds
  an attached event, the event holds the stream, so an open stream needs no other reference.
- The reactions to what the I/O reports are ``_received``, ``_at_eof`` (here), ``_failed``
  and ``_timed_out`` (``flow.py``): a completion driver (io_uring) would keep them and replace
  the events and the system calls (docs/design.md, "The I/O driver seam").
"""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING

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

from ..._flags import BEV_CONNECTED, BEV_EOF, BEV_READING, EV_PERSIST, EV_READ, EV_TIMEOUT
from ..._streambits import (
    _ABOVE_LOW,
    _CLOSING,
    _CONNECTING,
    _DONE,
    _EOF,
    _FAILED,
    _HANDSHAKE,
    _PAUSED,
    _SHUT,
    _UNREPORTED,
    _WRITING,
)
from ..core.record import EventRecord, Handler
from . import owners
from .flow import (
    _abort,
    _close,
    _event,
    _failed,
    _flush,
    _output_added,
    _pending,
    _report,
    _send,
    _shut_when_flushed,
    _timed_out,
    _update_read,
    _update_write,
)
from .sockio import READ_MAX, recv_some
from .stream import Driver, Stream
from .tls import TLSLayer


@cython.final
@cython.cclass
class SocketDriver(Driver):
    """The driver of streams on sockets, through readiness events (the ``Driver``
    interface of ``stream.py``, each operation a function of this module or of ``flow.py``)."""

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


_READ_CB = _ReadCallback()


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


# -- the reader: one read per readiness, and what it delivers --------------------------------


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
