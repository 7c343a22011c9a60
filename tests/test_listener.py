"""Listener: binding, adopting, the bounded accept loop, out-of-fds pauses, Unix paths."""

from __future__ import annotations

import logging
import os
import resource
import socket
import time
from types import ModuleType
from typing import Any

import pytest
from support.streams import run_for, run_until


def _accepted(into: list[Any]) -> Any:
    def on_accept(listener: Any, sock: socket.socket, addr: Any, arg: Any) -> None:
        into.append((listener, sock, addr, arg))

    return on_accept


def test_accepts_and_hands_over_a_nonblocking_socket(core: ModuleType, base: Any) -> None:
    got: list[Any] = []
    lst = core.Listener(base, _accepted(got), ("127.0.0.1", 0), arg="A")
    host, port = lst.address
    assert host == "127.0.0.1" and port > 0
    assert lst.base is base and not lst.closed
    with socket.create_connection(lst.address) as client:
        run_until(base, lambda: got)
        listener, sock, addr, arg = got[0]
        assert listener is lst and arg == "A"
        assert addr == client.getsockname()
        assert sock.getblocking() is False
        sock.close()
    lst.close()
    assert lst.closed and lst.socket.fileno() == -1
    lst.close()  # idempotent
    base.dispatch()  # nothing left attached


def test_ipv6(core: ModuleType, base: Any) -> None:
    got: list[Any] = []
    lst = core.Listener(base, _accepted(got), ("::1", 0))
    assert lst.socket.family == socket.AF_INET6
    with socket.create_connection(lst.address[:2]):
        run_until(base, lambda: got)
    got[0][1].close()
    lst.close()


def test_unix_path_is_created_and_removed(core: ModuleType, base: Any, tmp_path: Any) -> None:
    path = str(tmp_path / "sock")
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(path)  # a stale socket file from an earlier run
    stale.close()
    got: list[Any] = []
    lst = core.Listener(base, _accepted(got), path)
    assert lst.address == path and os.path.exists(path)
    with socket.socket(socket.AF_UNIX) as client:
        client.connect(path)
        run_until(base, lambda: got)
    got[0][1].close()
    lst.close()
    assert not os.path.exists(path)


def test_adopts_a_listening_socket(core: ModuleType, base: Any) -> None:
    lsock = socket.create_server(("127.0.0.1", 0))
    got: list[Any] = []
    lst = core.Listener(base, _accepted(got), sock=lsock)
    assert lst.socket is lsock and lst.address == lsock.getsockname()
    with socket.create_connection(lst.address):
        run_until(base, lambda: got)
    got[0][1].close()
    lst.close()
    assert lsock.fileno() == -1


def test_reuse_port(core: ModuleType, base: Any) -> None:
    a = core.Listener(base, _accepted([]), ("127.0.0.1", 0))
    assert a.socket.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT) == 0
    b = core.Listener(base, _accepted([]), ("127.0.0.1", 0), reuse_port=True)
    assert b.socket.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT) == 1
    a.close()
    b.close()


def test_accept_is_bounded_per_iteration(core: ModuleType, base: Any) -> None:
    got: list[Any] = []
    lst = core.Listener(base, _accepted(got), ("127.0.0.1", 0), backlog=512)
    clients = [socket.create_connection(lst.address) for _ in range(150)]
    time.sleep(0.05)  # every handshake done: all 150 wait in the backlog
    base.loop(nonblock=True)
    first = len(got)
    assert 0 < first < 150  # not all in one iteration
    run_until(base, lambda: len(got) == 150)
    for _, sock, _, _ in got:
        sock.close()
    for c in clients:
        c.close()
    lst.close()


def test_enable_disable(core: ModuleType, base: Any) -> None:
    got: list[Any] = []
    lst = core.Listener(base, _accepted(got), ("127.0.0.1", 0))
    lst.disable()
    with socket.create_connection(lst.address):
        run_for(base, 0.05)
        assert got == []
        lst.enable()
        run_until(base, lambda: got)
    got[0][1].close()
    assert "listening" in repr(lst)
    lst.close()
    lst.enable()  # nothing on a closed listener
    assert "closed" in repr(lst)


def test_bad_arguments(core: ModuleType, base: Any) -> None:
    cb = _accepted([])
    with pytest.raises(TypeError, match="base"):
        core.Listener(None, cb, ("127.0.0.1", 0))
    with pytest.raises(TypeError, match="on_accept"):
        core.Listener(base, 5, ("127.0.0.1", 0))
    with pytest.raises(ValueError, match="either"):
        core.Listener(base, cb)
    with (
        socket.create_server(("127.0.0.1", 0)) as lsock,
        pytest.raises(ValueError, match="either"),
    ):
        core.Listener(base, cb, ("127.0.0.1", 0), sock=lsock)
    with pytest.raises(TypeError, match="address"):
        core.Listener(base, cb, 8080)
    with pytest.raises(ValueError):
        core.Listener(base, cb, ("127.0.0.1",))
    with pytest.raises(ValueError, match="port"):
        core.Listener(base, cb, ("127.0.0.1", 70000))
    with pytest.raises(TypeError, match="port"):
        core.Listener(base, cb, ("127.0.0.1", "80"))
    with pytest.raises(ValueError, match="backlog"):
        core.Listener(base, cb, ("127.0.0.1", 0), backlog=-1)
    with pytest.raises(TypeError, match="backlog"):
        core.Listener(base, cb, ("127.0.0.1", 0), backlog=1.5)
    with pytest.raises(ValueError, match="empty"):
        core.Listener(base, cb, "")
    with socket.socket() as unbound, pytest.raises(ValueError, match="not listening"):
        core.Listener(base, cb, sock=unbound)
    closed = socket.socket()
    closed.close()
    with pytest.raises(ValueError, match="closed"):
        core.Listener(base, cb, sock=closed)
    with pytest.raises(TypeError, match="sock"):
        core.Listener(base, cb, sock=3)
    base.dispatch()  # nothing was left attached


def test_out_of_fds_pauses_warns_once_and_recovers(
    core: ModuleType, base: Any, caplog: pytest.LogCaptureFixture
) -> None:
    got: list[Any] = []
    lst = core.Listener(base, _accepted(got), ("127.0.0.1", 0), backlog=64)
    clients = [socket.create_connection(lst.address) for _ in range(5)]
    time.sleep(0.05)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    caplog.set_level(logging.INFO, logger="fdevent")
    fillers: list[int] = []
    try:
        # Cap the fd numbers at the highest in use, then fill the gaps below it: no fd can
        # be opened now, so every accept() fails with EMFILE.
        top = max(int(name) for name in os.listdir("/proc/self/fd"))
        resource.setrlimit(resource.RLIMIT_NOFILE, (top + 1, hard))
        while True:
            try:
                fillers.append(os.dup(0))
            except OSError:
                break
        cpu0 = time.process_time()
        run_for(base, 0.6)
        cpu = time.process_time() - cpu0
    finally:
        for fd in fillers:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert got == []
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1, warnings
    assert "accept" in warnings[0].getMessage()
    assert cpu < 0.3  # paused, not spinning (a spin would burn the whole 0.6 s)
    run_until(base, lambda: len(got) == 5)  # retried after the pause: all accepted
    for _, sock, _, _ in got:
        sock.close()
    for c in clients:
        c.close()
    lst.close()
