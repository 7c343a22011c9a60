"""``python -m fdevent``: a demo that runs an echo server and drives it with clients.

Run without arguments, it starts :class:`EchoServer` (a Listener whose Streams echo) on
127.0.0.1 (an ephemeral port unless ``--port``), connects a few :class:`EchoClient` s to it
with ``fdevent.connect()``, all in the same base, and lets them exchange messages of assorted
sizes -- one of 64 KiB, so that partial writes really happen. A ``Ticker`` prints progress.
At the end it prints a summary and exits 0 if every echo came back byte for byte, 1
otherwise; Ctrl-C stops it early with the summary so far and ``result: INTERRUPTED`` (exit 0,
unless an echo already came back wrong). ``--serve`` keeps the server running until Ctrl-C
instead, so you can ``telnet localhost 1246``.

The server and client live in ``fdevent._echo``; examples/echo_server.py is the server on
its own, examples/seed_echo.py the same on raw events.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence

import fdevent

from ._echo import (
    _BUFSIZE,
    EchoClient,
    EchoServer,
    demo_messages,
)

__all__ = ["EchoClient", "EchoServer", "demo_messages", "main"]


def _listen(make: Callable[[], EchoServer], host: str, port: int) -> EchoServer | None:
    """``make()``, or None after one clear line on stderr if the address cannot be bound."""
    try:
        return make()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        print(f"python -m fdevent: cannot listen on {host}:{port}: {reason}", file=sys.stderr)
        return None


def _run_demo(args: argparse.Namespace) -> int:
    started = time.monotonic()

    def say(line: str) -> None:
        print(f"[{time.monotonic() - started:6.3f}s] {line}", flush=True)

    with fdevent.EventBase(backend=args.backend) as base:
        clients: list[EchoClient] = []
        ticks = 0
        timed_out = False

        def finished() -> bool:
            return all(c.done for c in clients) and server.active == 0

        def stop_when_finished(_: object) -> None:
            # Once every client is done and the server has seen every EOF, detach what is left:
            # dispatch() then returns by itself, as nothing is attached any more.
            if finished():
                server.close()
                ticker.detach()
                watchdog.detach()

        def on_tick(fd: int, events: int, arg: object) -> None:
            nonlocal ticks
            ticks += 1
            done = sum(c.verified for c in clients)
            say(f"tick {ticks}: {done}/{total} messages verified, {server.active} connected")

        def on_watchdog(fd: int, events: int, arg: object) -> None:
            nonlocal timed_out
            timed_out = True
            say(f"gave up after {args.timeout} s")
            base.loopbreak()

        made = _listen(
            lambda: EchoServer(
                base, args.host, args.port or 0, bufsize=_BUFSIZE, on_close=stop_when_finished
            ),
            args.host,
            args.port or 0,
        )
        if made is None:
            return 1
        server = made
        host, port = server.address
        for n in range(args.clients):
            client = EchoClient(
                base,
                (host, port),
                demo_messages(n, args.messages),
                pause=args.pause,
                bufsize=_BUFSIZE,
                on_done=stop_when_finished,
            )
            clients.append(client)
        total = sum(len(c.messages) for c in clients)
        expected_bytes = sum(len(m) for c in clients for m in c.messages)
        ticker = fdevent.Ticker(base, on_tick)
        watchdog = fdevent.Timer(base, on_watchdog)
        # Ctrl-C from the first line on (a test sends SIGINT once it has read it) ends the demo
        # with its summary, not a traceback.
        interrupted = False
        try:
            say(
                f"echo server on {host}:{port} (backend {base.backend}, core {fdevent.CORE}); "
                f"{len(clients)} clients x {args.messages} messages, {expected_bytes} bytes"
            )
            ticker.attach(args.tick)
            watchdog.attach(args.timeout)
            for client in clients:
                client.start()
            if not clients:
                stop_when_finished(None)
            base.dispatch()
        except KeyboardInterrupt:
            interrupted = True
            say("interrupted (Ctrl-C)")
        # What went wrong before Ctrl-C; closing the unfinished clients below makes each of
        # them fail as "stopped after ...", which is no fault when the user stopped the demo.
        failed_before = [f"client {n}: {c.failure}" for n, c in enumerate(clients) if c.failure]
        for client in clients:
            client.close()
        server.close()
        backend = base.backend
    elapsed = time.monotonic() - started

    verified = sum(c.verified for c in clients)
    bytes_verified = sum(c.bytes_verified for c in clients)
    if interrupted:
        failures = failed_before
    else:
        failures = [f"client {n}: {c.failure}" for n, c in enumerate(clients) if c.failure]
    ok = not failures and not timed_out and verified == total and bytes_verified == expected_bytes
    print("summary:")
    print(f"  backend: {backend}")
    print(f"  core: {fdevent.CORE}")
    print(f"  clients: {len(clients)}")
    print(f"  connections: {server.connections}")
    print(f"  messages: {verified}/{total}")
    print(f"  bytes expected: {expected_bytes}")
    print(f"  bytes echoed: {server.bytes_echoed}")
    print(f"  bytes verified: {bytes_verified}")
    print(
        f"  deferred writes: server {server.deferred_writes}, clients "
        f"{sum(c.deferred_writes for c in clients)}"
    )
    print(f"  timer ticks: {ticks}")
    print(f"  elapsed: {elapsed:.3f} s")
    if interrupted:
        print("  interrupted: yes")
    for line in failures:
        print(f"  FAILED {line}")
    # Stopped by the user before the end, with no wrong echo so far: not a failure.
    if interrupted and not failures:
        print("result: INTERRUPTED", flush=True)
        return 0
    print("result: OK" if ok else "result: FAILED", flush=True)
    return 0 if ok else 1


def _run_server(args: argparse.Namespace) -> int:
    port = 1246 if args.port is None else args.port
    with fdevent.EventBase(backend=args.backend) as base:
        made = _listen(
            lambda: EchoServer(base, args.host, port, log=lambda line: print(line, flush=True)),
            args.host,
            port,
        )
        if made is None:
            return 1
        server = made
        host, port = server.address
        try:
            print(
                f"echo server on {host}:{port} (backend {base.backend}, core {fdevent.CORE}); "
                f"try: telnet {host} {port}; Ctrl-C stops it",
                flush=True,
            )
            base.dispatch()
        except KeyboardInterrupt:
            pass
        finally:
            server.close()
    print(f"stopped: {server.connections} connections, {server.bytes_echoed} bytes echoed")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m fdevent",
        description="Run an fdevent echo server and drive it with fdevent clients.",
    )
    parser.add_argument(
        "--serve", action="store_true", help="only run the echo server, until Ctrl-C (telnet to it)"
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default %(default)s)")
    parser.add_argument(
        "--port",
        type=int,
        default=None,
        help="port to bind (default: a free one; 1246 with --serve)",
    )
    parser.add_argument(
        "--backend",
        default=None,
        help=f"polling mechanism, one of {', '.join(fdevent.supported_backends())}",
    )
    parser.add_argument("--clients", type=int, default=5, help="demo clients (default 5)")
    parser.add_argument("--messages", type=int, default=20, help="messages per client (default 20)")
    parser.add_argument(
        "--pause",
        type=float,
        default=0.03,
        help="seconds a client waits between messages (default 0.03)",
    )
    parser.add_argument(
        "--tick", type=float, default=0.2, help="seconds between progress lines (default 0.2)"
    )
    parser.add_argument(
        "--timeout", type=float, default=30.0, help="give up after this many seconds (default 30)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo (or, with ``--serve``, the server alone); returns the exit status."""
    args = _parser().parse_args(argv)
    backends = fdevent.supported_backends()
    if args.backend is not None and args.backend not in backends:
        _parser().error(f"no backend {args.backend!r} here; choose from {', '.join(backends)}")
    if args.clients < 0 or args.messages < 0:
        _parser().error("--clients and --messages must be >= 0")
    return _run_server(args) if args.serve else _run_demo(args)


if __name__ == "__main__":
    sys.exit(main())
