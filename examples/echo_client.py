"""An echo client on streams: send messages, check that each comes back byte for byte.

    python examples/echo_client.py [--host 127.0.0.1] [--port 1246] [--clients 3] [--messages 10]

Run it against examples/echo_server.py (or ``python -m fdevent --serve``). It opens
``--clients`` connections with ``fdevent.connect()``, all in one base, and each sends its
``--messages`` messages one at a time: random bytes of assorted sizes, up to 64 KiB, the next
one as soon as the echo of the last has come back whole and unaltered. It prints one line per
client and exits 0 if every echo came back intact; a refused connection, an altered echo, the
server closing first or ``--timeout`` seconds without progress end that client with a message
on stderr, and the exit status is 1.

The stream does the rest: the connect (a host name is resolved in a worker thread), partial
writes (a 64 KiB message rarely goes out in one ``send()``), end of file and errors. Reading
stays on while a message is being sent, so a server that echoes as it reads never waits for
a client that waits for it.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Sequence
from typing import Any

import fdevent
from fdevent import BEV_CONNECTED, BEV_EOF, BEV_TIMEOUT

#: Message sizes each client cycles through, from an offset of its own: tiny ones, and ones
#: larger than a socket buffer takes at once.
SIZES = (1, 13, 100, 1000, 4096, 65536, 7, 32768, 2, 12345)


def messages(client: int, count: int) -> list[bytes]:
    """The ``count`` messages client number ``client`` sends; seeded, so every run is alike."""
    rng = random.Random(client)
    return [rng.randbytes(SIZES[(client + i) % len(SIZES)]) for i in range(count)]


class EchoClient:
    """One connection that sends ``messages`` one at a time and checks every echo.

    ``verified`` counts the messages that came back intact; ``failure`` says why the client
    stopped, None once every message has come back.
    """

    def __init__(
        self,
        base: fdevent.EventBase,
        address: tuple[str, int],
        messages: Sequence[bytes],
        timeout: float,
    ) -> None:
        self.messages = messages
        self.timeout = timeout
        self.verified = 0
        self.failure: str | None = "did not finish"
        self.received = bytearray()
        self.stream = fdevent.connect(
            base, address, self.on_read, on_event=self.on_event, timeout=timeout
        )

    def on_event(self, stream: fdevent.Stream, what: int, arg: Any) -> None:
        if what & BEV_CONNECTED:
            stream.set_timeouts(read=self.timeout)  # an echo that stalls this long: BEV_TIMEOUT
            self.send_next()
        elif what & BEV_EOF:
            self.finish(f"the server closed the connection during message {self.verified}")
        elif what & BEV_TIMEOUT:
            self.finish(f"no progress on message {self.verified} in {self.timeout} s")
        else:
            self.finish(f"{stream.error} (at message {self.verified})")

    def send_next(self) -> None:
        if self.verified == len(self.messages):
            self.finish(None)
        else:
            self.stream.write(self.messages[self.verified])

    def on_read(self, stream: fdevent.Stream, arg: Any) -> None:
        expected = self.messages[self.verified]
        self.received += stream.input.read()
        if len(self.received) < len(expected):
            return  # the rest of the echo is still coming
        if self.received != expected:
            self.finish(f"message {self.verified} ({len(expected)} bytes) came back altered")
            return
        self.received.clear()
        self.verified += 1
        self.send_next()

    def finish(self, failure: str | None) -> None:
        # After close() no callback of the stream runs again: this is the client's last word.
        self.failure = failure
        self.stream.close()


def main() -> int:
    """Run the clients; returns the exit status."""
    parser = argparse.ArgumentParser(description="fdevent echo client on streams")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1246)
    parser.add_argument("--clients", type=int, default=3, help="connections at once")
    parser.add_argument("--messages", type=int, default=10, help="messages per connection")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds without progress")
    args = parser.parse_args()
    with fdevent.EventBase() as base:
        address = (args.host, args.port)
        clients = [
            EchoClient(base, address, messages(n, args.messages), args.timeout)
            for n in range(args.clients)
        ]
        base.dispatch()  # returns once every client has closed its stream
    for n, client in enumerate(clients):
        if client.failure is None:
            size = sum(len(m) for m in client.messages)
            print(f"client {n}: {client.verified} messages, {size} bytes echoed intact")
        else:
            print(f"echo_client: client {n}: {client.failure}", file=sys.stderr)
    return 1 if any(client.failure for client in clients) else 0


if __name__ == "__main__":
    sys.exit(main())
