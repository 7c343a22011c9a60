"""A server that stops cleanly on SIGTERM or Ctrl-C: no new work, in-flight work finished, exit 0.

    python examples/graceful_shutdown.py [--port 0] [--grace 10]

The protocol is one request per connection: a client sends a line ``job NAME SECONDS`` and,
SECONDS later (a timer stands for slow work: a query, a computation), gets ``done NAME`` and the
connection closes. Try it with ``printf 'job a 3\\n' | nc 127.0.0.1 PORT`` and a ``kill -TERM``.

On the first SIGTERM or SIGINT (``fdevent.Signal`` events: the callbacks run in the loop like
any event, never inside the OS handler):

- the listening socket is dropped from the base with ``base.closing()`` and closed, so a new
  connection is refused at once instead of waiting in a backlog nobody will read;
- connections that have not sent a complete request yet are closed: they hold no work;
- jobs in flight go on; each answers when its timer fires;
- when the last one has answered, the signal events are detached, nothing is attached any
  more, and ``dispatch()`` returns by itself: exit status 0.

A second signal during the drain, or the ``--grace`` deadline, abandons what is left: exit 1.
"""

from __future__ import annotations

import argparse
import signal
import socket
import sys
import time

import fdevent
from fdevent import EV_PERSIST, EV_READ, EV_WRITE

#: The longest request line; a client that sends more without a newline is cut off.
_MAX_LINE = 1024
#: The longest job: a bound, so one client cannot hold a shutdown for ever.
_MAX_SECONDS = 60.0


class Server:
    """The listening socket, the open connections and the shutdown state."""

    def __init__(self, base: fdevent.EventBase, port: int, grace: float) -> None:
        self.base = base
        self.grace = grace
        self.started = time.monotonic()
        self.listener = socket.create_server(("127.0.0.1", port))
        self.listener.setblocking(False)
        self.accepter = fdevent.Event(base, self.listener, EV_READ | EV_PERSIST, self.on_accept)
        self.accepter.attach()
        self.connections: set[Connection] = set()
        self.served = 0
        self.abandoned = 0
        self.stopping = False
        stop_on = (signal.SIGTERM, signal.SIGINT)
        self.signals = [fdevent.Signal(base, signum, self.on_signal) for signum in stop_on]
        for sig in self.signals:
            sig.attach()
        self.deadline = fdevent.Timer(base, self.on_deadline)

    @property
    def port(self) -> int:
        return int(self.listener.getsockname()[1])

    def say(self, line: str) -> None:
        print(f"[{time.monotonic() - self.started:7.3f}s] {line}", flush=True)

    def in_flight(self) -> int:
        return sum(1 for c in self.connections if c.job is not None)

    def on_accept(self, fd: int, events: int, arg: object) -> None:
        while True:
            try:
                sock, _ = self.listener.accept()
            except BlockingIOError:
                return
            except ConnectionAbortedError:
                continue
            sock.setblocking(False)
            self.connections.add(Connection(self, sock))

    def on_signal(self, signum: int, events: int, arg: object) -> None:
        name = signal.Signals(signum).name
        if self.stopping:
            self.say(f"{name} again: abandoning {self.in_flight()} job(s)")
            self.abandon()
            return
        self.stopping = True
        # closing() before close(): the base forgets the fd while it is still open.
        self.base.closing(self.listener)
        self.listener.close()
        idle = [c for c in self.connections if c.job is None]
        for conn in idle:
            conn.close()
        self.say(
            f"{name}: stopped accepting; closed {len(idle)} idle connection(s); "
            f"{self.in_flight()} job(s) in flight"
        )
        self.deadline.attach(self.grace)
        self.maybe_finished()

    def on_deadline(self, fd: int, events: int, arg: object) -> None:
        self.say(f"grace period of {self.grace} s over: abandoning {self.in_flight()} job(s)")
        self.abandon()

    def abandon(self) -> None:
        for conn in list(self.connections):
            if conn.job is not None:
                self.abandoned += 1
            conn.close()
        self.maybe_finished()

    def forget(self, conn: Connection) -> None:
        self.connections.discard(conn)
        self.maybe_finished()

    def maybe_finished(self) -> None:
        """Once stopping and nothing is left, detach what keeps dispatch() running."""
        if self.stopping and not self.connections:
            for sig in self.signals:
                sig.detach()  # the handlers that were there before are back
            self.deadline.detach()


class Connection:
    """One client: read a request line, run its job (a timer), write the answer, close."""

    def __init__(self, server: Server, sock: socket.socket) -> None:
        self.server = server
        self.sock = sock
        self.buf = bytearray()
        self.out = b""
        self.job: str | None = None
        base = server.base
        self.reader = fdevent.Event(base, sock, EV_READ | EV_PERSIST, self.on_readable)
        self.writer = fdevent.Event(base, sock, EV_WRITE | EV_PERSIST, self.on_writable)
        self.timer = fdevent.Timer(base, self.on_job_done)
        self.reader.attach()

    def on_readable(self, fd: int, events: int, arg: object) -> None:
        try:
            data = self.sock.recv(4096)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self.close()  # the client left before asking for anything (or after)
            return
        self.buf += data
        line, newline, _ = self.buf.partition(b"\n")
        if not newline:
            if len(self.buf) > _MAX_LINE:
                self.answer(b"error: line too long\n")
            return
        self.reader.detach()  # one request per connection
        self.start(line.decode("ascii", "replace").split())

    def start(self, words: list[str]) -> None:
        try:
            verb, name, seconds_text = words
            seconds = float(seconds_text)
        except ValueError:
            self.answer(b"error: expected 'job NAME SECONDS'\n")
            return
        if verb != "job" or not 0 <= seconds <= _MAX_SECONDS:
            self.answer(f"error: expected 'job NAME SECONDS' (0..{_MAX_SECONDS:g})\n".encode())
            return
        self.job = name
        self.timer.attach(seconds)
        self.server.say(f"job {name} started ({seconds:g} s)")

    def on_job_done(self, fd: int, events: int, arg: object) -> None:
        self.server.say(f"job {self.job} done")
        self.server.served += 1
        self.answer(f"done {self.job}\n".encode())

    def answer(self, data: bytes) -> None:
        self.reader.detach()
        self.out = data
        self.on_writable(self.sock.fileno(), EV_WRITE, None)

    def on_writable(self, fd: int, events: int, arg: object) -> None:
        try:
            sent = self.sock.send(self.out)
        except BlockingIOError:
            sent = 0
        except OSError:
            self.close()
            return
        self.out = self.out[sent:]
        if self.out:
            self.writer.attach()
        else:
            self.job = None
            self.close()

    def close(self) -> None:
        self.reader.detach()
        self.writer.detach()
        self.timer.detach()
        self.sock.close()
        self.server.forget(self)


def main() -> int:
    """Serve until SIGTERM or SIGINT, then drain; returns the exit status."""
    parser = argparse.ArgumentParser(description="fdevent graceful shutdown example")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: a free one)")
    parser.add_argument(
        "--grace", type=float, default=10.0, help="seconds in-flight jobs get after the signal"
    )
    args = parser.parse_args()
    with fdevent.EventBase() as base:
        server = Server(base, args.port, args.grace)
        server.say(
            f"listening on 127.0.0.1:{server.port} (backend {base.backend}, core {fdevent.CORE});"
            " SIGTERM or Ctrl-C stops it gracefully"
        )
        base.dispatch()
    ok = server.abandoned == 0
    server.say(f"stopped: served {server.served}, abandoned {server.abandoned}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
