"""One socket, one stream: a second ``Stream`` on an fd an open stream holds is refused (two
would race for its reads and close it twice), on any base; once the first stream has closed,
or its socket was closed behind its back, the number is free for a new socket. On both cores
and every backend.
"""

from __future__ import annotations

import socket
from types import ModuleType
from typing import Any

import pytest
from support.streams import run_until

WRAPPED = r"fd {}\) is already wrapped by a stream"


@pytest.fixture
def sp() -> Any:
    """A socketpair: (ours, peer); both closed at the end."""
    a, b = socket.socketpair()
    yield a, b
    a.close()
    b.close()


def _echo(stream: Any, arg: Any) -> None:
    stream.write(stream.input.read())


def test_a_second_stream_on_a_socket_is_refused(core: ModuleType, base: Any, sp: Any) -> None:
    ours, peer = sp
    core.Stream(base, ours, on_read=_echo)
    with pytest.raises(ValueError, match=WRAPPED.format(ours.fileno())):
        core.Stream(base, ours)
    twin = socket.socket(fileno=ours.fileno())  # another object on the same fd
    try:
        with pytest.raises(ValueError, match=WRAPPED.format(ours.fileno())):
            core.Stream(base, twin)
    finally:
        twin.detach()
    peer.sendall(b"still one stream")  # the first stream works on, alone
    peer.settimeout(10)
    got = b""
    while len(got) < 16:
        run_until(base, lambda: _readable(peer))
        got += peer.recv(100)
    assert got == b"still one stream"


def test_refused_on_another_base_too(core: ModuleType, backend: str, sp: Any) -> None:
    one = core.EventBase(backend=backend)
    other = core.EventBase(backend=backend)
    try:
        core.Stream(one, sp[0])
        with pytest.raises(ValueError, match=WRAPPED.format(sp[0].fileno())):
            core.Stream(other, sp[0])
    finally:
        one.close()
        other.close()


def test_a_connected_stream_socket_is_refused(core: ModuleType, base: Any) -> None:
    with socket.create_server(("127.0.0.1", 0)) as lsock:
        s = core.connect(base, lsock.getsockname())
        run_until(base, lambda: s.socket is not None)
        with pytest.raises(ValueError, match="already wrapped by a stream"):
            core.Stream(base, s.socket)
        s.close()


@pytest.mark.parametrize("end", ["close", "abort", "base"])
def test_the_number_is_free_once_the_stream_closed(
    core: ModuleType, backend: str, end: str
) -> None:
    base = core.EventBase(backend=backend)
    try:
        a, b = socket.socketpair()
        fd = a.fileno()
        first = core.Stream(base, a)
        if end == "base":
            base.close()
            base = core.EventBase(backend=backend)
        else:
            getattr(first, end)()
        b.close()
        c, d = socket.socketpair()  # the lowest free numbers: the first one is fd again
        with c, d:
            assert c.fileno() == fd
            s = core.Stream(base, c, on_read=_echo)
            d.sendall(b"new file")
            run_until(base, lambda: _readable(d))
            assert d.recv(100) == b"new file"
            s.close()
    finally:
        base.close()


def test_a_socket_closed_behind_its_streams_back_gives_its_number_up(
    core: ModuleType, base: Any
) -> None:
    a, b = socket.socketpair()
    fd = a.fileno()
    old = core.Stream(base, a)
    a.close()  # not old.close(): a mistake, but the number is the kernel's to give again
    b.close()
    c, d = socket.socketpair()
    with c, d:
        assert c.fileno() == fd
        new = core.Stream(base, c)
        old.close()  # leaves the new stream's socket alone
        assert c.fileno() == fd and not new.closed
        new.close()


def test_a_refused_call_leaves_the_socket_free(core: ModuleType, base: Any, sp: Any) -> None:
    with pytest.raises(ValueError, match="priority"):
        core.Stream(base, sp[0], priority=99)
    core.Stream(base, sp[0]).close()


def _readable(sock: socket.socket) -> bool:
    import select

    return bool(select.select([sock], [], [], 0)[0])
