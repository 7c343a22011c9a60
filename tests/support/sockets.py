"""Sockets and fds: reading what a socket holds, a TCP pair, counting and checking fds."""

from __future__ import annotations

import gc
import os
import socket

#: How long a test waits for something that should happen in milliseconds: generous.
WAIT = 10.0


def drain(sock: socket.socket) -> bytes:
    """Read everything ``sock`` has buffered (it must be non-blocking)."""
    chunks = []
    while True:
        try:
            data = sock.recv(65536)
        except BlockingIOError:
            break
        if not data:
            break
        chunks.append(data)
    return b"".join(chunks)


def is_open(fd: int) -> bool:
    """Whether ``fd`` is an open file descriptor of this process."""
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def open_fds() -> int:
    """How many fds this process has open now (after a collection: closed sockets that only
    the garbage collector still held do not count)."""
    gc.collect()
    return len(os.listdir("/proc/self/fd"))


def tcp_pair() -> tuple[socket.socket, socket.socket]:
    """A connected TCP pair over 127.0.0.1: (ours, peer), both blocking."""
    with socket.create_server(("127.0.0.1", 0)) as lsock:
        peer = socket.create_connection(lsock.getsockname())
        ours, _ = lsock.accept()
    return ours, peer


def recv_all(sock: socket.socket, n: int, timeout: float = WAIT) -> bytes:
    """Receive exactly ``n`` bytes on a blocking socket (or fewer at EOF)."""
    sock.settimeout(timeout)
    chunks = []
    got = 0
    while got < n:
        data = sock.recv(min(n - got, 1 << 20))
        if not data:
            break
        chunks.append(data)
        got += len(data)
    return b"".join(chunks)


def recv_until_eof(sock: socket.socket, timeout: float = WAIT) -> bytes:
    """Everything a blocking socket receives until EOF."""
    sock.settimeout(timeout)
    chunks = []
    while True:
        data = sock.recv(1 << 20)
        if not data:
            return b"".join(chunks)
        chunks.append(data)
