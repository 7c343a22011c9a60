"""A line-protocol client with connect(): send lines, print the lines that come back.

    python examples/line_client.py HOST PORT LINE... [--expect N] [--timeout 5]

Connects without blocking (a host name is resolved in a worker thread), writes every LINE
(each ending in ``\\n``) at once - what is written before the connection is up is sent as
soon as it is - and prints each line received, until it has received ``--expect`` lines
(default: one per LINE sent). Then it closes and exits 0. A refused connection, an error,
the server closing first, or ``--timeout`` seconds without progress: a message on stderr,
exit 1.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import fdevent
from fdevent import BEV_CONNECTED, BEV_EOF, BEV_TIMEOUT


class LineClient:
    """Counts the lines received and remembers why it stopped."""

    def __init__(self, expect: int) -> None:
        self.expect = expect
        self.received: list[bytes] = []
        self.failure: str | None = None

    def on_read(self, stream: fdevent.Stream, arg: Any) -> None:
        while len(self.received) < self.expect and (line := stream.input.readline()):
            self.received.append(line)
            print(line.decode(errors="replace").rstrip("\n"), flush=True)
        if len(self.received) >= self.expect:
            stream.close()

    def on_event(self, stream: fdevent.Stream, what: int, arg: Any) -> None:
        if what & BEV_CONNECTED:
            return
        if what & BEV_EOF:
            self.failure = f"the server closed the connection after {len(self.received)} lines"
        elif what & BEV_TIMEOUT:
            self.failure = "timed out"
        else:
            self.failure = f"error: {stream.error}"
        stream.close()


def main() -> int:
    """Run the client; returns the exit status."""
    parser = argparse.ArgumentParser(description="send lines, print the replies")
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("lines", nargs="+")
    parser.add_argument("--expect", type=int, default=None, help="lines to wait for")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds without progress")
    args = parser.parse_args()
    client = LineClient(len(args.lines) if args.expect is None else args.expect)
    with fdevent.EventBase() as base:
        stream = fdevent.connect(
            base,
            (args.host, args.port),
            client.on_read,
            on_event=client.on_event,
            timeout=args.timeout,
        )
        stream.set_timeouts(read=args.timeout)
        for line in args.lines:
            stream.write(line.encode() + b"\n")
        base.dispatch()
    if client.failure:
        print(f"line_client: {client.failure}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
