"""The base closes its streams: ``base.close()`` releases every stream's socket, at once and as
``abort()`` does, and ``stream.close()`` is safe at any time. On both cores and every backend.

The rule: an open stream belongs to its base. ``base.close()`` closes each one now (no loop
will run again to flush it): its socket is closed, what ``output`` held is dropped, and no
callback of the stream runs again, whatever state it was in (idle, with output pending,
lingering in ``close()``, connecting, in a TLS handshake). After that, ``close()`` and
``abort()`` do nothing and ``write()`` / ``write_eof()`` are a ``RuntimeError`` that says
the base was closed, whatever the size of the write.
"""

from __future__ import annotations

import gc
import socket
import threading
import warnings
from types import ModuleType
from typing import Any

import pytest
from support.sockets import open_fds, recv_until_eof, tcp_pair
from support.streams import Events

from fdevent import EV_READ

BIG = 8 << 20  # more than any socket buffer here takes at once


@pytest.fixture
def sp() -> Any:
    """A socketpair: (ours, peer); the peer blocking, both closed at the end."""
    a, b = socket.socketpair()
    yield a, b
    a.close()
    b.close()


def test_base_close_closes_streams_in_every_state(core: ModuleType, backend: str) -> None:
    before = open_fds()
    base = core.EventBase(backend=backend)
    pairs = [socket.socketpair() for _ in range(3)]
    idle = core.Stream(base, pairs[0][0])
    pending = core.Stream(base, pairs[1][0])
    pending.write(b"x" * BIG)  # most of it waits in output: the peer does not read
    lingering = core.Stream(base, pairs[2][0])
    lingering.write(b"y" * BIG)
    lingering.close()  # flushing: keeps its socket until the output is gone
    with socket.create_server(("127.0.0.1", 0)) as lsock:
        connecting = core.connect(base, lsock.getsockname())
        assert len(pending.output) and lingering.closed and lingering.fd >= 0
        base.close()
    streams = [idle, pending, lingering, connecting]
    assert all(s.closed and s.fd == -1 for s in streams)
    assert all(ours.fileno() == -1 for ours, _ in pairs)
    assert len(pending.output) == 0  # dropped, as abort() drops it
    for _, peer in pairs:
        recv_until_eof(peer)  # what was sent before, then the end
        peer.close()
    assert open_fds() == before


def test_stream_close_and_abort_after_base_close(core: ModuleType, backend: str, sp: Any) -> None:
    base = core.EventBase(backend=backend)
    s = core.Stream(base, sp[0])
    s.write(b"x" * BIG)
    base.close()
    s.close()
    s.close()
    s.abort()
    assert s.closed and "closed" in repr(s)


@pytest.mark.parametrize("size", [1, BIG])
def test_write_after_base_close_raises_whatever_its_size(
    core: ModuleType, backend: str, sp: Any, size: int
) -> None:
    base = core.EventBase(backend=backend)
    s = core.Stream(base, sp[0])
    base.close()
    with pytest.raises(RuntimeError, match="event base was closed"):
        s.write(b"z" * size)
    with pytest.raises(RuntimeError, match="event base was closed"):
        s.write_eof()
    assert len(s.output) == 0
    assert recv_until_eof(sp[1]) == b""  # nothing was sent: the peer sees only the end


def test_no_stream_callback_runs_after_base_close(core: ModuleType, backend: str) -> None:
    base = core.EventBase(backend=backend)
    ours, peer = tcp_pair()
    ev = Events()
    s = core.Stream(base, ours, **ev.kwargs())
    s.set_timeouts(read=0.05)
    peer.sendall(b"unread")
    base.close()
    peer.close()
    assert ev.log == [] and s.closed


def test_base_close_from_a_stream_callback(core: ModuleType, base: Any, sp: Any) -> None:
    seen = []

    def on_read(stream: Any, arg: Any) -> None:
        seen.append(stream.input.read())
        base.close()
        with pytest.raises(RuntimeError, match="event base was closed"):
            stream.write(b"too late")

    s = core.Stream(base, sp[0], on_read=on_read)
    sp[1].sendall(b"bye")
    base.dispatch()  # ends: the base closed from inside the callback
    assert seen == [b"bye"] and s.closed and sp[0].fileno() == -1


def test_base_close_from_another_thread(core: ModuleType, backend: str, sp: Any) -> None:
    base = core.EventBase(backend=backend)
    s = core.Stream(base, sp[0])
    loop = threading.Thread(target=base.dispatch)  # the stream's reader keeps it running
    loop.start()
    try:
        base.close()
        assert s.closed and sp[0].fileno() == -1  # by the time close() returned
    finally:
        loop.join(10)
    assert not loop.is_alive()


def test_base_close_closes_tls_streams(core: ModuleType, backend: str, sp: Any) -> None:
    import ssl

    base = core.EventBase(backend=backend)
    ctx = ssl.create_default_context()
    s = core.Stream(base, sp[0], ssl=ctx, server_hostname="localhost")  # handshaking
    base.close()
    assert s.closed and sp[0].fileno() == -1


def test_an_unreferenced_stream_is_kept_by_its_base_and_closed_by_it(
    core: ModuleType, backend: str, sp: Any
) -> None:
    base = core.EventBase(backend=backend)
    core.Stream(base, sp[0]).disable(EV_READ)
    gc.collect()  # no event is attached: only the base keeps the stream
    assert sp[0].fileno() != -1
    with warnings.catch_warnings():
        warnings.simplefilter("error", ResourceWarning)  # no socket left to the collector
        base.close()
        gc.collect()
    assert sp[0].fileno() == -1
