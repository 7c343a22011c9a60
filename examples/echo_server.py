"""An echo server on streams, with back-pressure. Try: telnet localhost 1246

    python examples/echo_server.py [--port 1246] [--host 127.0.0.1]

and, in another terminal, ``python examples/echo_client.py`` (its client, which checks every
echo byte for byte), or ``telnet localhost 1246``. ``python -m fdevent`` runs this server and
that client together in one event base.

Every byte a client sends comes back. The stream does the buffering, partial writes,
EAGAIN, end of file and errors; this file only decides what to do with them:

- on_read: echo what came. If the client sends faster than it reads, the echo piles up in
  ``stream.output``: above HIGH_WATER the server stops reading from that client (TCP then
  slows the client down), so a client that never reads cannot make the server's memory grow
  without bound.
- on_write: runs when the output has drained to the write low watermark (LOW_WATER): start
  reading again.
- on_event: end of file or an error: close (``close()`` still flushes what is owed).
"""

from __future__ import annotations

import argparse
import contextlib
from typing import Any

import fdevent
from fdevent import BEV_EOF, EV_READ

#: Pending output above which a client is no longer read from, and below which it is again.
HIGH_WATER = 1 << 20
LOW_WATER = 1 << 18


def on_read(stream: fdevent.Stream, arg: Any) -> None:
    stream.write(stream.input.read())
    if len(stream.output) > HIGH_WATER:
        stream.disable(EV_READ)  # back-pressure: on_write turns reading on again


def on_write(stream: fdevent.Stream, arg: Any) -> None:
    stream.enable(EV_READ)  # the output has drained to LOW_WATER


def on_event(stream: fdevent.Stream, what: int, arg: Any) -> None:
    if what & BEV_EOF:
        stream.close()  # flushes the echo still owed, then closes
    else:
        stream.abort()  # an error or a timeout: nothing more can be sent


def on_accept(listener: fdevent.Listener, sock: Any, addr: Any, arg: Any) -> None:
    stream = fdevent.Stream(listener.base, sock, on_read, on_write, on_event)
    stream.set_watermarks(write_low=LOW_WATER)


def serve(base: fdevent.EventBase, host: str = "127.0.0.1", port: int = 1246) -> fdevent.Listener:
    """Start the echo server on ``base``; returns its Listener (``.address``, ``.close()``)."""
    return fdevent.Listener(base, on_accept, (host, port), backlog=1024)


def main() -> None:
    """Serve until Ctrl-C."""
    parser = argparse.ArgumentParser(description="fdevent echo server on streams")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1246, help="0 picks a free port")
    args = parser.parse_args()
    with fdevent.EventBase() as base:
        listener = serve(base, args.host, args.port)
        host, port = listener.address[:2]
        print(
            f"echo server on {host}:{port} (backend {base.backend}, core {fdevent.CORE}); "
            "Ctrl-C stops it",
            flush=True,
        )
        with contextlib.suppress(KeyboardInterrupt):
            base.dispatch()
        listener.close()


if __name__ == "__main__":
    main()
