"""Listener: binding, adopting, the bounded accept loop, out-of-fds pauses, Unix paths."""

from __future__ import annotations

import errno
import logging
import os
import resource
import socket
import sys
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
    with pytest.raises(ValueError, match="needs an address to bind or a listening sock"):
        core.Listener(base, cb)
    with (
        socket.create_server(("127.0.0.1", 0)) as lsock,
        pytest.raises(ValueError, match=r"either .* not both"),
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


def test_neither_address_nor_sock_says_one_is_needed(core: ModuleType, base: Any) -> None:
    with pytest.raises(ValueError) as info:
        core.Listener(base, _accepted([]))
    assert str(info.value) == (
        "a Listener needs an address to bind or a listening sock: neither was given"
    )


def test_a_busy_port_names_the_address(core: ModuleType, base: Any) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        address = taken.getsockname()
        with pytest.raises(OSError) as info:
            core.Listener(base, _accepted([]), address)
    # The OS's error, class, errno and strerror kept, the address as its filename (which
    # Python shows after the reason, as for a path).
    reason = os.strerror(errno.EADDRINUSE)
    assert type(info.value) is OSError
    assert (info.value.errno, info.value.strerror) == (errno.EADDRINUSE, reason)
    assert info.value.filename == address
    assert str(info.value) == f"[Errno {errno.EADDRINUSE}] {reason}: {address!r}"
    base.dispatch()  # nothing was left attached


def test_an_unresolvable_host_names_the_address(
    core: ModuleType, base: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "nowhere.test":  # no resolver is asked: the answer a resolver gives
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    with pytest.raises(socket.gaierror) as info:
        core.Listener(base, _accepted([]), ("nowhere.test", 8080))
    assert type(info.value) is socket.gaierror
    assert info.value.errno == socket.EAI_NONAME
    assert info.value.strerror == "Name or service not known"
    assert str(info.value) == (
        f"[Errno {socket.EAI_NONAME}] Name or service not known: ('nowhere.test', 8080)"
    )


def test_a_unix_path_that_cannot_be_bound_names_it(
    core: ModuleType, base: Any, tmp_path: Any
) -> None:
    path = str(tmp_path / "no-such-dir" / "sock")
    with pytest.raises(FileNotFoundError) as info:
        core.Listener(base, _accepted([]), path)
    assert info.value.errno == errno.ENOENT
    assert str(info.value) == f"[Errno {errno.ENOENT}] {os.strerror(errno.ENOENT)}: {path!r}"


@pytest.mark.parametrize("host", ["", None])
def test_every_interface_is_dual_stack_where_the_system_has_ipv6(
    core: ModuleType, base: Any, host: Any
) -> None:
    got: list[Any] = []
    lst = core.Listener(base, _accepted(got), (host, 0))
    port = lst.address[1]
    if socket.has_dualstack_ipv6():
        # One IPv6 socket that takes IPv4 connections too (as IPv4-mapped addresses), as
        # socket.create_server(dualstack_ipv6=True) makes.
        assert lst.socket.family == socket.AF_INET6
        assert lst.socket.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY) == 0
        assert lst.address[0] == "::"
        targets = [("127.0.0.1", port), ("::1", port)]
    else:
        assert lst.socket.family == socket.AF_INET
        assert lst.address == ("0.0.0.0", port)
        targets = [("127.0.0.1", port)]
    for target in targets:
        with socket.create_connection(target):
            run_until(base, lambda: got)
        got.pop()[1].close()
    lst.close()


def test_a_named_ipv6_host_stays_ipv6_only(core: ModuleType, base: Any) -> None:
    # As asyncio: "::" (or any IPv6 address) listens on IPv6 only; "" is the dual-stack one.
    if not socket.has_ipv6:
        pytest.skip("no IPv6 here")
    lst = core.Listener(base, _accepted([]), ("::", 0))
    assert lst.socket.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY) == 1
    lst.close()
    lst = core.Listener(base, _accepted([]), ("0.0.0.0", 0))
    assert lst.socket.family == socket.AF_INET
    lst.close()


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1:0", "localhost:8080", "[::1]:80", "::1", "host:http", b"127.0.0.1:0"],
)
def test_a_host_port_string_is_refused(
    core: ModuleType, base: Any, address: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A str is a Unix socket path; one with a ':' and no '/' is a host and port that should
    # have been a tuple: never a socket file named "127.0.0.1:0" in the working directory.
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match=r"looks like host:port.*\(host, port\) tuple"):
        core.Listener(base, _accepted([]), address)
    assert not os.path.exists(address)
    base.dispatch()  # nothing was left attached


def test_the_refusal_suggests_the_tuple(
    core: ModuleType, base: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError) as info:
        core.Listener(base, _accepted([]), "127.0.0.1:8080")
    assert str(info.value) == (
        "'127.0.0.1:8080' looks like host:port, not a Unix socket path: pass a (host, port) "
        "tuple, ('127.0.0.1', 8080); a socket path with a ':' needs a '/' ('./127.0.0.1:8080')"
    )


def test_a_unix_path_with_a_colon_and_a_slash_is_a_path(
    core: ModuleType, base: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    got: list[Any] = []
    for path in (str(tmp_path / "a:1"), "./b:2", b"./c:3"):
        lst = core.Listener(base, _accepted(got), path)
        assert os.path.exists(path)
        with socket.socket(socket.AF_UNIX) as client:
            client.connect(path)
            run_until(base, lambda: got)
        got.pop()[1].close()
        lst.close()
        assert not os.path.exists(path)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux's abstract sockets")
def test_a_linux_abstract_socket_name(core: ModuleType, base: Any) -> None:
    # A name that starts with a NUL byte has no file: nothing to stat, unlink or refuse.
    name = f"\0fdevent-test-{os.getpid()}:1"
    got: list[Any] = []
    lst = core.Listener(base, _accepted(got), name)
    with socket.socket(socket.AF_UNIX) as client:
        client.connect(name)
        run_until(base, lambda: got)
    got[0][1].close()
    lst.close()


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
