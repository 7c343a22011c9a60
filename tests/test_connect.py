"""connect(): numeric addresses, Unix paths, refusal, timeouts, writes before the connect."""

from __future__ import annotations

import socket
import time
from types import ModuleType
from typing import Any

import pytest
from support.sockets import open_fds, recv_all
from support.streams import Events, run_for, run_until

from fdevent import BEV_CONNECTED, BEV_ERROR, BEV_TIMEOUT, BEV_WRITING


@pytest.fixture
def server() -> Any:
    """A plain listening TCP socket on 127.0.0.1 (accept it yourself)."""
    lsock = socket.create_server(("127.0.0.1", 0))
    yield lsock
    lsock.close()


def test_connect_numeric_and_write_before_connected(
    core: ModuleType, base: Any, server: socket.socket
) -> None:
    ev = Events()
    s = core.connect(base, server.getsockname(), **ev.kwargs(), arg="A", timeout=5)
    assert s.arg == "A"
    s.write(b"queued before the connect")
    assert len(s.output) == 25  # nothing can go yet
    assert ev.events == []  # BEV_CONNECTED comes from the loop, never inside connect()
    run_until(base, lambda: ev.events)
    assert ev.events == [BEV_CONNECTED]
    peer, _ = server.accept()
    with peer:
        run_until(base, lambda: len(s.output) == 0)
        assert recv_all(peer, 25) == b"queued before the connect"
        peer.sendall(b"hi")
        run_until(base, lambda: ev.data)
        assert bytes(ev.data) == b"hi"
        s.close()
    assert s.socket.fileno() == -1


def test_connect_ipv6(core: ModuleType, base: Any) -> None:
    with socket.create_server(("::1", 0), family=socket.AF_INET6) as lsock:
        ev = Events()
        s = core.connect(base, lsock.getsockname()[:2], **ev.kwargs())
        run_until(base, lambda: ev.events)
        assert ev.events == [BEV_CONNECTED]
        assert s.socket.family == socket.AF_INET6
        s.close()


def test_connect_unix_path(core: ModuleType, base: Any, tmp_path: Any) -> None:
    path = str(tmp_path / "s")
    with socket.socket(socket.AF_UNIX) as lsock:
        lsock.bind(path)
        lsock.listen()
        ev = Events()
        s = core.connect(base, path, **ev.kwargs())
        s.write(b"over unix")
        run_until(base, lambda: ev.events)
        assert ev.events == [BEV_CONNECTED]
        peer, _ = lsock.accept()
        with peer:
            assert recv_all(peer, 9) == b"over unix"
        s.close()


def test_connect_refused(core: ModuleType, base: Any) -> None:
    before = open_fds()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound, not listening: connects are refused
        ev = Events()
        s = core.connect(base, ("127.0.0.1", port), **ev.kwargs())
        run_until(base, lambda: ev.events)
        run_for(base, 0.02)
    assert ev.events == [BEV_ERROR | BEV_WRITING]
    assert isinstance(s.error, ConnectionRefusedError)
    s.close()
    assert open_fds() == before
    base.dispatch()  # nothing left attached


def test_connect_unix_path_missing(core: ModuleType, base: Any, tmp_path: Any) -> None:
    ev = Events()
    s = core.connect(base, str(tmp_path / "nobody"), **ev.kwargs())
    assert ev.events == []
    run_until(base, lambda: ev.events)
    assert ev.events == [BEV_ERROR | BEV_WRITING]
    assert isinstance(s.error, FileNotFoundError)
    s.close()


def test_connect_timeout(core: ModuleType, base: Any) -> None:
    # A listener that never accepts, its backlog full: the kernel drops further SYNs, so a
    # connect hangs (on loopback, with nothing leaving the machine).
    with socket.socket() as lsock:
        lsock.bind(("127.0.0.1", 0))
        lsock.listen(0)
        fillers = []
        for _ in range(3):
            f = socket.socket()
            f.setblocking(False)
            f.connect_ex(lsock.getsockname())
            fillers.append(f)
        time.sleep(0.05)
        ev = Events()
        t0 = time.monotonic()
        s = core.connect(base, lsock.getsockname(), **ev.kwargs(), timeout=0.3)
        run_until(base, lambda: ev.events)
        elapsed = time.monotonic() - t0
        for f in fillers:
            f.close()
    assert ev.events == [BEV_TIMEOUT | BEV_WRITING]
    assert elapsed >= 0.3
    assert s.error is None
    s.close()
    base.dispatch()


def test_close_while_connecting(core: ModuleType, base: Any, server: socket.socket) -> None:
    ev = Events()
    s = core.connect(base, server.getsockname(), **ev.kwargs(), timeout=0.2)
    s.write(b"never sent")
    s.close()
    run_for(base, 0.3)
    assert ev.log == []  # no callback after close(), not even the timeout
    base.dispatch()  # nothing left attached


@pytest.mark.parametrize(
    ("address", "exc"),
    [
        (("127.0.0.1",), ValueError),
        (("127.0.0.1", 1, 2), ValueError),
        (("127.0.0.1", 70000), ValueError),
        (("127.0.0.1", -1), ValueError),
        (("", 80), ValueError),
        ("", ValueError),
        ((1, 80), TypeError),
        (("127.0.0.1", "80"), TypeError),
        (8080, TypeError),
        (None, TypeError),
    ],
)
def test_bad_addresses(core: ModuleType, base: Any, address: Any, exc: type) -> None:
    with pytest.raises(exc):
        core.connect(base, address)
    base.dispatch()  # nothing left attached: returns at once


def test_bad_arguments(core: ModuleType, base: Any, server: socket.socket) -> None:
    addr = server.getsockname()
    with pytest.raises(ValueError):
        core.connect(base, addr, timeout=-1)
    with pytest.raises(TypeError):
        core.connect(base, addr, timeout="5")
    with pytest.raises(TypeError, match="on_read"):
        core.connect(base, addr, on_read=1)
    with pytest.raises(TypeError, match="base"):
        core.connect("base", addr)
    with pytest.raises(TypeError, match="ssl"):
        core.connect(base, addr, ssl="yes")
    base.dispatch()


# --- host names: resolved in a worker thread, the result handed to the loop ---------------

_real_getaddrinfo = socket.getaddrinfo


@pytest.fixture
def fake_names(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Host names made up for a test (no resolver, no network): name -> addresses, an
    exception, or ("sleep", seconds, addresses)."""
    names: dict[str, Any] = {}

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in names:
            return _real_getaddrinfo(host, port, *args, **kwargs)
        if kwargs.get("flags", 0) & socket.AI_NUMERICHOST:
            raise socket.gaierror(socket.EAI_NONAME, "not numeric")
        entry = names[host]
        if isinstance(entry, BaseException):
            raise entry
        if isinstance(entry, tuple) and entry[0] == "sleep":
            time.sleep(entry[1])
            entry = entry[2]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", addr) for addr in entry]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return names


def test_connect_localhost(core: ModuleType, base: Any, server: socket.socket) -> None:
    ev = Events()
    s = core.connect(base, ("localhost", server.getsockname()[1]), **ev.kwargs())
    s.write(b"by name")
    run_until(base, lambda: ev.events)  # no timeout given: the worker's activate() wakes us
    assert ev.events == [BEV_CONNECTED]
    peer, _ = server.accept()
    with peer:
        assert recv_all(peer, 7) == b"by name"
    s.close()


def test_resolution_failure(core: ModuleType, base: Any, fake_names: dict[str, Any]) -> None:
    fake_names["nowhere.test"] = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    ev = Events()
    s = core.connect(base, ("nowhere.test", 80), **ev.kwargs())
    run_until(base, lambda: ev.events)
    assert ev.events == [BEV_ERROR | BEV_WRITING]
    assert isinstance(s.error, socket.gaierror)
    s.close()
    base.dispatch()


def test_each_resolved_address_is_tried_in_order(
    core: ModuleType, base: Any, server: socket.socket, fake_names: dict[str, Any]
) -> None:
    with socket.socket() as refused:
        refused.bind(("127.0.0.1", 0))  # bound, not listening
        fake_names["two.test"] = [refused.getsockname(), server.getsockname()]
        ev = Events()
        s = core.connect(base, ("two.test", 1), **ev.kwargs())
        run_until(base, lambda: ev.events)
    assert ev.events == [BEV_CONNECTED]
    assert s.socket.getpeername() == server.getsockname()
    s.close()


def test_timeout_covers_resolution(core: ModuleType, base: Any, fake_names: dict[str, Any]) -> None:
    fake_names["slow.test"] = ("sleep", 0.6, [("127.0.0.1", 9)])
    ev = Events()
    t0 = time.monotonic()
    s = core.connect(base, ("slow.test", 9), **ev.kwargs(), timeout=0.2)
    run_until(base, lambda: ev.events)
    assert time.monotonic() - t0 >= 0.2
    assert ev.events == [BEV_TIMEOUT | BEV_WRITING]
    run_for(base, 0.7)  # the late result is dropped: nothing more happens
    assert ev.events == [BEV_TIMEOUT | BEV_WRITING]
    s.close()
    base.dispatch()


def test_close_during_resolution(core: ModuleType, base: Any, fake_names: dict[str, Any]) -> None:
    fake_names["later.test"] = ("sleep", 0.2, [("127.0.0.1", 9)])
    ev = Events()
    s = core.connect(base, ("later.test", 9), **ev.kwargs())
    s.close()
    t0 = time.monotonic()
    base.dispatch()  # nothing keeps it: returns at once, no callback
    assert time.monotonic() - t0 < 0.15
    time.sleep(0.3)
    run_for(base, 0.05)
    assert ev.log == []
    assert s.socket is None
