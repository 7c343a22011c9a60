"""``fdevent.aio``'s socket transport: the stdlib's class with compiled read and write paths,
behaving as the stdlib's does at every edge the fast paths skip (checked on the stock loop too).
"""

from __future__ import annotations

import asyncio
import socket
from types import ModuleType
from typing import Any

import pytest

LATE = 5.0


@pytest.fixture
def loop(aio_or_stock_loop: Any) -> Any:
    """An fdevent.aio loop (each core, each backend), or the stock loop."""
    return aio_or_stock_loop


class Collect(asyncio.Protocol):
    """Records what arrives, flow-control calls, and the end."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.paused = 0
        self.resumed = 0
        self.lost: asyncio.Future[BaseException | None] = asyncio.get_running_loop().create_future()
        self.transport: Any = None

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.data += data

    def pause_writing(self) -> None:
        self.paused += 1

    def resume_writing(self) -> None:
        self.resumed += 1

    def connection_lost(self, exc: BaseException | None) -> None:
        if not self.lost.done():
            self.lost.set_result(exc)


async def _pair(lp: Any) -> tuple[Collect, socket.socket]:
    a, b = socket.socketpair()
    b.setblocking(False)
    _, proto = await lp.connect_accepted_socket(Collect, a)
    return proto, b


def test_transport_is_asyncios_and_echoes(loop: Any, core: ModuleType) -> None:
    async def main() -> None:
        proto, peer = await _pair(loop)
        tr = proto.transport
        assert isinstance(tr, asyncio.Transport)
        if hasattr(loop, "base"):  # fdevent.aio: its own subclass
            assert type(tr).__module__ == f"{core.__name__}.aio.transports"
        tr.write(b"abc")
        tr.write(bytearray(b"def"))  # not bytes: the stdlib's path
        tr.write(memoryview(b"ghi"))
        tr.writelines([b"jk", b"l"])
        await asyncio.sleep(0.01)
        assert peer.recv(100) == b"abcdefghijkl"
        await loop.sock_sendall(peer, b"back")
        for _ in range(100):
            if proto.data == b"back":
                break
            await asyncio.sleep(0.01)
        assert proto.data == b"back"
        peer.close()
        assert await asyncio.wait_for(proto.lost, LATE) is None  # EOF from the peer
        tr.close()

    loop.run_until_complete(main())


def test_partial_write_buffers_pauses_and_delivers_in_order(loop: Any) -> None:
    payload = bytes(range(256)) * 16384  # 4 MiB: more than the socket takes at once

    async def main() -> tuple[int, int, int, bytes]:
        proto, peer = await _pair(loop)
        tr = proto.transport
        tr.set_write_buffer_limits(high=64 * 1024)
        tr.write(payload)
        tr.write(b"tail")
        buffered = tr.get_write_buffer_size()
        got = bytearray()
        while len(got) < len(payload) + 4:
            got += await asyncio.wait_for(loop.sock_recv(peer, 1 << 20), LATE)
        await asyncio.sleep(0)
        paused, resumed = proto.paused, proto.resumed
        tr.close()
        peer.close()
        return buffered, paused, resumed, bytes(got)

    buffered, paused, resumed, got = loop.run_until_complete(main())
    assert buffered > 0
    assert (paused, resumed) == (1, 1)
    assert got == payload + b"tail"


def test_write_errors_as_stdlib(loop: Any) -> None:
    async def main() -> None:
        proto, peer = await _pair(loop)
        tr = proto.transport
        with pytest.raises(TypeError, match="bytes-like"):
            tr.write("text")
        tr.write(b"")  # nothing, no error
        tr.write_eof()
        with pytest.raises(RuntimeError, match="write_eof"):
            tr.write(b"after eof")
        assert peer.recv(10) == b""  # the EOF reached the peer
        tr.close()
        peer.close()

    loop.run_until_complete(main())


def test_write_after_connection_lost_is_counted_not_raised(loop: Any) -> None:
    async def main() -> None:
        proto, peer = await _pair(loop)
        tr = proto.transport
        peer.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        peer.close()  # a reset
        for _ in range(200):
            tr.write(b"x" * 1000)
            if tr.is_closing():
                break
            await asyncio.sleep(0.005)
        assert tr.is_closing()
        tr.write(b"more")  # after the fatal error: counted, not raised
        exc = await asyncio.wait_for(proto.lost, LATE)
        assert exc is None or isinstance(exc, OSError)

    loop.run_until_complete(main())


class IntoBuffer(asyncio.BufferedProtocol):
    """Receives into its own buffer; ``kind`` picks a good or a bad buffer."""

    def __init__(self, kind: str = "good") -> None:
        self.kind = kind
        self.storage = bytearray(16)
        self.got = bytearray()
        self.lost: asyncio.Future[BaseException | None] = asyncio.get_running_loop().create_future()

    def get_buffer(self, sizehint: int) -> Any:
        if self.kind == "empty":
            return bytearray()
        if self.kind == "readonly":
            return b"read-only bytes"
        return memoryview(self.storage)

    def buffer_updated(self, nbytes: int) -> None:
        self.got += self.storage[:nbytes]

    def eof_received(self) -> None:
        self.got += b"<eof>"

    def connection_lost(self, exc: BaseException | None) -> None:
        if not self.lost.done():
            self.lost.set_result(exc)


def test_buffered_protocol_reads_into_its_buffer(loop: Any) -> None:
    payload = bytes(range(256)) * 40  # more than the 16-byte buffer: many reads

    async def main() -> bytes:
        a, b = socket.socketpair()
        _, proto = await loop.connect_accepted_socket(IntoBuffer, a)
        b.sendall(payload)
        b.shutdown(socket.SHUT_WR)
        await asyncio.wait_for(proto.lost, LATE)
        b.close()
        return bytes(proto.got)

    assert loop.run_until_complete(main()) == payload + b"<eof>"


@pytest.mark.parametrize(
    ("kind", "exc_type"), [("empty", RuntimeError), ("readonly", (TypeError, BufferError))]
)
def test_buffered_protocol_bad_buffer_is_a_fatal_error(loop: Any, kind: str, exc_type: Any) -> None:
    async def main() -> tuple[BaseException | None, list[str]]:
        reports: list[str] = []
        loop.set_exception_handler(lambda _lp, ctx: reports.append(ctx["message"]))
        a, b = socket.socketpair()
        _, proto = await loop.connect_accepted_socket(lambda: IntoBuffer(kind), a)
        b.sendall(b"data")
        exc = await asyncio.wait_for(proto.lost, LATE)
        b.close()
        return exc, reports

    exc, reports = loop.run_until_complete(main())
    assert isinstance(exc, exc_type)
    assert len(reports) == 1 and reports[0].startswith("Fatal"), reports


def test_extra_info_as_stdlib(loop: Any) -> None:
    # fdevent.aio keeps socket/sockname/peername without the stdlib's dict: same answers.
    async def main() -> None:
        server = await loop.create_server(Collect, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        tr, _ = await loop.create_connection(Collect, "127.0.0.1", port)
        sock = tr.get_extra_info("socket")
        assert isinstance(sock, asyncio.trsock.TransportSocket)
        assert tr.get_extra_info("socket") is sock  # one object, as the stdlib's
        assert sock.fileno() == tr._sock.fileno()
        assert tr.get_extra_info("peername") == ("127.0.0.1", port)
        assert tr.get_extra_info("sockname") == sock.getsockname()
        assert tr.get_extra_info("nothing") is None
        assert tr.get_extra_info("nothing", 7) == 7
        tr.close()
        await asyncio.sleep(0.01)  # connection_lost: the stdlib drops the transport's socket
        assert tr.get_extra_info("peername") == ("127.0.0.1", port)
        assert tr.get_extra_info("socket") is sock
        assert sock.fileno() == -1
        # Asked first after the close, the socket is still there (closed), as the stdlib's.
        tr2, _ = await loop.create_connection(Collect, "127.0.0.1", port)
        tr2.close()
        await asyncio.sleep(0.01)
        assert tr2.get_extra_info("socket").fileno() == -1
        server.close()
        await server.wait_closed()
        # Extra info the caller gave beyond the standard keys is kept as given.
        a, b = socket.socketpair()
        a.setblocking(False)
        own = loop._make_socket_transport(a, Collect(), extra={"mine": 1})
        assert own.get_extra_info("mine") == 1
        assert own.get_extra_info("socket").fileno() == a.fileno()
        own.close()
        b.close()
        await asyncio.sleep(0)

    loop.run_until_complete(main())


def test_closed_transport_is_freed_without_the_collector(loop: Any) -> None:
    # No reference cycle through the transport's read path: once closed and dropped, it is
    # gone by reference counting alone (the stock loop's needs the cyclic collector).
    import gc
    import weakref

    async def main() -> weakref.ref[Any]:
        proto, peer = await _pair(loop)
        ref = weakref.ref(proto.transport)
        proto.transport.close()
        await asyncio.wait_for(proto.lost, LATE)
        peer.close()
        proto.transport = None
        return ref

    gc.disable()
    try:
        ref = loop.run_until_complete(main())
        loop.run_until_complete(asyncio.sleep(0))
        if hasattr(loop, "base"):
            assert ref() is None
    finally:
        gc.enable()


def test_set_protocol_switches_the_read_path(loop: Any) -> None:
    # From a Protocol to a BufferedProtocol and back, mid-connection: each gets its bytes.
    class Buffered(asyncio.BufferedProtocol):
        def __init__(self) -> None:
            self.buf = bytearray(16)
            self.got = bytearray()

        def get_buffer(self, sizehint: int) -> bytearray:
            return self.buf

        def buffer_updated(self, nbytes: int) -> None:
            self.got += self.buf[:nbytes]

    async def wait_for(cond: Any) -> None:
        for _ in range(200):
            if cond():
                return
            await asyncio.sleep(0.005)
        raise AssertionError("timed out")

    async def main() -> None:
        proto, peer = await _pair(loop)
        tr = proto.transport
        peer.send(b"one")
        await wait_for(lambda: proto.data == b"one")
        buffered = Buffered()
        tr.set_protocol(buffered)
        peer.send(b"two")
        await wait_for(lambda: buffered.got == b"two")
        tr.set_protocol(proto)
        peer.send(b"three")
        await wait_for(lambda: proto.data == b"onethree")
        assert buffered.got == b"two"
        tr.close()
        peer.close()
        await asyncio.sleep(0)

    loop.run_until_complete(main())


def test_debug_mode_times_readers_as_stdlib(loop: Any, caplog: Any) -> None:
    # A slow reader in debug mode is reported by the loop, as the stdlib's _run_once does.
    import logging
    import time

    a, b = socket.socketpair()
    hits: list[int] = []

    def slow() -> None:
        a.recv(10)
        hits.append(1)
        time.sleep(0.02)
        loop.remove_reader(a.fileno())
        loop.stop()

    loop.set_debug(True)
    loop.slow_callback_duration = 0.01
    try:
        loop.add_reader(a.fileno(), slow)
        b.send(b"x")
        with caplog.at_level(logging.WARNING, logger="asyncio"):
            loop.run_forever()
    finally:
        loop.set_debug(False)
        a.close()
        b.close()
    assert hits == [1]
    slow_msgs = [r.getMessage() for r in caplog.records if "took" in r.getMessage()]
    assert any("slow" in m for m in slow_msgs), slow_msgs
