"""A short soak: 200 connections exchange random-sized messages (1 B to 256 KiB) for about 3 s
through a stream echo server in the same base; every byte is verified, nothing may be lost,
no fd may leak. benchmarks/soak.py is the long version (2,000 connections, 60 s, RSS)."""

from __future__ import annotations

import os
import random
import time
from types import ModuleType
from typing import Any

from support.sockets import open_fds
from support.streams import run_until

from fdevent import BEV_CONNECTED, BEV_EOF

CONNS = 200
SECONDS = 3.0
MAX_SIZE = 256 << 10


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
    def __init__(self, core: ModuleType, base: Any) -> None:
        self.core = core
        self.base = base
        self.pool = os.urandom(2 * MAX_SIZE)
        self.errors: list[str] = []
        self.messages = 0
        self.bytes = 0
        self.done = 0
        self.server_eofs = 0
        self.listener = core.Listener(base, self.on_accept, ("127.0.0.1", 0), backlog=1024)
        self.address = self.listener.address
        self.deadline = time.monotonic() + SECONDS

    def on_accept(self, listener: Any, sock: Any, addr: Any, arg: Any) -> None:
        self.core.Stream(self.base, sock, self.echo, on_event=self.server_event)

    def echo(self, stream: Any, arg: Any) -> None:
        stream.write(stream.input.read())

    def server_event(self, stream: Any, what: int, arg: Any) -> None:
        if what != BEV_EOF | 0x01:
            self.errors.append(f"server event {what:#x}: {stream.error}")
        self.server_eofs += 1
        stream.close()


def test_soak(core: ModuleType, base: Any) -> None:
    before = open_fds()
    soak = Soak(core, base)
    clients = [Client(soak, n) for n in range(CONNS)]
    run_until(base, lambda: soak.done == CONNS and soak.server_eofs == CONNS, timeout=60)
    soak.listener.close()
    assert soak.errors == []
    assert soak.messages >= CONNS  # every client completed at least one exchange
    assert soak.bytes > 0
    del clients
    assert open_fds() == before
