"""Listener: accept connections on a listening socket (libevent's evconnlistener).

The accept loop, and why it is so:

- One readiness may stand for many waiting connections: accept until ``EAGAIN``, but at most
  ``_MAX_ACCEPTS`` per iteration, so a flood on one listener cannot starve the streams and
  the other listeners (the event is level-triggered: it fires again next iteration).
- A connection that gave up before ``accept()`` took it (``ECONNABORTED``, ``EPROTO``) is
  skipped.
- Out of file descriptors (``EMFILE``, ``ENFILE``; also ``ENOBUFS``, ``ENOMEM``) the waiting
  connection stays queued and the socket readable: a level-triggered event would fire again
  at once and spin at 100% CPU. So the listener stops watching the socket, retries after a
  pause (0.1 s, doubling to 1 s while the episode lasts), and logs one warning per episode
  on the ``fdevent`` logger. The episode ends at the first accept that succeeds.
- A Unix socket path the listener bound is removed on ``close()`` (if the file there is
  still the socket it made). A stale socket file at the path is removed before binding, as
  asyncio's ``create_unix_server`` does.

What an address means, and why:

- Host ``""`` (or None) is every interface, and a Python user reads that as both families:
  where the system has dual-stack IPv6 the listener is one IPv6 socket with ``IPV6_V6ONLY``
  off, as ``socket.create_server(dualstack_ipv6=True)`` makes, not two sockets (one fd, one
  event, one accept loop). A named IPv6 host, ``"::"`` included, stays IPv6-only (asyncio's
  choice): the spelling that asks for one family gets one.
- A string is a Unix socket path, but ``"127.0.0.1:8080"`` is a host and port that should
  have been a tuple; bound as a path it made a socket file of that name in the working
  directory and listened on no port. The rule: a path with a ``:`` and no ``/`` is refused
  (a path is rarely both colon-bearing and bare; ``"./name:1"`` says it is one), a Linux
  abstract name (a leading NUL byte) excepted.
- The OS's refusals (a busy port, no permission, a host that does not resolve) keep their
  class, errno and strerror and gain the address as their ``filename``, which Python shows
  after the reason as it does for a path: a server that binds several addresses has to know
  which one failed, and code that prints ``exc.strerror`` still gets the bare reason.
"""

from __future__ import annotations

import errno
import logging
import os
import socket
import stat
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

from ..._flags import EV_PERSIST, EV_READ
from ..core.base import EventBase
from ..core.checks import check_int
from ..core.event import Event, Timer

AcceptCallback = Callable[["Listener", socket.socket, Any, Any], object]

#: Accepts per iteration: enough to take a burst of connections in one go, few enough that
#: the loop gets back to the streams within tens of microseconds.
_MAX_ACCEPTS = 64
#: The pause after running out of fds, doubled each time it recurs, up to _PAUSE_MAX.
_PAUSE_MIN = 0.1
_PAUSE_MAX = 1.0
#: accept() errors that mean "out of resources": pause, do not spin.
_EXHAUSTED = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
#: accept() errors of a connection that went away before it was taken: skip it.
_GONE = frozenset({errno.ECONNABORTED, errno.EPROTO, errno.EPERM})

_log = logging.getLogger("fdevent")


def _bind(address: object, backlog: int, reuse_port: bool) -> tuple[socket.socket, Any]:
    # A listening socket for address; returns it and the path to remove on close (or None).
    if isinstance(address, (str, bytes)):
        return _bind_unix(address, backlog)
    if not isinstance(address, tuple):
        raise TypeError(
            f"address must be a (host, port) tuple or a Unix socket path, "
            f"not {type(address).__name__}"
        )
    if len(address) not in (2, 4):
        raise ValueError(f"address must be (host, port) or a Unix socket path, got {address!r}")
    host, port = address[0], address[1]
    if host is not None and not isinstance(host, str):
        raise TypeError(f"host must be a str or None, not {type(host).__name__}")
    if isinstance(port, bool) or not isinstance(port, int):
        raise TypeError(f"port must be an int, not {type(port).__name__}")
    if not 0 <= port <= 65535:
        raise ValueError(f"port must be from 0 to 65535, got {port}")
    family: int
    sockaddr: Any
    if not host and socket.has_dualstack_ipv6():
        # Every interface, both families: one IPv6 socket that IPv4 clients reach too.
        family, sockaddr = socket.AF_INET6, ("::", port, *address[2:])
    elif not host:
        family, sockaddr = socket.AF_INET, ("0.0.0.0", port)
    else:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        except (UnicodeError, ValueError) as exc:
            raise ValueError(f"bad host {host!r}: {exc}") from None
        except OSError as exc:
            raise _naming(exc, address) from None
        family, sockaddr = infos[0][0], infos[0][4]
        if len(address) == 4 and family == socket.AF_INET6:
            sockaddr = (sockaddr[0], port, address[2], address[3])
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        # A restarted server can rebind while old connections sit in TIME_WAIT.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        if family == socket.AF_INET6:
            # A named IPv6 host listens on IPv6 only, whatever the system default (as
            # asyncio); every interface ("") takes IPv4 too.
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1 if host else 0)
        sock.bind(sockaddr)
        sock.listen(backlog)
    except OSError as exc:
        sock.close()
        raise _naming(exc, address) from None
    except BaseException:
        sock.close()
        raise
    return sock, None


def _bind_unix(path: str | bytes, backlog: int) -> tuple[socket.socket, Any]:
    # A listening Unix socket at path; returns it and (path, inode) to remove on close, or
    # None for a Linux abstract name (a leading NUL byte: no file).
    if not path:
        raise ValueError("a Unix socket path must not be empty")
    abstract = path[:1] in ("\0", b"\0")
    colon, slash = (":", "/") if isinstance(path, str) else (b":", b"/")
    if not abstract and colon in path and slash not in path:  # type: ignore[operator]
        raise ValueError(_host_port_message(path))
    if not abstract:
        try:
            if stat.S_ISSOCK(os.stat(path).st_mode):
                os.unlink(path)  # a stale socket file of an earlier run
        except FileNotFoundError:
            pass
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(path)
        sock.listen(backlog)
    except OSError as exc:
        sock.close()
        raise _naming(exc, path) from None
    except BaseException:
        sock.close()
        raise
    return sock, None if abstract else (path, os.stat(path).st_ino)


def _host_port_message(path: str | bytes) -> str:
    text = path if isinstance(path, str) else path.decode(errors="replace")
    host, _, port = text.rpartition(":")
    example = f", ({host.strip('[]')!r}, {int(port)})" if host and port.isdigit() else ""
    return (
        f"{path!r} looks like host:port, not a Unix socket path: pass a (host, port) tuple"
        f"{example}; a socket path with a ':' needs a '/' ('./{text}')"
    )


def _naming(exc: OSError, address: object) -> OSError:
    # The OS's error (same class, errno and strerror) with the address the caller gave as its
    # filename, as Python names the path of a failed open(): "[Errno 98] Address already in
    # use: ('', 8080)".
    if exc.errno is None:
        return type(exc)(f"{exc}: {address!r}")
    return type(exc)(exc.errno, exc.strerror, address)


def _adopt(sock: object) -> socket.socket:
    if not isinstance(sock, socket.socket):
        raise TypeError(f"sock must be a socket.socket, not {type(sock).__name__}")
    if sock.fileno() < 0:
        raise ValueError("sock is closed")
    if sock.type != socket.SOCK_STREAM:
        raise ValueError(f"sock must be a stream socket (SOCK_STREAM), not {sock.type!r}")
    if not sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
        raise ValueError("sock is not listening: call sock.listen() first")
    return sock


class Listener:
    """Accepts connections and hands each to ``on_accept(listener, sock, addr, arg)``.

    ``Listener(base, on_accept, address=None, *, sock=None, backlog=128, reuse_port=False,
    arg=None)``: binds ``address`` or adopts the listening socket ``sock``; one of the two.
    ``sock`` in the callback is non-blocking. Accepting starts at once. ``reuse_port=True``
    sets ``SO_REUSEPORT`` (never set otherwise). Out of fds, accepting pauses and retries
    (0.1 to 1 s) with one warning per episode on the ``fdevent`` logger.

    ``address`` is one of:

    - ``(host, port)`` (or IPv6's ``(host, port, flowinfo, scope_id)``); port 0 for a free
      one. Host ``""`` or None: every interface, both IPv4 and IPv6 where the system has
      dual-stack IPv6 (``socket.has_dualstack_ipv6()``), as
      ``socket.create_server(dualstack_ipv6=True)`` binds: one IPv6 socket on ``::`` that
      IPv4 clients reach too, their ``addr`` an IPv4-mapped one (``'::ffff:127.0.0.1'``);
      elsewhere IPv4 only, ``0.0.0.0``. Any other host is resolved at the call and the first
      address it gives is bound; an IPv6 one listens on IPv6 only (``"::"`` too), as asyncio.
    - a ``str`` or ``bytes`` path: a Unix socket, created (a stale socket file there is
      replaced) and removed on ``close()``; a Linux abstract name starts with ``"\\0"``. A path
      with a ``:`` must have a ``/`` too (``"./name:1"``, ``"/run/app:1"``): a string such as
      ``"127.0.0.1:8080"`` or ``"localhost:80"`` is refused, as the host and port it surely
      means are a tuple.

    Raises:
        TypeError: wrong types (base, on_accept, address, sock, backlog).
        ValueError: both or neither of address and sock; an address that does not parse; a
            path that looks like ``host:port``; a negative backlog; ``sock`` closed, not a
            stream socket or not listening.
        OSError: the address cannot be bound (``EADDRINUSE``, ``EACCES``, ...) or, as
            ``socket.gaierror``, does not resolve: the OS's error, class, errno and strerror
            kept, the address as its ``filename`` (``[Errno 98] Address already in use: ('',
            8080)``).
        RuntimeError: the base is closed.
    """

    __slots__ = (
        "_address",
        "_arg",
        "_base",
        "_closed",
        "_enabled",
        "_ev",
        "_exhausted",
        "_on_accept",
        "_path",
        "_pause",
        "_resume",
        "_sock",
    )

    @cython.annotation_typing(False)
    def __init__(
        self,
        base: EventBase,
        on_accept: AcceptCallback,
        address: Any = None,
        *,
        sock: socket.socket | None = None,
        backlog: int = 128,
        reuse_port: bool = False,
        arg: Any = None,
    ) -> None:
        if not isinstance(base, EventBase):
            raise TypeError(f"base must be an EventBase, not {type(base).__name__}")
        if base.closed:
            raise RuntimeError("the event base is closed")
        if not callable(on_accept):
            raise TypeError(f"on_accept must be callable, not {type(on_accept).__name__}")
        backlog = check_int("backlog", backlog)
        if backlog < 0:
            raise ValueError(f"backlog must be >= 0, got {backlog}")
        if address is None and sock is None:
            raise ValueError(
                "a Listener needs an address to bind or a listening sock: neither was given"
            )
        if address is not None and sock is not None:
            raise ValueError("give either an address to bind or a listening sock, not both")
        path = None
        if sock is None:
            lsock, path = _bind(address, backlog, bool(reuse_port))
        else:
            lsock = _adopt(sock)
        try:
            lsock.setblocking(False)
            self._address = lsock.getsockname()
            self._ev = Event(base, lsock, EV_READ | EV_PERSIST, _on_ready, self)
            self._resume = Timer(base, _on_resume, self)
            self._ev.attach()
        except BaseException:
            if sock is None:
                lsock.close()
            raise
        self._base = base
        self._sock = lsock
        self._on_accept = on_accept
        self._arg = arg
        self._path = path
        self._enabled = True
        self._closed = False
        self._exhausted = False
        self._pause = _PAUSE_MIN

    @property
    def address(self) -> Any:
        """The address the listener is bound to (its socket's ``getsockname()``)."""
        return self._address

    @property
    def socket(self) -> socket.socket:
        """The listening socket."""
        return self._sock

    @property
    def base(self) -> EventBase:
        """The EventBase the listener runs on."""
        return self._base

    @property
    def closed(self) -> bool:
        """Whether ``close()`` was called."""
        return self._closed

    def enable(self) -> None:
        """Accept again after ``disable()`` (does nothing on a closed listener)."""
        if self._closed or self._enabled:
            return
        self._enabled = True
        if not self._resume.attached:
            self._ev.attach()

    def disable(self) -> None:
        """Stop accepting (connections wait in the kernel's backlog) until ``enable()``."""
        if self._closed or not self._enabled:
            return
        self._enabled = False
        self._ev.detach()

    def close(self) -> None:
        """Stop accepting and close the socket; remove the Unix socket file it bound.
        Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._ev.detach()
        self._resume.detach()
        self._sock.close()
        if self._path is not None:
            path, inode = self._path
            try:
                if os.stat(path).st_ino == inode:
                    os.unlink(path)
            except OSError:
                pass  # removed or replaced by someone else: not ours to touch

    def __repr__(self) -> str:
        state = "closed" if self._closed else "listening" if self._enabled else "disabled"
        return f"<Listener {self._address!r} {state}>"

    def _ready(self) -> None:
        lsock = self._sock
        for _ in range(_MAX_ACCEPTS):
            try:
                sock, addr = lsock.accept()
            except (BlockingIOError, InterruptedError):
                break
            except OSError as exc:
                if exc.errno in _GONE:
                    continue
                self._exhaust(exc)
                return
            if self._exhausted:
                self._exhausted = False
                self._pause = _PAUSE_MIN
                _log.info("listener %r: accepting again", self._address)
            sock.setblocking(False)
            self._on_accept(self, sock, addr, self._arg)
            if self._closed or not self._enabled:
                return

    def _exhaust(self, exc: OSError) -> None:
        # Out of fds (or another accept() failure): stop watching, retry after a pause.
        if not self._exhausted:
            self._exhausted = True
            known = exc.errno in _EXHAUSTED
            _log.warning(
                "listener %r: accept() failed: %s; %s",
                self._address,
                exc,
                "out of resources, pausing accepts (retry every 0.1-1 s)"
                if known
                else "pausing accepts",
            )
        self._ev.detach()
        self._resume.attach(self._pause)
        self._pause = min(self._pause * 2, _PAUSE_MAX)

    def _resumed(self) -> None:
        if not self._closed and self._enabled:
            self._ev.attach()


def _on_ready(fd: int, events: int, listener: Listener) -> None:
    listener._ready()


def _on_resume(fd: int, events: int, listener: Listener) -> None:
    listener._resumed()
