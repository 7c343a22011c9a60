"""The echo server and client behind ``python -m fdevent``, on fdevent's public API.

How a non-blocking echo server has to treat a socket, and so why the code below is as it is:

- The listening socket is non-blocking and one readable event may stand for many pending
  connections: accept in a loop until ``BlockingIOError``. A client that gave up between the
  wakeup and ``accept()`` (``ECONNABORTED``) is skipped. Out of fds (``EMFILE``), the pending
  connection stays readable and a level-triggered event would fire again at once, a busy spin:
  stop accepting for a moment instead.
- Reads and writes happen only when the poller says so, and each one moves what it can. A read
  callback drains the socket until ``EAGAIN`` but at most ``_MAX_READS`` times, so one fast
  client cannot starve the others: the event is level-triggered and fires again next iteration.
- ``send()`` may take part of the data. The rest waits in a per-connection ``bytearray`` and a
  write event is attached only while that buffer holds something: a write event left attached
  on an idle socket fires on every iteration (sockets are nearly always writable), a busy spin.
- A client that sends but does not read would make that buffer grow without bound, so above
  ``_HIGH_WATER`` pending bytes the server stops reading from it (TCP then slows the client
  down) and starts again once the buffer has drained.
- End of file (``recv`` returns ``b""``) means the client will send nothing more; what it sent
  is still echoed, then the connection is closed. ``ECONNRESET``, ``EPIPE`` and other socket
  errors close it at once. Closing detaches both events *before* closing the socket, so the
  base never watches a dead fd, and nothing is left attached that could fire again.
"""

from __future__ import annotations

import errno
import random
import socket
from collections.abc import Callable, Sequence

import fdevent
from fdevent import EV_PERSIST, EV_READ, EV_TIMEOUT, EV_WRITE

__all__ = ["EchoClient", "EchoServer", "demo_messages"]

#: One ``recv()`` asks for this much: large enough that a 64 KiB message is often one call.
_CHUNK = 65536
#: Reads per callback before yielding to other events (16 x 64 KiB = 1 MiB at most).
_MAX_READS = 16
#: Accepts per callback, for the same fairness; the listening event fires again if more wait.
_MAX_ACCEPTS = 64
#: Pending output above which a connection stops reading, and below which it reads again.
_HIGH_WATER = 1 << 20
_LOW_WATER = 1 << 18
#: How long to stop accepting when the process is out of file descriptors.
_ACCEPT_PAUSE = 0.1
#: Message sizes the demo clients cycle through; 65536 forces partial writes on a small buffer.
_SIZES = (1, 13, 100, 1000, 4096, 65536, 7, 32768, 2, 12345)
#: Kernel socket buffer size in the demo, for the server and the clients: small, so that a 64 KiB
#: message cannot go out in one send() and both sides' write events get work to do.
_BUFSIZE = 8192


def _ignore_arg(_: object) -> None:
    """Nothing; the default ``on_close`` hook."""


class _Connection:
    """One accepted client of :class:`EchoServer`: its socket, its two events, its backlog."""

    __slots__ = ("echoed", "eof", "peer", "pending", "reader", "server", "sock", "writer")

    def __init__(self, server: EchoServer, sock: socket.socket, peer: str) -> None:
        self.server = server
        self.sock = sock
        self.peer = peer
        base = server.base
        self.reader = fdevent.Event(base, sock, EV_READ | EV_PERSIST, self._on_readable)
        self.writer = fdevent.Event(base, sock, EV_WRITE | EV_PERSIST, self._on_writable)
        #: Bytes received but not yet sent back.
        self.pending = bytearray()
        #: The client has shut down its side: close once ``pending`` is flushed.
        self.eof = False
        self.echoed = 0

    def start(self) -> None:
        self.reader.attach(self.server.idle_timeout)

    def _on_readable(self, fd: int, events: int, arg: object) -> None:
        if events & EV_TIMEOUT:
            self.close("idle timeout")
            return
        for _ in range(_MAX_READS):
            try:
                data = self.sock.recv(_CHUNK)
            except BlockingIOError:
                return
            except OSError as exc:
                self.close(f"recv: {exc.strerror or exc}")
                return
            if not data:
                self.reader.detach()
                if self.pending:
                    self.eof = True
                else:
                    self.close("end of file")
                return
            if not self._send(data):
                return
            if len(self.pending) > _HIGH_WATER:
                # Back-pressure: the writer re-attaches the reader once it has drained.
                self.reader.detach()
                return

    def _send(self, data: bytes) -> bool:
        """Echo ``data``, or queue it behind what is already waiting; False if closed."""
        if self.pending:
            # Order matters: new data goes behind the backlog, which the writer sends.
            self.pending += data
            return True
        try:
            sent = self.sock.send(data)
        except BlockingIOError:
            sent = 0
        except OSError as exc:
            self.close(f"send: {exc.strerror or exc}")
            return False
        self._count(sent)
        if sent < len(data):
            self.pending += memoryview(data)[sent:]
            self.writer.attach()
            self.server.deferred_writes += 1
        return True

    def _on_writable(self, fd: int, events: int, arg: object) -> None:
        pending = self.pending
        while pending:
            try:
                sent = self.sock.send(pending)
            except BlockingIOError:
                break
            except OSError as exc:
                self.close(f"send: {exc.strerror or exc}")
                return
            del pending[:sent]
            self._count(sent)
        if not pending:
            # Nothing left to send: a write event kept attached would fire on every iteration.
            self.writer.detach()
            if self.eof:
                self.close("end of file")
                return
        if not self.eof and not self.reader.attached and len(pending) < _LOW_WATER:
            self.reader.attach(self.server.idle_timeout)

    def _count(self, sent: int) -> None:
        self.echoed += sent
        self.server.bytes_echoed += sent

    def close(self, reason: str) -> None:
        """Detach both events, then close the socket; calling it twice does nothing."""
        if self.sock.fileno() < 0:
            return
        self.reader.detach()
        self.writer.detach()
        self.sock.close()
        self.server._forget(self, reason)


class EchoServer:
    """A TCP echo server driven by ``base``: every byte a client sends is sent back to it.

    ``EchoServer(base, "127.0.0.1", 1246)`` binds and listens at once (port 0 picks a free
    port; see :attr:`address`) and starts accepting when ``base`` is dispatched. Each
    connection is served by a persistent read event and, only while output is pending, a write
    event. ``idle_timeout`` (seconds) closes a connection that sends nothing for that long.
    ``on_close(server)`` is called after each connection closes; ``log`` receives one line per
    connection opened and closed. ``bufsize`` sets the kernel's send and receive buffers of the
    connections (small ones make partial writes happen early, for tests and demos).

    Statistics: :attr:`connections` (accepted so far), :attr:`active` (open now),
    :attr:`bytes_echoed`, :attr:`deferred_writes` (how often a ``send()`` was partial and the
    write event had to take over).

    Raises:
        OSError: the address cannot be bound (in use, not local, no permission).
    """

    def __init__(
        self,
        base: fdevent.EventBase,
        host: str = "127.0.0.1",
        port: int = 1246,
        *,
        idle_timeout: float | None = None,
        backlog: int = socket.SOMAXCONN,
        bufsize: int | None = None,
        on_close: Callable[[EchoServer], None] = _ignore_arg,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.base = base
        self.idle_timeout = idle_timeout
        self.on_close = on_close
        self.log = log
        self.connections = 0
        self.bytes_echoed = 0
        self.deferred_writes = 0
        self._open: set[_Connection] = set()
        self._closed = False
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            # A restarted server can rebind while old connections sit in TIME_WAIT.
            self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if bufsize is not None:
                # Accepted sockets inherit these; set before listen() so the window uses them.
                self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, bufsize)
                self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, bufsize)
            self._sock.bind((host, port))
            self._sock.listen(backlog)
            self._sock.setblocking(False)
            self._acceptor = fdevent.Event(base, self._sock, EV_READ | EV_PERSIST, self._on_accept)
            self._resume = fdevent.Timer(base, self._on_resume)
            self._acceptor.attach()
        except BaseException:
            self._sock.close()
            raise

    @property
    def address(self) -> tuple[str, int]:
        """The ``(host, port)`` the server listens on."""
        host, port = self._sock.getsockname()[:2]
        return host, port

    @property
    def active(self) -> int:
        """How many connections are open now."""
        return len(self._open)

    def _on_accept(self, fd: int, events: int, arg: object) -> None:
        for _ in range(_MAX_ACCEPTS):
            try:
                sock, addr = self._sock.accept()
            except BlockingIOError:
                return
            except ConnectionAbortedError:
                continue
            except OSError as exc:
                if exc.errno not in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    raise
                # The connection stays queued and the socket readable: pause instead of spinning.
                self._say(f"accept: {exc.strerror}; pausing {_ACCEPT_PAUSE} s")
                self._acceptor.detach()
                self._resume.attach(_ACCEPT_PAUSE)
                return
            sock.setblocking(False)
            # An echo is a small request answered at once: don't let Nagle hold it back.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn = _Connection(self, sock, f"{addr[0]}:{addr[1]}")
            self._open.add(conn)
            self.connections += 1
            self._say(f"{conn.peer} connected")
            conn.start()

    def _on_resume(self, fd: int, events: int, arg: object) -> None:
        self._acceptor.attach()

    def _forget(self, conn: _Connection, reason: str) -> None:
        self._open.discard(conn)
        self._say(f"{conn.peer} closed ({reason}), {conn.echoed} bytes echoed")
        self.on_close(self)

    def _say(self, line: str) -> None:
        if self.log is not None:
            self.log(line)

    def close(self) -> None:
        """Stop listening and close every connection; calling it twice does nothing."""
        if self._closed:
            return
        self._closed = True
        self._acceptor.detach()
        self._resume.detach()
        for conn in list(self._open):
            conn.close("server closed")
        self._sock.close()


class EchoClient:
    """A client that sends ``messages`` one at a time and checks that each comes back intact.

    ``start()`` connects (non-blocking) to ``address``; after each verified echo the client
    waits ``pause`` seconds, then sends the next message. When all are done, or on the first
    failure, it closes its socket and calls ``on_done(client)``. A step that waits more than
    ``timeout`` seconds for the server is a failure. Outcome: :attr:`verified`,
    :attr:`bytes_verified`, :attr:`failure` (None while all is well), :attr:`deferred_writes`.

    Raises:
        ValueError: a message is empty (its echo could not be told from silence).
        OSError: the socket cannot be created (out of file descriptors, say).
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
        on_done: Callable[[EchoClient], None] = _ignore_arg,
    ) -> None:
        if not all(messages):
            raise ValueError("EchoClient: every message must hold at least one byte")
        self.base = base
        self.address = address
        self.messages = messages
        self.pause = pause
        self.timeout = timeout
        self.on_done = on_done
        self.verified = 0
        self.bytes_verified = 0
        self.deferred_writes = 0
        self.failure: str | None = None
        self.done = False
        self.sock = socket.socket(socket.AF_INET6 if ":" in address[0] else socket.AF_INET)
        if bufsize is not None:
            # Set before connect(): the receive window is negotiated in the handshake.
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, bufsize)
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, bufsize)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.setblocking(False)
        self._reader = fdevent.Event(base, self.sock, EV_READ | EV_PERSIST, self._on_readable)
        self._writer = fdevent.Event(base, self.sock, EV_WRITE | EV_PERSIST, self._on_writable)
        self._connector = fdevent.Event(base, self.sock, EV_WRITE, self._on_connected)
        self._next = fdevent.Timer(base, self._on_pause_over)
        self._index = 0
        self._out = memoryview(b"")
        self._received = bytearray()

    def start(self) -> None:
        """Begin connecting; the rest happens in callbacks while the base is dispatched."""
        err = self.sock.connect_ex(self.address)
        if err not in (0, errno.EINPROGRESS):
            self._finish(f"connect: {errno.errorcode.get(err, err)}")
            return
        # A non-blocking connect completes when the socket becomes writable.
        self._connector.attach(self.timeout)

    def _on_connected(self, fd: int, events: int, arg: object) -> None:
        if events & EV_TIMEOUT:
            self._finish("connect timed out")
            return
        err = self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if err:
            self._finish(f"connect: {errno.errorcode.get(err, err)}")
            return
        self._send_next()

    def _send_next(self) -> None:
        if self._index == len(self.messages):
            self._finish(None)
            return
        self._out = memoryview(self.messages[self._index])
        self._received.clear()
        if self._write() and self._out:
            self.deferred_writes += 1
            # Both events' timeouts are idle timeouts: re-armed each time the event fires, they
            # expire only if the server makes no progress for `timeout` seconds.
            self._writer.attach(self.timeout)

    def _on_writable(self, fd: int, events: int, arg: object) -> None:
        if events & EV_TIMEOUT:
            self._finish(f"message {self._index}: the server took nothing for {self.timeout} s")
        elif self._write() and not self._out:
            self._writer.detach()

    def _write(self) -> bool:
        """Send what the socket takes of the current message; start reading once all is sent.

        The whole message goes out before the echo is read, as a request-response client
        would: the server has to hold the echo of a large message until the client reads,
        which is what its pending buffer and write event are for. False if the client failed.
        """
        while self._out:
            try:
                sent = self.sock.send(self._out)
            except BlockingIOError:
                return True
            except OSError as exc:
                self._finish(f"send: {exc.strerror or exc}")
                return False
            self._out = self._out[sent:]
        self._reader.attach(self.timeout)
        return True

    def _on_readable(self, fd: int, events: int, arg: object) -> None:
        if events & EV_TIMEOUT:
            self._finish(f"no echo of message {self._index} within {self.timeout} s")
            return
        expected = self.messages[self._index]
        for _ in range(_MAX_READS):
            try:
                data = self.sock.recv(_CHUNK)
            except BlockingIOError:
                return
            except OSError as exc:
                self._finish(f"recv: {exc.strerror or exc}")
                return
            if not data:
                self._finish(f"server closed the connection during message {self._index}")
                return
            self._received += data
            if len(self._received) > len(expected):
                self._finish(f"message {self._index}: more bytes came back than were sent")
                return
            if len(self._received) == len(expected):
                self._verify(expected)
                return

    def _verify(self, expected: bytes) -> None:
        if self._received != expected:
            self._finish(f"message {self._index} ({len(expected)} bytes) came back altered")
            return
        self.verified += 1
        self.bytes_verified += len(expected)
        self._index += 1
        # Nothing is owed until the next message goes out: no idle timeout while pausing.
        self._reader.detach()
        self._next.attach(self.pause)

    def _on_pause_over(self, fd: int, events: int, arg: object) -> None:
        self._send_next()

    def _finish(self, failure: str | None) -> None:
        if self.done:
            return
        self.done = True
        self.failure = failure
        self._connector.detach()
        self._reader.detach()
        self._writer.detach()
        self._next.detach()
        self.sock.close()
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
