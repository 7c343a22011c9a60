"""A short soak: 200 connections exchange random-sized messages (1 B to 256 KiB) for about 3 s
through an echo server in the same thread; every byte is verified, nothing may be lost, no fd
may leak. The server is an fdevent Stream server on the base, or an ``asyncio.Protocol`` echo
server on a ``fdevent.aio`` loop over that base (the clients, fdevent streams, share the loop).
benchmarks/soak.py is the long version (2,000 connections, 60 s, RSS flat after warm-up)."""

from __future__ import annotations

import asyncio
import importlib
import os
import random
import time
from collections.abc import Callable
from types import ModuleType
from typing import Any

from support.sockets import open_fds
from support.streams import run_until

from fdevent import BEV_CONNECTED, BEV_EOF

CONNS = 200
SECONDS = 3.0
MAX_SIZE = 256 << 10
#: Seconds the whole exchange may take before the test fails: generous, CI machines are slow.
TIMEOUT = 60.0


class Client:
    """Sends a message, waits for its whole echo, checks it, sends the next; until told to stop."""

    def __init__(self, soak: Soak, n: int) -> None:
        self.soak = soak
        self.rng = random.Random(n)
        self.expected = b""
        self.got = bytearray()
        self.stream = soak.core.connect(
            soak.base, soak.address, self.on_read, on_event=self.on_event, timeout=10
        )

    def send(self) -> None:
        size = min(MAX_SIZE, int(self.rng.paretovariate(0.7)))  # mostly small, some large
        start = self.rng.randrange(len(self.soak.pool) - size)
        self.expected = self.soak.pool[start : start + size]
        self.got.clear()
        self.stream.write(self.expected)

    def on_read(self, stream: Any, arg: Any) -> None:
        self.got += stream.input.read()
        if len(self.got) < len(self.expected):
            return
        if self.got != self.expected:
            self.soak.errors.append(f"corrupt echo of {len(self.expected)} bytes")
        self.soak.messages += 1
        self.soak.bytes += len(self.expected)
        if time.monotonic() < self.soak.deadline:
            self.send()
        else:
            stream.close()
            self.soak.done += 1

    def on_event(self, stream: Any, what: int, arg: Any) -> None:
        if what == BEV_CONNECTED:
            self.send()
            return
        self.soak.errors.append(f"client event {what:#x}: {stream.error}")
        stream.close()
        self.soak.done += 1


class Soak:
    """What the clients share and what they found; the server is the subclass's."""

    address: Any

    def __init__(self, core: ModuleType, base: Any) -> None:
        self.core = core
        self.base = base
        self.pool = os.urandom(2 * MAX_SIZE)
        self.errors: list[str] = []
        self.messages = 0
        self.bytes = 0
        self.done = 0
        self.server_eofs = 0
        self.deadline = 0.0

    def start(self) -> list[Client]:
        """Open every client; each exchanges until ``SECONDS`` from now, then closes."""
        self.deadline = time.monotonic() + SECONDS
        return [Client(self, n) for n in range(CONNS)]

    def finished(self) -> bool:
        return self.done == CONNS and self.server_eofs == CONNS

    def check(self) -> None:
        assert self.errors == []
        assert self.messages >= CONNS  # every client completed at least one exchange
        assert self.bytes > 0


class StreamSoak(Soak):
    """The server: a Listener whose accepted sockets are Streams that echo."""

    def __init__(self, core: ModuleType, base: Any) -> None:
        super().__init__(core, base)
        self.listener = core.Listener(base, self.on_accept, ("127.0.0.1", 0), backlog=1024)
        self.address = self.listener.address

    def on_accept(self, listener: Any, sock: Any, addr: Any, arg: Any) -> None:
        self.core.Stream(self.base, sock, self.echo, on_event=self.server_event)

    def echo(self, stream: Any, arg: Any) -> None:
        stream.write(stream.input.read())

    def server_event(self, stream: Any, what: int, arg: Any) -> None:
        if what != BEV_EOF | 0x01:
            self.errors.append(f"server event {what:#x}: {stream.error}")
        self.server_eofs += 1
        stream.close()


class EchoProtocol(asyncio.Protocol):
    """``data_received`` -> ``transport.write``: the echo server of issue 14's soak."""

    def __init__(self, soak: Soak) -> None:
        self.soak = soak
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        assert self.transport is not None
        self.transport.write(data)

    def connection_lost(self, exc: Exception | None) -> None:
        # A client's close is an EOF here: eof_received() returns None, so the transport
        # closes and reports no error; anything else is one.
        if exc is not None:
            self.soak.errors.append(f"server connection lost: {exc!r}")
        self.soak.server_eofs += 1
        self.transport = None


def run_loop_until(loop: asyncio.AbstractEventLoop, cond: Callable[[], bool]) -> None:
    """Run ``loop`` until ``cond()`` holds; AssertionError after ``TIMEOUT`` s."""

    async def wait() -> None:
        deadline = time.monotonic() + TIMEOUT
        while not cond():
            if time.monotonic() > deadline:
                raise AssertionError(f"condition not met within {TIMEOUT} s")
            await asyncio.sleep(0.01)

    loop.run_until_complete(wait())


def test_soak(core: ModuleType, base: Any) -> None:
    before = open_fds()
    soak = StreamSoak(core, base)
    clients = soak.start()
    run_until(base, soak.finished, timeout=TIMEOUT)
    soak.listener.close()
    soak.check()
    del clients
    assert open_fds() == before


def test_soak_asyncio_protocol_on_fdevent_aio(core: ModuleType, base: Any) -> None:
    before = open_fds()
    aio = importlib.import_module(f"{core.__name__}.aio")
    loop = aio.Loop(base)
    try:
        soak = Soak(core, base)
        server = loop.run_until_complete(
            loop.create_server(lambda: EchoProtocol(soak), "127.0.0.1", 0, backlog=1024)
        )
        soak.address = server.sockets[0].getsockname()
        clients = soak.start()
        run_loop_until(loop, soak.finished)
        server.close()
        loop.run_until_complete(server.wait_closed())
    finally:
        loop.close()
    soak.check()
    del clients
    assert open_fds() == before
