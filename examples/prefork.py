"""A pre-forking server: one listening socket, N worker processes, a parent that supervises them.

    python examples/prefork.py [--workers 3] [--port 0] [--busy 0]

The parent binds the listening socket, then forks the workers; each worker inherits the
socket and serves it with its own base (the kernel hands each connection to one of the workers
waiting in accept()). A connection gets the line ``pid PID`` and is closed; ``--busy S`` makes a
worker stop accepting for S seconds after each connection, as a worker busy with a request
would, so the others get their share.

The parent runs its own base, with three ``fdevent.Signal`` events:

- SIGCHLD: reap every worker that exited (``waitpid(-1, WNOHANG)`` until there is none: signals
  coalesce, one run may stand for several exits) and, unless shutting down, fork a new one;
- SIGTERM and SIGINT (Ctrl-C reaches the whole process group, so the workers ignore SIGINT
  and leave it to the parent): send SIGTERM to every worker, wait for them all, exit 0 (1 if
  some had to be killed after ``--grace`` seconds).

Workers are forked from inside the parent's SIGCHLD callback, with the parent's base and its
signal events inherited. The first thing a worker does is ``close()`` that base: fdevent makes
a base safe to touch after fork by itself, and nothing the child does to it (detaching every
event, restoring the signal handlers it had replaced) reaches the parent's registrations. A
worker stops on SIGTERM: it stops accepting and exits 0.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import sys
import time

import fdevent
from fdevent import EV_PERSIST, EV_READ

#: What stops a worker (SIGTERM) or is the parent's business alone (SIGINT).
_STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}


def worker(listener: socket.socket, busy: float) -> int:
    """A worker process's life: serve ``listener`` until SIGTERM; returns the exit status."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides what Ctrl-C means
    pid = os.getpid()
    with fdevent.EventBase() as base:

        def on_accept(fd: int, events: int, arg: object) -> None:
            try:
                conn, _ = listener.accept()
            except (BlockingIOError, ConnectionAbortedError):
                return  # another worker took it
            with conn:
                conn.setblocking(True)
                conn.settimeout(1.0)
                with contextlib.suppress(OSError):  # the client is gone: nothing to do
                    conn.sendall(f"pid {pid}\n".encode())
            if busy > 0:
                accepter.detach()
                resume.attach(busy)

        def on_resume(fd: int, events: int, arg: object) -> None:
            accepter.attach()

        def on_term(signum: int, events: int, arg: object) -> None:
            accepter.detach()
            resume.detach()
            term.detach()  # nothing is attached any more: dispatch() returns

        accepter = fdevent.Event(base, listener, EV_READ | EV_PERSIST, on_accept)
        resume = fdevent.Timer(base, on_resume)
        term = fdevent.Signal(base, signal.SIGTERM, on_term)
        accepter.attach()
        term.attach()
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)  # blocked by the parent
        base.dispatch()
    listener.close()
    return 0


class Supervisor:
    """The parent: forks the workers, replaces those that die, stops them all on request."""

    def __init__(self, base: fdevent.EventBase, listener: socket.socket, args: argparse.Namespace):
        self.base = base
        self.listener = listener
        self.n = args.workers
        self.busy = args.busy
        self.grace = args.grace
        self.started = time.monotonic()
        self.workers: set[int] = set()
        self.stopping = False
        self.killed = 0
        self.signals = [
            fdevent.Signal(base, signal.SIGCHLD, self.on_child),
            fdevent.Signal(base, signal.SIGTERM, self.on_stop),
            fdevent.Signal(base, signal.SIGINT, self.on_stop),
        ]
        for sig in self.signals:
            sig.attach()
        self.deadline = fdevent.Timer(base, self.on_deadline)

    def say(self, line: str) -> None:
        print(f"[{time.monotonic() - self.started:7.3f}s] {line}", flush=True)

    def spawn(self) -> None:
        # SIGTERM and SIGINT stay blocked across the fork until the worker has its own
        # handling: one that came in between would otherwise go to the inherited base (which
        # the worker closes) or kill the worker by the default action.
        signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
        pid = os.fork()
        if pid == 0:  # the worker: never returns into the parent's code
            code = 1
            try:
                self.base.close()  # the parent's base, as inherited: release it in this process
                code = worker(self.listener, self.busy)
            finally:
                os._exit(code)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
        self.workers.add(pid)
        self.say(f"worker started pid={pid}")

    def on_child(self, signum: int, events: int, arg: object) -> None:
        while self.workers:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            self.workers.discard(pid)
            how = _describe(status)
            if self.stopping:
                self.say(f"worker pid={pid} exited ({how})")
            else:
                self.say(f"worker pid={pid} exited ({how}); starting a new one")
                self.spawn()
        if self.stopping and not self.workers:
            self.say("all workers stopped")
            for sig in self.signals:
                sig.detach()
            self.deadline.detach()

    def on_stop(self, signum: int, events: int, arg: object) -> None:
        if self.stopping:
            return
        self.stopping = True
        self.say(f"{signal.Signals(signum).name}: stopping {len(self.workers)} worker(s)")
        for pid in self.workers:
            os.kill(pid, signal.SIGTERM)
        self.deadline.attach(self.grace)
        self.on_child(signal.SIGCHLD, 0, None)  # in case they were all gone already

    def on_deadline(self, fd: int, events: int, arg: object) -> None:
        for pid in self.workers:
            self.say(f"worker pid={pid} did not stop in {self.grace} s: killing it")
            os.kill(pid, signal.SIGKILL)
            self.killed += 1


def _describe(status: int) -> str:
    code = os.waitstatus_to_exitcode(status)
    return f"signal {signal.Signals(-code).name}" if code < 0 else f"status {code}"


def main() -> int:
    """Run the supervisor until SIGTERM or SIGINT; returns the exit status."""
    parser = argparse.ArgumentParser(description="fdevent pre-forking server")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: a free one)")
    parser.add_argument("--busy", type=float, default=0.0, help="seconds a worker pauses")
    parser.add_argument("--grace", type=float, default=5.0, help="seconds workers get to stop")
    args = parser.parse_args()
    if args.workers < 1 or args.busy < 0 or args.grace <= 0:
        parser.error("--workers must be >= 1, --busy >= 0, --grace > 0")
    listener = socket.create_server(("127.0.0.1", args.port), backlog=128)
    listener.setblocking(False)
    with fdevent.EventBase() as base:
        sup = Supervisor(base, listener, args)
        port = listener.getsockname()[1]
        sup.say(
            f"listening on 127.0.0.1:{port} with {args.workers} workers "
            f"(backend {base.backend}, core {fdevent.CORE})"
        )
        for _ in range(args.workers):
            sup.spawn()
        base.dispatch()
    listener.close()
    sup.say(f"exit: {sup.killed} worker(s) had to be killed")
    return 0 if sup.killed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
