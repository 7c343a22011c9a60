"""A minimal HTTP/1.1 server: "Hello, world!" for every request, keep-alive. Try:

    python examples/http_hello.py [--port 8080]      # then: curl -v http://127.0.0.1:8080/

Enough HTTP for a load generator (wrk) or a browser, in a stream's on_read:

- a request is a head ending in a blank line (``\\r\\n\\r\\n``), then ``Content-Length``
  bytes of body (read and ignored); requests may be pipelined, each is answered in order;
- HTTP/1.1 keeps the connection open unless the request says ``Connection: close``;
  HTTP/1.0 closes it unless the request says ``Connection: keep-alive``. Every answer says
  which it is (``Connection: keep-alive`` or ``close``): an HTTP/1.0 client that asked for
  keep-alive (``ab -k``) keeps the connection only when the answer says so, and otherwise
  waits for the server to close it;
- a head longer than MAX_HEAD bytes, whether it came in one piece or several, or one that
  does not parse, is answered with an error and the connection closed (``close()`` flushes
  the answer first).
"""

from __future__ import annotations

import argparse
import contextlib
from typing import Any

import fdevent

#: The longest request head (request line and headers) answered; a longer one is refused,
#: so a client cannot make the server buffer an endless head.
MAX_HEAD = 8192
BODY = b"Hello, world!"
_OK = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n" % len(BODY)
KEEP = _OK + b"Connection: keep-alive\r\n\r\n" + BODY
CLOSE = _OK + b"Connection: close\r\n\r\n" + BODY
BAD = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\n"
    b"Connection: close\r\n\r\n"
)


def parse_head(head: bytes) -> tuple[bool, int] | None:
    """(keep the connection open?, body length) of a request head, or None if it is bad."""
    lines = head.split(b"\r\n")
    parts = lines[0].split()
    if len(parts) != 3 or not parts[2].startswith(b"HTTP/1."):
        return None
    connection: set[bytes] = set()  # the Connection header's options, e.g. {b"keep-alive"}
    length = 0
    for line in lines[1:]:
        name, sep, value = line.partition(b":")
        if not sep:
            continue
        name = name.strip().lower()
        if name == b"connection":
            connection.update(option.strip() for option in value.lower().split(b","))
        elif name == b"content-length":
            value = value.strip()
            if not value.isdigit():
                return None
            length = int(value)
    if parts[2] == b"HTTP/1.1":
        return b"close" not in connection, length
    return b"keep-alive" in connection, length


def on_read(stream: fdevent.Stream, arg: Any) -> None:
    inp = stream.input
    while True:
        end = inp.find(b"\r\n\r\n")
        # The head is what stands before the blank line; until that has come, it is all the
        # input but the last 3 bytes (which may begin the blank line).
        if end > MAX_HEAD or (end < 0 and len(inp) - 3 > MAX_HEAD):
            stream.write(TOO_LARGE)
            stream.close()
            return
        if end < 0:
            return  # the head is still coming
        parsed = parse_head(inp.peek(end))
        if parsed is None:
            stream.write(BAD)
            stream.close()
            return
        keep, length = parsed
        if len(inp) < end + 4 + length:
            return  # the body is still coming
        inp.drain(end + 4 + length)
        if not keep:
            stream.write(CLOSE)
            stream.close()
            return
        stream.write(KEEP)


def on_event(stream: fdevent.Stream, what: int, arg: Any) -> None:
    stream.close()


def on_accept(listener: fdevent.Listener, sock: Any, addr: Any, arg: Any) -> None:
    fdevent.Stream(listener.base, sock, on_read, on_event=on_event)


def main() -> None:
    """Serve until Ctrl-C (or --max-seconds)."""
    parser = argparse.ArgumentParser(description="fdevent HTTP hello server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080, help="0 picks a free port")
    parser.add_argument("--max-seconds", type=float, default=None, help="stop after this long")
    args = parser.parse_args()
    with fdevent.EventBase() as base:
        listener = fdevent.Listener(base, on_accept, (args.host, args.port), backlog=1024)
        host, port = listener.address[:2]
        print(
            f"http server on {host}:{port} (backend {base.backend}, core {fdevent.CORE})",
            flush=True,
        )
        if args.max_seconds is not None:
            base.loopexit(args.max_seconds)
        with contextlib.suppress(KeyboardInterrupt):
            base.dispatch()
        listener.close()


if __name__ == "__main__":
    main()
