"""A TLS echo server and client on streams (ssl.MemoryBIO under the hood).

    python examples/tls_echo.py server --cert cert.pem --key key.pem [--port 1248]
    python examples/tls_echo.py client --ca ca.pem [--port 1248] [--server-hostname NAME] MSG...

The server: examples/echo_server.py with ``ssl=`` on each accepted stream (server side).
The client: connect() with ``ssl=`` a context that trusts ``--ca``; it sends each MSG as a
line, prints the lines echoed back, then closes (a close_notify, then the socket) and exits
0; on a handshake failure or any error it says why and exits 1. Make a test certificate
with ``python -m trustme`` (writes server.pem, server.key and client.pem here).
"""

from __future__ import annotations

import argparse
import contextlib
import ssl
import sys
from typing import Any

import fdevent
from fdevent import BEV_CONNECTED, BEV_EOF


def serve(base: fdevent.EventBase, ctx: ssl.SSLContext, host: str, port: int) -> Any:
    """Start the TLS echo server; returns its Listener."""

    def on_read(stream: fdevent.Stream, arg: Any) -> None:
        stream.write(stream.input.read())

    def on_event(stream: fdevent.Stream, what: int, arg: Any) -> None:
        if what & (BEV_EOF | fdevent.BEV_ERROR | fdevent.BEV_TIMEOUT):
            stream.close()

    def on_accept(listener: Any, sock: Any, addr: Any, arg: Any) -> None:
        stream = fdevent.Stream(base, sock, on_read, on_event=on_event, ssl=ctx, server_side=True)
        stream.set_timeouts(read=60)

    return fdevent.Listener(base, on_accept, (host, port))


def run_server(args: argparse.Namespace) -> int:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(args.cert, args.key)
    with fdevent.EventBase() as base:
        listener = serve(base, ctx, args.host, args.port)
        host, port = listener.address[:2]
        print(f"tls echo server on {host}:{port} (backend {base.backend})", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            base.dispatch()
        listener.close()
    return 0


def run_client(args: argparse.Namespace) -> int:
    ctx = ssl.create_default_context(cafile=args.ca)
    want = len(args.messages)
    got: list[str] = []
    failure: list[str] = []

    def on_read(stream: fdevent.Stream, arg: Any) -> None:
        while len(got) < want and (line := stream.input.readline()):
            got.append(line.decode().rstrip("\n"))
            print(got[-1], flush=True)
        if len(got) == want:
            stream.close()

    def on_event(stream: fdevent.Stream, what: int, arg: Any) -> None:
        if what & BEV_CONNECTED:
            print(f"connected: {stream.ssl_object.version()}", flush=True)
            return
        failure.append(f"event {what:#x}: {stream.error}")
        stream.close()

    with fdevent.EventBase() as base:
        stream = fdevent.connect(
            base,
            (args.host, args.port),
            on_read,
            on_event=on_event,
            ssl=ctx,
            server_hostname=args.server_hostname,
            timeout=10,
        )
        for message in args.messages:
            stream.write(message.encode() + b"\n")
        base.dispatch()
    if failure:
        print(f"tls_echo client: {failure[0]}", file=sys.stderr)
        return 1
    return 0


def main() -> int:
    """Run the server or the client; returns the exit status."""
    parser = argparse.ArgumentParser(description="TLS echo server and client on fdevent")
    sub = parser.add_subparsers(dest="mode", required=True)
    server = sub.add_parser("server")
    server.add_argument("--cert", required=True)
    server.add_argument("--key", required=True)
    client = sub.add_parser("client")
    client.add_argument("--ca", required=True)
    client.add_argument("--server-hostname", default="localhost")
    client.add_argument("messages", nargs="+")
    for p in (server, client):
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=int, default=1248)
    args = parser.parse_args()
    return run_server(args) if args.mode == "server" else run_client(args)


if __name__ == "__main__":
    sys.exit(main())
