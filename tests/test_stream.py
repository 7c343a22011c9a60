"""Stream: docs/contract.md's clauses, on both cores and every backend (socketpairs and TCP)."""

from __future__ import annotations

import contextlib
import gc
import math
import socket
import sys
import time
from types import ModuleType
from typing import Any

import pytest
from support.sockets import drain, open_fds, recv_all, recv_until_eof, tcp_pair
from support.streams import Events, run_for, run_until

from fdevent import (
    BEV_CONNECTED,
    BEV_EOF,
    BEV_ERROR,
    BEV_READING,
    BEV_TIMEOUT,
    BEV_WRITING,
    EV_READ,
    EV_WRITE,
)

BIG = 8 << 20  # more than any socket buffer here takes at once


@pytest.fixture
def sp() -> Any:
    """A socketpair: (ours, peer); the peer blocking, both closed at the end."""
    a, b = socket.socketpair()
    yield a, b
    a.close()
    b.close()


def test_constants() -> None:
    import fdevent

    assert (BEV_READING, BEV_WRITING, BEV_EOF, BEV_ERROR, BEV_TIMEOUT, BEV_CONNECTED) == (
        0x01,
        0x02,
        0x10,
        0x20,
        0x40,
        0x80,
    )
    assert fdevent.Stream is not None and fdevent.Buffer is not None


def test_echo_and_ownership(core: ModuleType, base: Any, sp: Any) -> None:
    ours, peer = sp

    def echo(stream: Any, arg: Any) -> None:
        assert arg == "A"
        stream.write(stream.input.read())

    s = core.Stream(base, ours, on_read=echo, arg="A")
    assert ours.getblocking() is False
    assert s.socket is ours and s.fd == ours.fileno() and s.base is base and s.arg == "A"
    peer.sendall(b"hello")
    run_until(base, lambda: s.input is not None and s.output is not None and _ready(peer))
    assert peer.recv(100) == b"hello"
    s.close()
    assert ours.fileno() == -1
    assert s.closed and s.fd == -1


def _ready(sock: socket.socket) -> bool:
    import select

    return bool(select.select([sock], [], [], 0)[0])


def test_stream_lives_while_watched(core: ModuleType, base: Any, sp: Any) -> None:
    ours, peer = sp
    seen = []
    core.Stream(base, ours, on_read=lambda s, a: seen.append(s.input.read()))
    gc.collect()
    peer.sendall(b"still here")
    run_until(base, lambda: seen)
    assert seen == [b"still here"]


def test_write_sends_at_once(core: ModuleType, base: Any, sp: Any) -> None:
    ours, peer = sp
    s = core.Stream(base, ours)
    s.write(b"now")
    assert len(s.output) == 0
    peer.settimeout(0)
    assert peer.recv(10) == b"now"  # no loop iteration in between
    s.write(bytearray(b"ba"))
    s.write(memoryview(b"mv"))
    assert peer.recv(10) == b"bamv"
    with pytest.raises(TypeError, match="bytes-like"):
        s.write("text")
    s.abort()


def test_partial_write_is_flushed_and_on_write_runs_from_the_loop(
    core: ModuleType, base: Any, sp: Any
) -> None:
    ours, peer = sp
    ev = Events()
    s = core.Stream(base, ours, **ev.kwargs())
    payload = bytes(range(256)) * (BIG // 256)
    s.write(payload)
    assert 0 < len(s.output) < BIG  # the kernel took some, the rest waits
    assert ev.writes == 0  # never inside write()
    got = bytearray()
    peer.setblocking(False)

    def drained() -> bool:
        with contextlib.suppress(BlockingIOError):
            got.extend(peer.recv(1 << 20))
        return ev.writes > 0

    run_until(base, drained)
    assert len(s.output) == 0
    assert ev.writes == 1
    got += recv_all(peer, BIG - len(got))
    assert got == payload
    s.write(b"small")  # sent at once: output never stood above the watermark
    run_for(base, 0.05)
    assert ev.writes == 1
    s.close()


def test_output_added_directly_is_sent(core: ModuleType, base: Any, sp: Any) -> None:
    ours, peer = sp
    ev = Events()
    s = core.Stream(base, ours, **ev.kwargs())
    s.output.add(b"straight into the buffer")
    assert ev.writes == 0
    run_until(base, lambda: ev.writes == 1)  # flushed by the writer, then on_write
    assert len(s.output) == 0
    peer.settimeout(5)
    assert peer.recv(100) == b"straight into the buffer"
    s.close()


def test_write_low_watermark(core: ModuleType, base: Any, sp: Any) -> None:
    ours, peer = sp
    sizes = []
    s = core.Stream(base, ours, on_write=lambda st, a: sizes.append(len(st.output)))
    s.set_watermarks(write_low=1 << 20)
    s.write(b"x" * BIG)
    peer.setblocking(False)

    def step() -> bool:
        with contextlib.suppress(BlockingIOError):
            peer.recv(1 << 16)
        return bool(sizes)

    run_until(base, step)
    assert 0 <= sizes[0] <= 1 << 20
    s.abort()


def test_eof_after_data_reaches_on_read_first(core: ModuleType, base: Any, sp: Any) -> None:
    ours, peer = sp
    ev = Events()
    s = core.Stream(base, ours, **ev.kwargs())
    peer.sendall(b"last words")
    peer.shutdown(socket.SHUT_WR)
    run_until(base, lambda: ev.events)
    run_for(base, 0.05)
    assert bytes(ev.data) == b"last words"
    assert ev.log[0] == "read" and ev.log[-1] == ("event", BEV_EOF | BEV_READING)
    assert ev.events == [BEV_EOF | BEV_READING]  # once
    assert s.error is None
    s.write(b"reply after eof")  # the write side still works
    assert peer.recv(100) == b"reply after eof"
    s.close()
    assert recv_until_eof(peer) == b""


def test_eof_reports_bytes_below_read_low(core: ModuleType, base: Any, sp: Any) -> None:
    ours, peer = sp
    ev = Events()
    s = core.Stream(base, ours, **ev.kwargs())
    s.set_watermarks(read_low=100)
    peer.sendall(b"short")
    run_for(base, 0.05)
    assert ev.reads == 0 and len(s.input) == 5
    peer.shutdown(socket.SHUT_WR)
    run_until(base, lambda: ev.events)
    assert ev.log == ["read", ("event", BEV_EOF | BEV_READING)]
    assert bytes(ev.data) == b"short"
    s.close()


def test_without_on_event_eof_closes_the_stream(core: ModuleType, base: Any, sp: Any) -> None:
    ours, peer = sp
    s = core.Stream(base, ours, on_read=lambda st, a: st.write(st.input.read()))
    peer.sendall(b"bye")
    peer.shutdown(socket.SHUT_WR)
    run_until(base, lambda: s.closed)
    assert ours.fileno() == -1
    assert recv_until_eof(peer) == b"bye"  # the echo was flushed before the close


def test_read_low_and_high_watermarks(core: ModuleType, base: Any, sp: Any) -> None:
    ours, peer = sp
    lengths = []
    s = core.Stream(base, ours, on_read=lambda st, a: lengths.append(len(st.input)))
    s.set_watermarks(read_low=10, read_high=1000)
    peer.sendall(b"123")
    run_for(base, 0.05)
    assert lengths == []
    peer.sendall(b"4567890")
    run_until(base, lambda: lengths)
    assert lengths == [10]
    peer.sendall(b"z" * 100000)
    run_for(base, 0.1)
    assert len(s.input) == 1000  # reading stopped at read_high
    assert max(lengths) <= 1000
    assert len(s.input.read(500)) == 500  # drains below read_high: reading resumes
    run_until(base, lambda: len(s.input) == 1000)
    taken = 500 + len(s.input.read())
    while taken < 100010:
        run_until(base, lambda: len(s.input) > 0)
        assert len(s.input) <= 1000
        taken += len(s.input.read())
    assert taken == 100010
    s.close()


@pytest.mark.parametrize(
    ("kwargs", "exc"),
    [
        ({"read_low": -1}, ValueError),
        ({"read_high": -5}, ValueError),
        ({"write_low": -1}, ValueError),
        ({"read_low": 1.5}, TypeError),
        ({"read_high": "1"}, TypeError),
        ({"read_low": 10, "read_high": 5}, ValueError),
    ],
)
def test_bad_watermarks(
    core: ModuleType, base: Any, sp: Any, kwargs: dict[str, Any], exc: type
) -> None:
    s = core.Stream(base, sp[0])
    with pytest.raises(exc):
        s.set_watermarks(**kwargs)
    s.abort()


@pytest.mark.parametrize("name", ["read_low", "read_high", "write_low"])
def test_sizes_past_sys_maxsize_are_a_value_error(
    core: ModuleType, base: Any, sp: Any, name: str
) -> None:
    # More than any buffer can hold: a ValueError on both cores (the compiled one said
    # OverflowError, the pure one took it), naming the limit.
    s = core.Stream(base, sp[0])
    with pytest.raises(ValueError, match=rf"{name} must be at most sys.maxsize"):
        s.set_watermarks(**{name: 2**70})
    with pytest.raises(ValueError, match=rf"{name} must be at most sys.maxsize"):
        s.set_watermarks(**{name: sys.maxsize + 1})
    s.set_watermarks(**{name: sys.maxsize})  # the largest size there is
    s.set_timeouts(read=2**70, write=10**400)  # seconds: past any clock, no timeout
    with pytest.raises(ValueError, match="events must combine"):
        s.enable(2**70)
    s.abort()


def test_read_timeout_disables_reading(core: ModuleType, base: Any, sp: Any) -> None:
    ours, peer = sp
    ev = Events()
    s = core.Stream(base, ours, **ev.kwargs())
    t0 = time.monotonic()
    s.set_timeouts(read=0.15)
    run_until(base, lambda: ev.events)
    assert time.monotonic() - t0 >= 0.15
    assert ev.events == [BEV_TIMEOUT | BEV_READING]
    assert not s.enabled & EV_READ
    peer.sendall(b"late")
    run_for(base, 0.05)
    assert ev.reads == 0  # reading stays off until enable()
    s.enable(EV_READ)
    run_until(base, lambda: ev.data)
    assert bytes(ev.data) == b"late"
    s.close()


def test_read_timeout_restarts_with_progress(core: ModuleType, base: Any, sp: Any) -> None:
    ours, peer = sp
    ev = Events()
    s = core.Stream(base, ours, **ev.kwargs())
    s.set_timeouts(read=0.3)
    for _ in range(4):
        run_for(base, 0.15)
        peer.sendall(b".")
    assert ev.events == []  # 0.6 s in all, never 0.3 s without a byte
    s.close()


def test_write_timeout_only_while_output_pending(core: ModuleType, base: Any, sp: Any) -> None:
    ours, _peer = sp
    ev = Events()
    s = core.Stream(base, ours, **ev.kwargs())
    s.set_timeouts(write=0.1)
    run_for(base, 0.25)
    assert ev.events == []  # nothing pending: nothing to time out
    t0 = time.monotonic()
    s.write(b"x" * BIG)  # the peer never reads
    run_until(base, lambda: ev.events)
    assert time.monotonic() - t0 >= 0.1
    assert ev.events == [BEV_TIMEOUT | BEV_WRITING]
    assert not s.enabled & EV_WRITE
    s.abort()


def test_write_timeout_restarts_with_progress(core: ModuleType, base: Any, sp: Any) -> None:
    ours, peer = sp
    ev = Events()
    s = core.Stream(base, ours, **ev.kwargs())
    s.set_timeouts(write=0.3)
    s.write(b"w" * BIG)
    peer.setblocking(False)
    for _ in range(5):  # 0.75 s in all, but never 0.3 s without the peer taking some
        run_for(base, 0.15)
        drain(peer)  # room again: the stream's writer fires and sends (progress)
    assert ev.events == []
    assert len(s.output) > 0  # still pending: the timeout was running all along
    s.abort()


def test_half_close_both_ways_leaks_nothing(core: ModuleType, base: Any) -> None:
    before = open_fds()
    ours, peer = tcp_pair()
    ev = Events()
    s = core.Stream(base, ours, **ev.kwargs())
    peer.sendall(b"question")
    peer.shutdown(socket.SHUT_WR)  # the peer half-closes: we still answer
    run_until(base, lambda: ev.events)
    assert ev.events == [BEV_EOF | BEV_READING] and bytes(ev.data) == b"question"
    s.write(b"answer")
    s.close()
    assert recv_until_eof(peer) == b"answer"
    peer.close()
    run_for(base, 0.02)
    assert ev.events == [BEV_EOF | BEV_READING]
    assert open_fds() == before


@pytest.mark.parametrize(
    ("kwargs", "exc"),
    [({"read": -1}, ValueError), ({"write": math.nan}, ValueError), ({"read": "1"}, TypeError)],
)
def test_bad_timeouts(core: ModuleType, base: Any, sp: Any, kwargs: Any, exc: type) -> None:
    s = core.Stream(base, sp[0])
    with pytest.raises(exc):
        s.set_timeouts(**kwargs)
    s.set_timeouts(read=0, write=None)  # no timeout
    s.abort()


def test_enable_disable(core: ModuleType, base: Any, sp: Any) -> None:
    ours, peer = sp
    ev = Events()
    s = core.Stream(base, ours, **ev.kwargs())
    assert s.enabled == EV_READ | EV_WRITE
    s.disable(EV_READ)
    peer.sendall(b"wait")
    run_for(base, 0.05)
    assert ev.reads == 0
    s.enable(EV_READ)
    run_until(base, lambda: ev.data)
    s.disable(EV_WRITE)
    s.write(b"held")
    assert len(s.output) == 4
    run_for(base, 0.05)
    assert len(s.output) == 4
    s.enable(EV_WRITE)
    run_until(base, lambda: len(s.output) == 0)
    assert peer.recv(10) == b"held"
    for bad, exc in ((EV_READ | 0x100, ValueError), ("r", TypeError), (None, TypeError)):
        with pytest.raises(exc):
            s.enable(bad)
        with pytest.raises(exc):
            s.disable(bad)
    s.close()


def test_close_flushes_then_closes(core: ModuleType, base: Any, sp: Any) -> None:
    ours, peer = sp
    ev = Events()
    s = core.Stream(base, ours, **ev.kwargs())
    payload = b"y" * BIG
    s.write(payload)
    s.close()
    assert s.closed
    s.close()  # idempotent
    with pytest.raises(RuntimeError, match="closed"):
        s.write(b"more")
    with pytest.raises(RuntimeError, match="closed"):
        s.write_eof()
    received = bytearray()
    peer.setblocking(False)

    def flushed() -> bool:
        try:
            data = peer.recv(1 << 20)
        except BlockingIOError:
            return False
        received.extend(data)
        return not data

    run_until(base, flushed)
    assert received == payload
    assert ours.fileno() == -1
    assert ev.log == []  # no callback after close()


def test_close_discards_unread_input(core: ModuleType, base: Any, sp: Any) -> None:
    ours, peer = sp
    s = core.Stream(base, ours)
    peer.sendall(b"unread")
    run_until(base, lambda: len(s.input) == 6)
    s.close()
    assert len(s.input) == 0
    assert ours.fileno() == -1


def test_abort_drops_output(core: ModuleType, base: Any, sp: Any) -> None:
    ours, peer = sp
    ev = Events()
    s = core.Stream(base, ours, **ev.kwargs())
    s.write(b"z" * BIG)
    assert len(s.output) > 0
    s.abort()
    assert len(s.output) == 0 and ours.fileno() == -1
    s.abort()
    got = recv_until_eof(peer)
    assert len(got) < BIG
    run_for(base, 0.02)
    assert ev.log == []
    with pytest.raises(RuntimeError):
        s.write(b"x")


def test_write_eof_half_closes(core: ModuleType, base: Any, sp: Any) -> None:
    ours, peer = sp
    ev = Events()
    s = core.Stream(base, ours, **ev.kwargs())
    s.write(b"a" * BIG)
    s.write_eof()
    s.write_eof()  # a second call does nothing
    with pytest.raises(RuntimeError, match="write_eof"):
        s.write(b"b")
    got = bytearray()
    peer.setblocking(False)

    def at_eof() -> bool:
        try:
            data = peer.recv(1 << 20)
        except BlockingIOError:
            return False
        got.extend(data)
        return not data

    run_until(base, at_eof)
    assert len(got) == BIG
    peer.sendall(b"answer after your eof")
    run_until(base, lambda: ev.data)
    assert bytes(ev.data) == b"answer after your eof"
    s.close()


def test_peer_reset_mid_write_is_one_error(core: ModuleType, base: Any) -> None:
    before = open_fds()
    ours, peer = tcp_pair()
    ev = Events()
    s = core.Stream(base, ours, **ev.kwargs())
    s.write(b"r" * BIG)
    assert len(s.output) > 0
    peer.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    peer.close()  # linger 0: a reset
    run_until(base, lambda: ev.events)
    run_for(base, 0.05)
    assert len(ev.events) == 1
    assert ev.events[0] & BEV_ERROR and ev.events[0] & (BEV_READING | BEV_WRITING)
    assert isinstance(s.error, OSError)
    s.close()  # fine after an error
    assert open_fds() == before


def test_error_inside_write_is_reported_from_the_loop(core: ModuleType, base: Any) -> None:
    ours, peer = tcp_pair()
    ev = Events()
    s = core.Stream(base, ours, **ev.kwargs())
    s.disable(EV_READ)  # so the reset is met by write(), not by a read
    peer.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    peer.close()
    time.sleep(0.05)
    s.write(b"into the void")  # EPIPE/ECONNRESET here, reported later
    assert ev.events == []
    run_until(base, lambda: ev.events)
    assert ev.events == [BEV_ERROR | BEV_WRITING]
    assert isinstance(s.error, OSError)
    s.write(b"dropped")  # after an error: discarded, no exception
    s.close()


def test_callback_exception_propagates_and_stream_goes_on(
    core: ModuleType, base: Any, sp: Any
) -> None:
    ours, peer = sp
    calls = []

    def on_read(stream: Any, arg: Any) -> None:
        calls.append(stream.input.read())
        if len(calls) == 1:
            raise KeyError("boom")

    s = core.Stream(base, ours, on_read=on_read)
    peer.sendall(b"one")
    with pytest.raises(KeyError):
        run_until(base, lambda: False, timeout=2)
    peer.sendall(b"two")
    run_until(base, lambda: len(calls) == 2)
    assert calls == [b"one", b"two"]
    s.close()


def test_no_fd_leak_across_many_streams(core: ModuleType, base: Any) -> None:
    before = open_fds()
    for _ in range(50):
        a, b = socket.socketpair()
        s = core.Stream(base, a, on_read=lambda st, arg: st.write(st.input.read()))
        b.sendall(b"ping")
        run_until(base, lambda b=b: _ready(b))
        assert b.recv(10) == b"ping"
        b.close()
        run_until(base, lambda s=s: s.closed)  # EOF without on_event: closes itself
    gc.collect()
    assert open_fds() == before


@pytest.mark.parametrize(
    "make",
    [
        lambda: 42,
        lambda: "sock",
    ],
)
def test_bad_socket_type(core: ModuleType, base: Any, make: Any) -> None:
    with pytest.raises(TypeError, match="socket"):
        core.Stream(base, make())


def test_bad_sockets(core: ModuleType, base: Any) -> None:
    closed = socket.socket()
    closed.close()
    with pytest.raises(ValueError, match="closed"):
        core.Stream(base, closed)
    with socket.create_server(("127.0.0.1", 0)) as lsock:
        with pytest.raises(ValueError, match="listening"):
            core.Stream(base, lsock)
        assert lsock.getblocking()  # left as it was
    with (
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp,
        pytest.raises(ValueError, match="stream socket"),
    ):
        core.Stream(base, udp)
    base.dispatch()  # nothing was left attached: returns at once


def test_bad_arguments(core: ModuleType, base: Any, sp: Any) -> None:
    ours, _ = sp
    with pytest.raises(TypeError, match="base"):
        core.Stream(object(), ours)
    with pytest.raises(TypeError, match="on_read"):
        core.Stream(base, ours, on_read=5)
    with pytest.raises(TypeError, match="on_event"):
        core.Stream(base, ours, on_event="x")
    with pytest.raises(ValueError, match="priority"):
        core.Stream(base, ours, priority=99)
    with pytest.raises(TypeError, match="ssl"):
        core.Stream(base, ours, ssl=object())
    assert ours.getblocking()  # nothing changed
    base.dispatch()


def test_closed_base(core: ModuleType, sp: Any) -> None:
    b = core.EventBase()
    b.close()
    with pytest.raises(RuntimeError, match="closed"):
        core.Stream(b, sp[0])


def test_stream_is_one_class(core: ModuleType) -> None:
    # Composed, not inherited: TLS, connecting and the driver are objects a stream holds or
    # calls, never base classes.
    assert [c for c in core.Stream.__mro__ if c.__module__.startswith("fdevent")] == [core.Stream]


def test_stream_callbacks_called_from_python(core: ModuleType, backend: str, sp: Any) -> None:
    # The stream's events are run by the base in C (core/record.py's Handler); their
    # callbacks stay ordinary callables that do the same: debug mode's timed call runs them,
    # and so can a user holding the event.
    ours, peer = sp
    b = core.EventBase(backend=backend, debug=True)
    try:
        s = core.Stream(b, ours, on_read=lambda st, a: st.write(st.input.read()))
        peer.sendall(b"timed")
        run_until(b, lambda: _ready(peer))
        assert peer.recv(100) == b"timed"
        (rev,) = [ev for ev in b.events() if ev.arg is s]
        peer.sendall(b"by hand")
        time.sleep(0.05)
        rev.callback(rev.fd, EV_READ, s)  # what the base does for a readable socket
        assert peer.recv(100) == b"by hand"
        assert "stream reader" in repr(rev.callback)
    finally:
        b.close()


def test_assign_makes_a_stream_event_plain(core: ModuleType, base: Any, sp: Any) -> None:
    # assign() hands the event a callback of the caller's: the base must call that one.
    s = core.Stream(base, sp[0])
    (rev,) = base.events()
    s.disable(EV_READ)
    assert not rev.attached
    seen: list[int] = []
    rev.assign(base, sp[0], EV_READ, lambda fd, ev, arg: seen.append(ev))
    sp[1].sendall(b"x")
    rev.attach()
    run_until(base, lambda: seen)
    assert seen == [EV_READ]


def test_repr(core: ModuleType, base: Any, sp: Any) -> None:
    s = core.Stream(base, sp[0])
    assert repr(s).startswith(f"<Stream fd={sp[0].fileno()} open input=0 output=0")
    s.abort()
    assert "closed" in repr(s)
