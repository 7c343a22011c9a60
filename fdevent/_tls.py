"""TLS for streams over ``ssl.MemoryBIO`` and ``ssl.SSLObject`` (standard library only).

The stream owns the socket; this object owns the TLS state and two memory BIOs. Ciphertext
the stream reads goes in with ``feed()``; ``read()`` returns the plaintext it yields;
``write()`` encrypts; ``take()`` returns the ciphertext waiting to go out (handshake records,
encrypted data, alerts). It never touches a socket, so it is the same for both cores and
for any I/O driver (this module is shared, not compiled: TLS costs far more in OpenSSL than
in the Python around it).

End of file: a close_notify from the peer (``SSLZeroReturnError``) and a transport EOF
without one (``SSLEOFError``, a "ragged" EOF) both end the input as ``BEV_EOF``, as asyncio
does; an EOF during the handshake is an error.
"""

from __future__ import annotations

import contextlib
import ssl

SSLError = ssl.SSLError

#: Plaintext asked of OpenSSL per read call: a TLS record carries at most 16 KiB.
_READ_CHUNK = 65536


def eof_error() -> ssl.SSLError:
    """The error of a connection that ended during the TLS handshake."""
    return ssl.SSLEOFError(ssl.SSL_ERROR_EOF, "EOF during the TLS handshake")


class TLS:
    """The TLS state of one stream: an SSLObject between two memory BIOs.

    ``TLS(context, server_side, server_hostname)``.

    Raises:
        TypeError: ``context`` is not an ``ssl.SSLContext`` or ``server_hostname`` not a str.
        ValueError: ``server_hostname`` on the server side, or none on the client side with
            a context that checks host names.
    """

    __slots__ = ("eof", "incoming", "outgoing", "sslobj")

    def __init__(self, context: object, server_side: bool, server_hostname: object) -> None:
        if not isinstance(context, ssl.SSLContext):
            raise TypeError(f"ssl must be an ssl.SSLContext or None, not {type(context).__name__}")
        if server_hostname is not None and not isinstance(server_hostname, str):
            raise TypeError(
                f"server_hostname must be a str or None, not {type(server_hostname).__name__}"
            )
        if server_side and server_hostname is not None:
            raise ValueError("server_hostname is for the client side only")
        if not server_side and server_hostname is None and context.check_hostname:
            raise ValueError("the context checks host names: give server_hostname")
        self.incoming = ssl.MemoryBIO()
        self.outgoing = ssl.MemoryBIO()
        self.sslobj = context.wrap_bio(
            self.incoming, self.outgoing, server_side=server_side, server_hostname=server_hostname
        )
        self.eof = False

    def feed(self, data: bytes) -> None:
        """Ciphertext read from the socket."""
        self.incoming.write(data)

    def feed_eof(self) -> None:
        """The socket reached end of file."""
        self.eof = True
        self.incoming.write_eof()

    def handshake(self) -> bool:
        """Advance the handshake; True once it is complete. Raises ``ssl.SSLError``."""
        try:
            self.sslobj.do_handshake()
        except ssl.SSLWantReadError:
            return False
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
