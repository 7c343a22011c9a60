"""``python -m fdevent``: an echo server driven by a few clients in one event base.

The demo starts an echo server on 127.0.0.1 (a free port unless ``--port``) and connects
``--clients`` clients to it with ``fdevent.connect()``. Each client sends ``--messages``
messages of assorted sizes, one at a time, and checks every echo byte for byte. The kernel's
socket buffers are set small and one message is 64 KiB, so writes really go partial and the
streams' write events do work (the summary counts these "deferred writes"). A Ticker prints
progress, a Timer gives up after ``--timeout`` seconds. The exit status is 0 if every echo
came back intact, 1 otherwise; Ctrl-C ends the demo early with the summary so far and
``result: INTERRUPTED`` (exit 0, unless an echo already came back wrong). ``--serve`` runs
the server alone, on port 1246, until Ctrl-C: try ``telnet localhost 1246``.

Ctrl-C is a ``Signal`` event rather than a ``KeyboardInterrupt``: its callback runs in the
loop like any other and breaks it, so no exception lands in the middle of a call into the
base (on the pure core, one can leave the base's lock taken), and the summary is made from a
consistent state.

The server is examples/echo_server.py and the clients are examples/echo_client.py, written
again here in a few lines each, with counters for the summary. They are not imported from
examples/: an installed fdevent has no examples/ next to it, and this demo must run
wherever fdevent is installed, on nothing but its public API.
"""

from __future__ import annotations

import argparse
import random
import signal
import socket
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import fdevent
from fdevent import BEV_CONNECTED, BEV_EOF, BEV_TIMEOUT, EV_READ

#: Message sizes the clients cycle through; 65536 cannot pass a BUFSIZE buffer in one send().
SIZES = (1, 13, 100, 1000, 4096, 65536, 7, 32768, 2, 12345)
#: The kernel's send and receive buffers of every demo connection: small, for partial writes.
BUFSIZE = 8192
#: Echo pending above which the server stops reading a client, and below which it reads again.
HIGH_WATER, LOW_WATER = 1 << 20, 1 << 18
#: Seconds a client waits for its connection, or for an echo to progress, before it gives up.
TIMEOUT = 5.0

__all__ = ["main"]


def small_buffers(sock: socket.socket | None) -> None:
    """Give ``sock`` BUFSIZE kernel buffers (``None``: nothing to do)."""
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, BUFSIZE)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, BUFSIZE)


class Server:
    """examples/echo_server.py, counting connections, bytes echoed and deferred writes."""

    def __init__(self, base: fdevent.EventBase, host: str, port: int, small: bool) -> None:
        self.small = small  # small kernel buffers: only for the demo, they slow a real client
        self.connections = self.bytes_echoed = self.deferred_writes = 0
        self.streams: set[fdevent.Stream] = set()
        self.listener = fdevent.Listener(base, self.on_accept, (host, port), backlog=1024)

    def on_accept(self, listener: fdevent.Listener, sock: Any, addr: Any, arg: Any) -> None:
        if self.small:
            small_buffers(sock)
        stream = fdevent.Stream(listener.base, sock, self.on_read, self.on_write, self.on_event)
        stream.set_watermarks(write_low=LOW_WATER)
        self.streams.add(stream)
        self.connections += 1

    def on_read(self, stream: fdevent.Stream, arg: Any) -> None:
        data = stream.input.read()
        self.bytes_echoed += len(data)
        stream.write(data)
        if len(stream.output):  # the kernel did not take it all: the write event sends the rest
            self.deferred_writes += 1
            if len(stream.output) > HIGH_WATER:
                stream.disable(EV_READ)  # back-pressure: on_write reads again

    def on_write(self, stream: fdevent.Stream, arg: Any) -> None:
        stream.enable(EV_READ)

    def on_event(self, stream: fdevent.Stream, what: int, arg: Any) -> None:
        stream.close()  # at end of file this still flushes the echo owed
        self.streams.discard(stream)

    def close(self) -> None:
        """Stop listening and close every connection."""
        self.listener.close()
        for stream in list(self.streams):
            stream.close()


class Client:
    """examples/echo_client.py, pausing between messages and counting deferred writes."""

    def __init__(
        self,
        base: fdevent.EventBase,
        address: tuple[str, int],
        messages: Sequence[bytes],
        pause: float,
        on_done: Callable[[], None],
    ) -> None:
        self.messages, self.pause, self.on_done = messages, pause, on_done
        self.verified = self.deferred_writes = 0
        self.failure: str | None = None
        self.done = False
        self.received = bytearray()
        self.next = fdevent.Timer(base, lambda fd, events, arg: self.send_next())
        self.stream = fdevent.connect(
            base, address, self.on_read, self.on_write, self.on_event, timeout=TIMEOUT
        )

    def on_event(self, stream: fdevent.Stream, what: int, arg: Any) -> None:
        if what & BEV_CONNECTED:
            small_buffers(stream.socket)
            self.send_next()
        elif what & BEV_EOF:
            self.finish(f"the server closed the connection during message {self.verified}")
        elif what & BEV_TIMEOUT:
            self.finish(f"no progress on message {self.verified} in {TIMEOUT} s")
        else:
            self.finish(f"{stream.error} (at message {self.verified})")

    def send_next(self) -> None:
        if self.verified == len(self.messages):
            self.finish(None)
            return
        self.stream.set_timeouts(read=TIMEOUT)  # an echo is owed from now on
        self.stream.write(self.messages[self.verified])
        if len(self.stream.output):
            # Read the echo only once the whole message is out, as a request-response client
            # does: the server then has to hold the echo of a large message, and defers too.
            self.deferred_writes += 1
            self.stream.disable(EV_READ)

    def on_write(self, stream: fdevent.Stream, arg: Any) -> None:
        stream.enable(EV_READ)  # the message is all sent

    def on_read(self, stream: fdevent.Stream, arg: Any) -> None:
        expected = self.messages[self.verified]
        self.received += stream.input.read()
        if len(self.received) < len(expected):
            return
        if self.received != expected:
            self.finish(f"message {self.verified} ({len(expected)} bytes) came back altered")
            return
        self.received.clear()
        self.verified += 1
        stream.set_timeouts(read=None)  # nothing is owed during the pause
        self.next.attach(self.pause)

    def finish(self, failure: str | None) -> None:
        if not self.done:
            self.done, self.failure = True, failure
            self.next.detach()
            self.stream.close()
            self.on_done()


def messages(client: int, count: int) -> list[bytes]:
    """Client ``client``'s messages: sizes from SIZES (every one once in ten), seeded bytes."""
    rng = random.Random(client)
    return [rng.randbytes(SIZES[(client + i) % len(SIZES)]) for i in range(count)]


def listen(base: fdevent.EventBase, host: str, port: int, small: bool) -> Server | None:
    """The server, or None after one line on stderr if the address cannot be bound."""
    try:
        return Server(base, host, port, small)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        print(f"python -m fdevent: cannot listen on {host}:{port}: {reason}", file=sys.stderr)
        return None


def demo(args: argparse.Namespace) -> int:
    """Run the server and the clients in one base, print the summary; the exit status."""
    started = time.monotonic()

    def say(line: str) -> None:
        print(f"[{time.monotonic() - started:6.3f}s] {line}", flush=True)

    with fdevent.EventBase(backend=args.backend) as base:
        server = listen(base, args.host, args.port or 0, small=True)
        if server is None:
            return 1
        host, port = server.listener.address[:2]
        ticks, interrupted = 0, False

        def on_ctrl_c(signum: int, events: int, arg: Any) -> None:
            nonlocal interrupted
            interrupted = True
            say("interrupted (Ctrl-C)")
            base.loopbreak()

        def client_done() -> None:
            if all(c.done for c in clients):
                base.loopexit()  # the Ticker would keep dispatch() running

        def on_tick(fd: int, events: int, arg: Any) -> None:
            nonlocal ticks
            ticks += 1
            done = sum(c.verified for c in clients)
            say(f"tick {ticks}: {done}/{total} messages verified, {len(server.streams)} connected")

        def on_timeout(fd: int, events: int, arg: Any) -> None:
            say(f"gave up after {args.timeout} s")  # the clients not done count as failed
            base.loopbreak()

        sent = [messages(n, args.messages) for n in range(args.clients)]
        total = args.clients * args.messages
        expected = sum(len(m) for ms in sent for m in ms)
        clients = [Client(base, (host, port), ms, args.pause, client_done) for ms in sent]
        fdevent.Signal(base, signal.SIGINT, on_ctrl_c).attach()  # from the first line on
        say(
            f"echo server on {host}:{port} (backend {base.backend}, core {fdevent.CORE}); "
            f"{args.clients} clients x {args.messages} messages, {expected} bytes"
        )
        fdevent.Ticker(base, on_tick).attach(args.tick)
        fdevent.Timer(base, on_timeout).attach(args.timeout)
        if not clients:
            base.loopexit()
        base.dispatch()
        for client in clients:
            client.stream.close()
        server.close()

    failures = []
    for n, c in enumerate(clients):
        if c.failure:
            failures.append(f"client {n}: {c.failure}")
        elif not c.done and not interrupted:  # cut short by --timeout: a failure; by Ctrl-C, not
            failures.append(f"client {n}: stopped after {c.verified} of {len(c.messages)} messages")
    verified = sum(c.verified for c in clients)
    deferred = sum(c.deferred_writes for c in clients)
    summary = {
        "backend": base.backend,
        "core": fdevent.CORE,
        "clients": len(clients),
        "connections": server.connections,
        "messages": f"{verified}/{total}",
        "bytes expected": expected,
        "bytes echoed": server.bytes_echoed,
        "bytes verified": sum(len(m) for c in clients for m in c.messages[: c.verified]),
        "deferred writes": f"server {server.deferred_writes}, clients {deferred}",
        "timer ticks": ticks,
        "elapsed": f"{time.monotonic() - started:.3f} s",
    }
    print("summary:")
    for name, value in summary.items():
        print(f"  {name}: {value}")
    if interrupted:
        print("  interrupted: yes")
    for line in failures:
        print(f"  FAILED {line}")
    if interrupted and not failures:  # stopped by the user, no wrong echo so far: no failure
        print("result: INTERRUPTED", flush=True)
        return 0
    ok = not failures and verified == total
    print("result: OK" if ok else "result: FAILED", flush=True)
    return 0 if ok else 1


def serve(args: argparse.Namespace) -> int:
    """Run the server alone until Ctrl-C; the exit status."""
    port = 1246 if args.port is None else args.port
    with fdevent.EventBase(backend=args.backend) as base:
        server = listen(base, args.host, port, small=False)
        if server is None:
            return 1
        host, port = server.listener.address[:2]
        fdevent.Signal(base, signal.SIGINT, lambda signum, events, arg: base.loopbreak()).attach()
        print(
            f"echo server on {host}:{port} (backend {base.backend}, core {fdevent.CORE}); "
            f"try: telnet {host} {port}; Ctrl-C stops it",
            flush=True,
        )
        base.dispatch()
        server.close()
    print(f"stopped: {server.connections} connections, {server.bytes_echoed} bytes echoed")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo (or, with ``--serve``, the server alone); returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m fdevent",
        description="Run an fdevent echo server and drive it with fdevent clients.",
    )
    add = parser.add_argument
    add("--serve", action="store_true", help="only run the echo server, until Ctrl-C")
    add("--host", default="127.0.0.1", help="address to bind (default %(default)s)")
    add("--port", type=int, help="port to bind (default: a free one; 1246 with --serve)")
    backends = fdevent.supported_backends()
    add("--backend", help=f"polling mechanism, one of {', '.join(backends)}")
    add("--clients", type=int, default=5, help="demo clients (default %(default)s)")
    add("--messages", type=int, default=20, help="messages per client (default %(default)s)")
    add("--pause", type=float, default=0.03, help="seconds between messages (default 0.03)")
    add("--tick", type=float, default=0.2, help="seconds between progress lines (default 0.2)")
    add("--timeout", type=float, default=30.0, help="give up after this long (default 30 s)")
    args = parser.parse_args(argv)
    if args.backend is not None and args.backend not in backends:
        parser.error(f"no backend {args.backend!r} here; choose from {', '.join(backends)}")
    if args.clients < 0 or args.messages < 0:
        parser.error("--clients and --messages must be >= 0")
    return serve(args) if args.serve else demo(args)


if __name__ == "__main__":
    sys.exit(main())
