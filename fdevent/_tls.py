"""The TLS engine of a stream: ``ssl.SSLObject`` between two ``ssl.MemoryBIO`` (stdlib only).

Bytes in, bytes out: ciphertext the stream read goes in with ``feed()``; ``read()`` returns
the plaintext it yields; ``write()`` encrypts; ``take()`` returns the ciphertext waiting to
go out (handshake records, encrypted data, alerts). It never touches a socket or a Buffer,
so it is the same for both cores (shared, not compiled: TLS costs far more in OpenSSL than
in the Python around it). The stream holds it through its TLS layer
(``fdevent/_pure/streams/tls.py``), which adds the buffers.

End of file: a close_notify from the peer (``SSLZeroReturnError``) and a transport EOF
without one (``SSLEOFError``, a "ragged" EOF) both end the input as ``BEV_EOF``, as asyncio
does; an EOF during the handshake is an error.

A forgotten ``server_side=True``: an accepted socket is the server side of its connection,
and a client-side TLS there fails in one of two ways, both turned into a message that says
what to pass. A server context (``PROTOCOL_TLS_SERVER``, what
``ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)`` makes) cannot be a client at all:
a ``ValueError`` at the call. Any other context meets the peer's own ClientHello where it
expects a ServerHello (OpenSSL's "unexpected message"): the handshake error then says that
the peer is a client too. The socket itself cannot tell whether it was accepted or
connected, so the first bytes of the peer are the evidence.
"""

from __future__ import annotations

import contextlib
import ssl

SSLError = ssl.SSLError

#: Plaintext asked of OpenSSL per read call: a TLS record carries at most 16 KiB.
_READ_CHUNK = 65536
#: A TLS record of type 22 (handshake) whose first message is of type 1 (ClientHello): bytes
#: 0 and 5 of what a client sends first.
_HANDSHAKE_RECORD = 0x16
_CLIENT_HELLO = 0x01


def _context_error(context: ssl.SSLContext, server_side: bool) -> str | None:
    # The contexts that cannot take this side at all (SSLContext.wrap_bio would raise).
    if not server_side and context.protocol == ssl.PROTOCOL_TLS_SERVER:
        return (
            "ssl is a server context (PROTOCOL_TLS_SERVER): pass server_side=True "
            "(a socket from accept() or a Listener is the server side)"
        )
    if server_side and context.protocol == ssl.PROTOCOL_TLS_CLIENT:
        return "ssl is a client context (PROTOCOL_TLS_CLIENT): server_side=True needs a server one"
    return None


class TLS:
    """The TLS state of one stream: an SSLObject between two memory BIOs.

    ``TLS(context, server_side, server_hostname)``.

    Raises:
        TypeError: ``context`` is not an ``ssl.SSLContext`` or ``server_hostname`` not a str.
        ValueError: ``server_hostname`` on the server side, or none on the client side with
            a context that checks host names; a server context on the client side (a
            forgotten ``server_side=True``) or the reverse.
    """

    __slots__ = ("eof", "first", "incoming", "outgoing", "sslobj")

    def __init__(self, context: object, server_side: bool, server_hostname: object) -> None:
        if not isinstance(context, ssl.SSLContext):
            raise TypeError(f"ssl must be an ssl.SSLContext or None, not {type(context).__name__}")
        if server_hostname is not None and not isinstance(server_hostname, str):
            raise TypeError(
                f"server_hostname must be a str or None, not {type(server_hostname).__name__}"
            )
        if server_side and server_hostname is not None:
            raise ValueError("server_hostname is for the client side only")
        problem = _context_error(context, server_side)
        if problem is not None:
            raise ValueError(problem)
        if not server_side and server_hostname is None and context.check_hostname:
            raise ValueError(
                "the context checks host names: give server_hostname "
                "(or server_side=True for a socket from accept() or a Listener)"
            )
        self.incoming = ssl.MemoryBIO()
        self.outgoing = ssl.MemoryBIO()
        self.sslobj = context.wrap_bio(
            self.incoming, self.outgoing, server_side=server_side, server_hostname=server_hostname
        )
        self.eof = False
        #: The peer's first bytes, kept on the client side until the handshake is done
        #: (None then, and on the server side: nothing to keep).
        self.first: bytes | None = None if server_side else b""

    def feed(self, data: bytes) -> None:
        """Ciphertext read from the socket."""
        first = self.first
        if first is not None and len(first) < 6:
            self.first = first + data[: 6 - len(first)]
        self.incoming.write(data)

    def feed_eof(self) -> None:
        """The socket reached end of file."""
        self.eof = True
        self.incoming.write_eof()

    def handshake(self) -> bool:
        """Advance the handshake; True once it is complete.

        Raises ``ssl.SSLError``: a failed handshake, or end of file before it completed."""
        try:
            self.sslobj.do_handshake()
        except ssl.SSLWantReadError:
            if self.eof:
                raise ssl.SSLEOFError(ssl.SSL_ERROR_EOF, "EOF during the TLS handshake") from None
            return False
        except ssl.SSLError as exc:
            if self._peer_is_a_client():
                raise _server_side_forgotten(exc) from exc
            raise
        self.first = None
        return True

    def read(self) -> tuple[bytes, bool]:
        """The plaintext available now, and whether the input has ended.

        Raises ``ssl.SSLError`` for a protocol error (garbage, a bad record, an alert)."""
        chunks = []
        eof = False
        while True:
            try:
                chunk = self.sslobj.read(_READ_CHUNK)
            except ssl.SSLWantReadError:
                break
            except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
                eof = True
                break
            if not chunk:
                eof = True
                break
            chunks.append(chunk)
        return b"".join(chunks), eof

    def write(self, data: bytes) -> None:
        """Encrypt ``data`` into the outgoing BIO. Raises ``ssl.SSLError``."""
        view = memoryview(data)
        while view:
            n = self.sslobj.write(view)
            view = view[n:]

    def close_notify(self) -> None:
        """Queue a close_notify alert (the TLS shutdown from our side)."""
        # The peer's close_notify is not awaited: the socket closes after ours.
        with contextlib.suppress(ssl.SSLWantReadError):
            self.sslobj.unwrap()

    def take(self) -> bytes:
        """The ciphertext waiting to be sent (``b""`` if none)."""
        return self.outgoing.read()

    def _peer_is_a_client(self) -> bool:
        first = self.first
        return (
            first is not None
            and len(first) == 6
            and first[0] == _HANDSHAKE_RECORD
            and first[5] == _CLIENT_HELLO
        )


def _server_side_forgotten(exc: ssl.SSLError) -> ssl.SSLError:
    # The same kind of error, saying what the user can do about it.
    err = ssl.SSLError(
        exc.errno,
        f"{exc.strerror or exc}: the peer sent a ClientHello, so it is a client too; "
        "for a socket from accept() or a Listener, pass server_side=True",
    )
    err.library = exc.library
    err.reason = exc.reason
    return err
