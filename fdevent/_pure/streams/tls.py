"""TLS as a layer the stream holds, between its socket and its buffers.

A stream made with ``ssl=`` holds one ``TLSLayer`` and calls it; a plain stream holds None
and never asks anything else. The shape is libevent's (``bufferevent_openssl`` is its own
type behind an ops table: the generic code never asks "am I TLS?") and uvloop's
(``SSLProtocol`` sits between the transport and the application's protocol). The layer never
touches the socket and reports nothing: the stream reads and sends, and reacts to what the
layer returns or raises.

What the stream calls, and what it gets:

- ``wire``: the ciphertext waiting for the socket (handshake records, encrypted output,
  alerts). The stream's one flush path sends from it where a plain stream sends ``output``.
- ``start()``: begin the handshake (on the client side, the hello goes into ``wire``).
- ``receive(data)``: ciphertext from the socket in (``b""``: its end of file), plaintext
  out. It advances the handshake first: ``ready`` turns True when the handshake is done,
  and ``eof`` when the peer's input ended (close_notify, or a transport EOF without one,
  as asyncio takes it).
- ``encrypt(output)``: move plaintext from the stream's ``output`` into ``wire``, never more
  than ``_WIRE_MAX`` bytes of ciphertext ahead of the socket, so ``len(stream.output)`` stays
  the measure of what is pending (back-pressure works as on a plain stream) and the hidden
  ciphertext is bounded.
- ``close_notify(output)``: all of ``output``, then the close_notify alert, into ``wire``;
  nothing is encrypted after it.

Every call but ``close_notify`` may raise ``ssl.SSLError`` (a failed handshake, a bad
record, an alert); the stream reports it as ``BEV_ERROR`` after sending what ``wire`` holds
(the alert that tells the peer why). The OpenSSL side is ``fdevent/_tls.py`` (an SSLObject
between two memory BIOs), shared by both cores.
"""

from __future__ import annotations

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

from ... import _tls
from .buffer import Buffer

#: At most this much ciphertext waits in ``wire`` before more of ``output`` is encrypted.
_WIRE_MAX = 65536
#: Plaintext handed to OpenSSL per call: four full records.
_CHUNK = 65536


@cython.final
@cython.cclass
class TLSLayer:
    """The TLS of one stream: its engine and the ciphertext waiting for the socket.

    ``TLSLayer(context, server_side, server_hostname)``; raises what ``_tls.TLS`` raises
    (TypeError, ValueError) for bad arguments.
    """

    # The C layout is in tls.pxd; these annotations tell type checkers the same.
    wire: Buffer
    ready: bool
    eof: bool
    _engine: Any
    _closed: bool

    def __init__(self, context: object, server_side: bool, server_hostname: object) -> None:
        self._engine = _tls.TLS(context, server_side, server_hostname)
        self.wire = Buffer()
        self.ready = False
        self.eof = False
        self._closed = False

    @property
    def sslobj(self) -> Any:
        """The ``ssl.SSLObject`` (cipher, peer certificate, ...)."""
        return self._engine.sslobj

    @cython.cfunc
    def start(self) -> None:
        self._engine.handshake()
        self._take()

    @cython.cfunc
    def receive(self, data: bytes) -> bytes:
        engine = self._engine
        if len(data) == 0:
            engine.feed_eof()
        else:
            engine.feed(data)
        try:
            if not self.ready:
                if not engine.handshake():
                    return b""
                self.ready = True
            plain, eof = engine.read()
        finally:
            self._take()
        if eof:
            self.eof = True
        return plain  # type: ignore[no-any-return]

    @cython.cfunc
    def encrypt(self, output: Buffer) -> None:
        if self._closed:
            return
        wire = self.wire
        engine = self._engine
        while output._len and wire._len < _WIRE_MAX:
            chunk = output._take(output._len if output._len < _CHUNK else _CHUNK, False)
            engine.write(chunk)
            output._consume(len(chunk))
            self._take()

    @cython.cfunc
    def close_notify(self, output: Buffer) -> None:
        if self._closed:
            return
        self._closed = True
        engine = self._engine
        try:
            while output._len:
                engine.write(output._take(output._len, True))
            engine.close_notify()
        except _tls.SSLError:
            pass  # nothing better to do with a TLS layer that will not close cleanly
        self._take()

    @cython.cfunc
    def _take(self) -> None:
        self.wire._append_bytes(self._engine.take())
