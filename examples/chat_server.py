"""A chat server: every line a client sends goes to every other client. Try two telnets:

    python examples/chat_server.py [--port 1247]

Lines end with ``\\n``; each is sent on prefixed with its sender (``client 3: hello``). A
line longer than MAX_LINE closes that client. A client that does not read its share falls
behind; one whose pending output passes MAX_BEHIND is dropped rather than buffered without
bound (a chat server cannot slow every sender down for one slow reader).
"""

from __future__ import annotations

import argparse
import contextlib
from typing import Any

import fdevent

MAX_LINE = 4096
MAX_BEHIND = 1 << 20


class Chat:
    """The room: its clients by stream, and a number for each newcomer."""

    def __init__(self, base: fdevent.EventBase, host: str, port: int) -> None:
        self.base = base
        self.clients: dict[fdevent.Stream, str] = {}
        self.joined = 0
        self.listener = fdevent.Listener(base, self.on_accept, (host, port))

    def on_accept(self, listener: fdevent.Listener, sock: Any, addr: Any, arg: Any) -> None:
        self.joined += 1
        stream = fdevent.Stream(self.base, sock, self.on_read, on_event=self.on_event)
        self.clients[stream] = f"client {self.joined}"
        stream.write(f"welcome, you are {self.clients[stream]}\n".encode())

    def on_read(self, stream: fdevent.Stream, arg: Any) -> None:
        while True:
            try:
                line = stream.input.readline(limit=MAX_LINE)
            except ValueError:
                self.leave(stream)  # a line too long: not a chat client
                return
            if not line:
                return
            self.broadcast(stream, f"{self.clients[stream]}: ".encode() + line)

    def broadcast(self, sender: fdevent.Stream, message: bytes) -> None:
        for other in list(self.clients):
            if other is not sender:
                other.write(message)
                if len(other.output) > MAX_BEHIND:
                    self.leave(other)

    def on_event(self, stream: fdevent.Stream, what: int, arg: Any) -> None:
        self.leave(stream)  # end of file, error or timeout: the client is gone

    def leave(self, stream: fdevent.Stream) -> None:
        name = self.clients.pop(stream, None)
        stream.close()
        if name is not None:
            self.broadcast(stream, f"{name} left\n".encode())

    def close(self) -> None:
        """Stop listening and close every client."""
        self.listener.close()
        for stream in list(self.clients):
            stream.close()
        self.clients.clear()


def main() -> None:
    """Serve until Ctrl-C."""
    parser = argparse.ArgumentParser(description="fdevent chat server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1247, help="0 picks a free port")
    args = parser.parse_args()
    with fdevent.EventBase() as base:
        chat = Chat(base, args.host, args.port)
        host, port = chat.listener.address[:2]
        print(f"chat server on {host}:{port} (backend {base.backend}); Ctrl-C stops it", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            base.dispatch()
        chat.close()


if __name__ == "__main__":
    main()
