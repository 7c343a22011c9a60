"""The echo server and clients behind ``python -m fdevent``, all on streams in one base.

The server is examples/echo_server.py's: a Listener whose streams echo what they read and
stop reading while too much output is pending (back-pressure). The clients use
``connect()``: each sends its messages one at a time and checks every echo byte for byte.
Everything else a non-blocking server has to get right (partial writes, EAGAIN, end of
file, errors, accept loops) is the streams' job; examples/seed_echo.py shows it done by hand
on raw events.
"""

from __future__ import annotations

import random
import socket
from collections.abc import Callable, Sequence
from typing import Any

import fdevent
from fdevent import BEV_CONNECTED, BEV_EOF, EV_READ

__all__ = ["EchoClient", "EchoServer", "demo_messages"]

#: Pending output above which a connection stops reading, and below which it reads again.
_HIGH_WATER = 1 << 20
_LOW_WATER = 1 << 18
#: Message sizes the demo clients cycle through; 65536 forces partial writes on a small buffer.
_SIZES = (1, 13, 100, 1000, 4096, 65536, 7, 32768, 2, 12345)
#: Kernel socket buffer size in the demo, for the server and the clients: small, so that a 64 KiB
#: message cannot go out in one send() and the streams' write events get work to do.
_BUFSIZE = 8192


def _ignore(_: object) -> None:
    """Nothing; the default ``on_close``/``on_done`` hook."""


def _set_bufsize(sock: socket.socket, bufsize: int | None) -> None:
    if bufsize is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, bufsize)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, bufsize)


class EchoServer:
    """A TCP echo server on ``base``: every byte a client sends is sent back to it.

    ``EchoServer(base, "127.0.0.1", 1246)`` listens at once (port 0 picks a free port; see
    :attr:`address`). ``on_close(server)`` runs after each connection closes; ``log`` gets
    one line per connection opened and closed; ``bufsize`` sets the kernel buffers of the
    connections (small ones make partial writes happen early). Statistics:
    :attr:`connections`, :attr:`active`, :attr:`bytes_echoed`, :attr:`deferred_writes`
    (writes the kernel did not take whole, left to the stream's write event).

    Raises:
        OSError: the address cannot be bound.
    """

    def __init__(
        self,
        base: fdevent.EventBase,
        host: str = "127.0.0.1",
        port: int = 1246,
        *,
        bufsize: int | None = None,
        on_close: Callable[[EchoServer], None] = _ignore,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.base = base
        self.bufsize = bufsize
        self.on_close = on_close
        self.log = log
        self.connections = 0
        self.bytes_echoed = 0
        self.deferred_writes = 0
        self._open: dict[fdevent.Stream, str] = {}
        self.listener = fdevent.Listener(
            base, self._on_accept, (host, port), backlog=socket.SOMAXCONN
        )

    @property
    def address(self) -> tuple[str, int]:
        """The ``(host, port)`` the server listens on."""
        host, port = self.listener.address[:2]
        return host, port

    @property
    def active(self) -> int:
        """How many connections are open now."""
        return len(self._open)

    def _on_accept(self, listener: fdevent.Listener, sock: Any, addr: Any, arg: Any) -> None:
        _set_bufsize(sock, self.bufsize)
        stream = fdevent.Stream(self.base, sock, self._on_read, self._on_write, self._on_event)
        stream.set_watermarks(write_low=_LOW_WATER)
        self._open[stream] = f"{addr[0]}:{addr[1]}"
        self.connections += 1
        self._say(f"{self._open[stream]} connected")

    def _on_read(self, stream: fdevent.Stream, arg: Any) -> None:
        data = stream.input.read()
        self.bytes_echoed += len(data)
        stream.write(data)
        if len(stream.output):
            self.deferred_writes += 1
            if len(stream.output) > _HIGH_WATER:
                stream.disable(EV_READ)  # back-pressure; on_write resumes

    def _on_write(self, stream: fdevent.Stream, arg: Any) -> None:
        stream.enable(EV_READ)

    def _on_event(self, stream: fdevent.Stream, what: int, arg: Any) -> None:
        stream.close()  # at EOF this still flushes the echo owed
        peer = self._open.pop(stream, "?")
        self._say(f"{peer} closed ({'end of file' if what & BEV_EOF else stream.error})")
        self.on_close(self)

    def _say(self, line: str) -> None:
        if self.log is not None:
            self.log(line)

    def close(self) -> None:
        """Stop listening and close every connection; calling it twice does nothing."""
        self.listener.close()
        for stream in list(self._open):
            stream.close()
        self._open.clear()


class EchoClient:
    """A client that sends ``messages`` one at a time and checks that each comes back intact.

    ``start()`` connects to ``address``; after each verified echo the client waits ``pause``
    seconds, then sends the next message. When all are done, or on the first failure, it
    closes its stream and calls ``on_done(client)``. ``timeout`` bounds the connect and
    each wait for the server. Outcome: :attr:`verified`, :attr:`bytes_verified`,
    :attr:`failure` (None while all is well), :attr:`deferred_writes`.

    Raises:
        ValueError: a message is empty (its echo could not be told from silence).
    """

    def __init__(
        self,
        base: fdevent.EventBase,
        address: tuple[str, int],
        messages: Sequence[bytes],
        *,
        pause: float = 0.0,
        timeout: float = 5.0,
        bufsize: int | None = None,
        on_done: Callable[[EchoClient], None] = _ignore,
    ) -> None:
        if not all(messages):
            raise ValueError("EchoClient: every message must hold at least one byte")
        self.base = base
        self.address = address
        self.messages = messages
        self.pause = pause
        self.timeout = timeout
        self.bufsize = bufsize
        self.on_done = on_done
        self.verified = 0
        self.bytes_verified = 0
        self.deferred_writes = 0
        self.failure: str | None = None
        self.done = False
        self.stream: fdevent.Stream | None = None
        self._index = 0
        self._received = bytearray()
        self._next = fdevent.Timer(base, self._on_pause_over)

    def start(self) -> None:
        """Begin connecting; the rest happens in callbacks while the base is dispatched."""
        self.stream = fdevent.connect(
            self.base,
            self.address,
            self._on_read,
            self._on_write,
            self._on_event,
            timeout=self.timeout,
        )

    def _on_event(self, stream: fdevent.Stream, what: int, arg: Any) -> None:
        if what & BEV_CONNECTED:
            _set_bufsize(stream.socket, self.bufsize)  # type: ignore[arg-type]
            self._send_next()
        elif what & BEV_EOF:
            self._finish(f"server closed the connection during message {self._index}")
        elif what & fdevent.BEV_TIMEOUT:
            self._finish(f"no progress on message {self._index} within {self.timeout} s")
        else:
            self._finish(f"message {self._index}: {stream.error}")

    def _send_next(self) -> None:
        stream = self.stream
        assert stream is not None
        if self._index == len(self.messages):
            self._finish(None)
            return
        self._received.clear()
        stream.set_timeouts(read=self.timeout)  # waiting for the echo from now on
        stream.write(self.messages[self._index])
        if len(stream.output):
            # As a request-response client: the whole message goes out before the echo is
            # read, so the server has to hold the echo of a large message until it is.
            self.deferred_writes += 1
            stream.disable(EV_READ)

    def _on_write(self, stream: fdevent.Stream, arg: Any) -> None:
        stream.enable(EV_READ)  # the message is all sent

    def _on_read(self, stream: fdevent.Stream, arg: Any) -> None:
        expected = self.messages[self._index]
        self._received += stream.input.read()
        if len(self._received) > len(expected):
            self._finish(f"message {self._index}: more bytes came back than were sent")
        elif len(self._received) == len(expected):
            if self._received != expected:
                self._finish(f"message {self._index} ({len(expected)} bytes) came back altered")
                return
            self.verified += 1
            self.bytes_verified += len(expected)
            self._index += 1
            stream.set_timeouts(read=None)  # nothing is owed while pausing
            self._next.attach(self.pause)

    def _on_pause_over(self, fd: int, events: int, arg: object) -> None:
        self._send_next()

    def _finish(self, failure: str | None) -> None:
        if self.done:
            return
        self.done = True
        self.failure = failure
        self._next.detach()
        if self.stream is not None:
            self.stream.close()
        self.on_done(self)

    def close(self) -> None:
        """Give up (counts as a failure if messages were left); calling it twice does nothing."""
        self._finish(f"stopped after {self.verified} of {len(self.messages)} messages")


def demo_messages(client: int, count: int) -> list[bytes]:
    """The ``count`` messages client number ``client`` sends: assorted sizes, random bytes.

    Sizes cycle through ``_SIZES`` from an offset that differs per client, so every client sends
    the 64 KiB one when ``count`` is at least ``len(_SIZES)``. Seeded, so runs are repeatable.
    """
    rng = random.Random(client)
    return [rng.randbytes(_SIZES[(client + i) % len(_SIZES)]) for i in range(count)]
