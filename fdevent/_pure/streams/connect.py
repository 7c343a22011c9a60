"""connect(): a stream to an address, made without blocking the loop.

All the connecting is one object, a ``Connector``, which the stream holds until it is
established and which hands it a connected socket: the stream knows only that it is
connecting (it keeps what is written), and its driver hears ``_connected(stream, sock)`` or
``_failed(stream, error, what)``.

- A numeric address (``("127.0.0.1", 80)``, ``("::1", 80)``) is parsed in the call
  (``getaddrinfo`` with ``AI_NUMERICHOST`` never touches the network) and connecting starts
  at once. A host name is resolved by ``socket.getaddrinfo`` in a worker thread: the worker
  stores its result and ``activate()``s the connector's resolver event, and the rest
  happens in the loop's thread. That event is attached with an infinite timeout while the
  worker runs, so the loop stays alive for it (an attached event keeps ``dispatch()``
  running); the wakeup of a loop blocked in its poll is the base's (``Event.activate()``
  from another thread).
- Each resolved address is tried in order: a non-blocking ``connect`` on a socket of the
  connector's, then that socket's first writability says how it went (``SO_ERROR``). The
  first that connects is handed to the stream; if none does, ``BEV_ERROR`` carries the
  last error.
- One timer covers resolution, connect and the TLS handshake (the connector lives until the
  stream is established). It reports ``BEV_TIMEOUT`` with the direction the stream was
  waiting in (writing while connecting, reading during the handshake).
- ``cancel()`` (the stream closed, failed or got established) detaches the connector's
  events and closes a socket it has not handed over; a late resolution result is dropped.
"""

from __future__ import annotations

import contextlib
import errno
import math
import os
import socket
import threading
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

from ..._flags import (
    BEV_ERROR,
    BEV_READING,
    BEV_TIMEOUT,
    BEV_WRITING,
    EV_READ,
    EV_TIMEOUT,
    EV_WRITE,
)
from ..._streambits import _CONNECTING, _HANDSHAKE
from ..core.event import Event, Timer
from . import owners
from .checks import timeout_or_off
from .driver import _connected
from .flow import _failed
from .stream import EventCallback, Stream, StreamCallback
from .tls import TLSLayer

#: An address for the resolver: (family, sockaddr).
Addr = tuple[int, Any]


def parse_address(address: object) -> tuple[str | None, Any, list[Addr] | None]:
    """Check ``address``: ``(host, port[, flowinfo, scope_id])`` or a Unix socket path.

    Returns ``(host, port, addrs)``: ``addrs`` is the list to try when the address is
    numeric (or a path), None when ``host`` must be resolved.

    Raises:
        TypeError: not a tuple, str or bytes; a host or port of the wrong type.
        ValueError: an empty host or path, a port out of range, a tuple of the wrong length.
    """
    if isinstance(address, (str, bytes)):
        if not address:
            raise ValueError("a Unix socket path must not be empty")
        return None, None, [(socket.AF_UNIX, address)]
    if not isinstance(address, tuple):
        raise TypeError(
            f"address must be a (host, port) tuple or a Unix socket path, "
            f"not {type(address).__name__}"
        )
    if len(address) not in (2, 4):
        raise ValueError(
            f"address must be (host, port) or (host, port, flowinfo, scope_id), got {address!r}"
        )
    host, port = address[0], address[1]
    if not isinstance(host, str):
        raise TypeError(f"host must be a str, not {type(host).__name__}")
    if not host:
        raise ValueError("host must not be empty")
    if isinstance(port, bool) or not isinstance(port, int):
        raise TypeError(f"port must be an int, not {type(port).__name__}")
    if not 0 <= port <= 65535:
        raise ValueError(f"port must be from 0 to 65535, got {port}")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)
    except socket.gaierror:
        return host, port, None  # a name: resolved in a worker thread
    except (UnicodeError, ValueError) as exc:
        raise ValueError(f"bad host {host!r}: {exc}") from None
    addrs: list[Addr] = []
    for info in infos:
        family = info[0]
        sockaddr: Any = info[4]
        if len(address) == 4 and family == socket.AF_INET6:
            sockaddr = (sockaddr[0], port, address[2], address[3])
        addrs.append((family, sockaddr))
    return host, port, addrs


@cython.annotation_typing(False)
def connect(
    base: Any,
    address: Any,
    on_read: StreamCallback | None = None,
    on_write: StreamCallback | None = None,
    on_event: EventCallback | None = None,
    arg: Any = None,
    *,
    priority: int | None = None,
    ssl: Any = None,
    server_hostname: str | None = None,
    timeout: float | None = None,
) -> Stream:
    """Open a stream to ``address`` without blocking: ``(host, port)`` or a Unix socket path.

    A host name is resolved in a worker thread and each address tried in order; ``on_event``
    then gets ``BEV_CONNECTED``, or ``BEV_ERROR`` (``stream.error`` says why), or
    ``BEV_TIMEOUT`` when ``timeout`` seconds (resolution, connect and TLS handshake
    together; None or 0: no limit) pass first. ``ssl``: an ``ssl.SSLContext`` for TLS
    (``server_hostname`` defaults to the host). What is written before ``BEV_CONNECTED`` is
    sent after it. Takes the callbacks and ``priority`` of ``Stream``.

    Raises:
        TypeError: wrong types (base, address, callbacks, ssl, timeout).
        ValueError: an address that does not parse, a bad timeout or priority.
        RuntimeError: the base is closed.
    """
    return _connect(
        base, address, on_read, on_write, on_event, arg, priority, ssl, server_hostname, timeout
    )


@cython.cfunc
def _connect(
    base: object,
    address: object,
    on_read: object,
    on_write: object,
    on_event: object,
    arg: object,
    priority: object,
    ssl: object,
    server_hostname: object,
    timeout: object,
) -> Stream:
    stream: Stream = Stream.__new__(Stream)
    stream._setup(base, on_read, on_write, on_event, arg, priority)
    host, port, addrs = parse_address(address)
    seconds = timeout_or_off("connect", timeout)
    if ssl is not None:
        hostname = host if server_hostname is None else server_hostname
        stream._tls = TLSLayer(ssl, False, hostname)
        stream._flags |= _HANDSHAKE
    stream._conn = Connector(stream, host, port, addrs, priority)
    stream._flags |= _CONNECTING  # no socket until the connector hands one over
    owners.add(stream._base, stream, -1)
    stream._conn.start(seconds)
    return stream


class Connector:
    """The connecting of one stream: its addresses, its socket until it connects, its timer
    and its resolver. Made by ``connect()``; the stream calls ``cancel()``."""

    __slots__ = (
        "addrs",
        "cancelled",
        "error",
        "host",
        "index",
        "later",
        "port",
        "priority",
        "resolved",
        "resolver",
        "sock",
        "stream",
        "timer",
        "wev",
    )

    def __init__(
        self,
        stream: Stream,
        host: str | None,
        port: Any,
        addrs: list[Addr] | None,
        priority: Any,
    ) -> None:
        self.stream = stream
        self.priority = priority
        self.host = host
        self.port = port
        self.addrs = addrs
        self.index = 0
        self.error: BaseException | None = None
        self.sock: socket.socket | None = None
        self.wev: Any = None
        self.timer: Any = None
        self.resolver: Any = None
        self.resolved: Any = None
        self.later: Any = None
        self.cancelled = False

    def start(self, seconds: float) -> None:
        stream: Stream = self.stream
        base = stream._base
        if seconds >= 0.0:
            self.timer = Timer(base, _on_timeout, self)
            self.timer.attach(seconds)
        if self.addrs is not None:
            if not self.try_next():
                # Failed inside connect() itself: reported from the loop, never in the call.
                self.later = Event(base, -1, EV_TIMEOUT, _on_failed, self)
                self.later.activate(EV_TIMEOUT)
            return
        self.resolver = Event(base, -1, EV_TIMEOUT, _on_resolved, self)
        self.resolver.attach(math.inf)  # keeps dispatch() alive until the result comes
        thread = threading.Thread(
            target=_resolve, args=(self, self.host, self.port), name="fdevent-resolve"
        )
        thread.daemon = True
        thread.start()

    def try_next(self) -> bool:
        """Start connecting to the next address; False when none is left (``error`` says
        why the last one failed)."""
        addrs = self.addrs
        assert addrs is not None
        while self.index < len(addrs):
            family, sockaddr = addrs[self.index]
            self.index += 1
            try:
                sock = socket.socket(family, socket.SOCK_STREAM)
            except OSError as exc:
                self.error = exc
                continue
            try:
                sock.setblocking(False)
                err = sock.connect_ex(sockaddr)
            except OSError as exc:
                sock.close()
                self.error = exc
                continue
            if err in (0, errno.EINPROGRESS, errno.EAGAIN):
                stream: Stream = self.stream
                self.sock = sock
                self.wev = Event(stream._base, sock, EV_WRITE, _on_writable, self, self.priority)
                if err == errno.EINPROGRESS:
                    self.wev.attach()
                else:
                    # Unix sockets may connect (or queue) at once; finish in the loop anyway,
                    # so BEV_CONNECTED never runs inside connect().
                    self.wev.activate(EV_WRITE)
                return True
            sock.close()
            self.error = OSError(err, os.strerror(err))
        self.error = self.error or OSError(errno.EHOSTUNREACH, "no address to connect to")
        return False

    def writable(self) -> None:
        """The connecting socket became writable (or was activated): did it connect?"""
        sock = self.sock
        assert sock is not None
        self.wev = None
        err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if err == 0:
            self.sock = None  # the stream's now
            _connected(self.stream, sock, self.priority)
            return
        self.error = OSError(err, os.strerror(err))
        self.sock = None
        sock.close()
        if not self.try_next():
            self.failed()

    def failed(self) -> None:
        _failed(self.stream, self.error, BEV_ERROR | BEV_WRITING)

    def cancel(self) -> None:
        """Stop: detach every event of the connector, close a socket not handed over."""
        self.cancelled = True
        for name in ("timer", "resolver", "later", "wev"):
            ev = getattr(self, name)
            if ev is not None:
                setattr(self, name, None)
                ev.detach()
        sock = self.sock
        if sock is not None:
            self.sock = None
            sock.close()


def _resolve(conn: Connector, host: str, port: int) -> None:
    # In the worker thread: only store the result and wake the loop; nothing else.
    try:
        result: Any = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except Exception as exc:  # handed to the loop's thread, reported there
        result = exc
    conn.resolved = result
    ev = conn.resolver
    if ev is not None and not conn.cancelled:
        with contextlib.suppress(RuntimeError):  # the base closed meanwhile: nobody waits
            ev.activate(EV_READ)


def _on_resolved(fd: int, events: int, conn: Connector) -> None:
    if conn.cancelled or not events & EV_READ:
        return
    conn.resolver = None
    result = conn.resolved
    if isinstance(result, BaseException):
        conn.error = result
        conn.failed()
        return
    conn.addrs = [(family, sockaddr) for family, _, _, _, sockaddr in result]
    if not conn.try_next():
        conn.failed()


def _on_writable(fd: int, events: int, conn: Connector) -> None:
    if not conn.cancelled:
        conn.writable()


def _on_failed(fd: int, events: int, conn: Connector) -> None:
    if not conn.cancelled:
        conn.later = None
        conn.failed()


def _on_timeout(fd: int, events: int, conn: Connector) -> None:
    if conn.cancelled:
        return
    conn.timer = None
    stream: Stream = conn.stream
    # Writing while connecting, reading during the TLS handshake.
    direction = BEV_WRITING if stream._flags & _CONNECTING else BEV_READING
    _failed(stream, None, BEV_TIMEOUT | direction)
