"""The seed library's README echo server (port 1246), in Python, on raw events. Try:
telnet localhost 1246

    python examples/seed_echo.py [--port 1246]

The program of the seed's README (github.com/cheng-zhongliang/event) with its gaps closed.

Non-blocking throughout; reads until EAGAIN (16 at most per callback, to be fair to the other
clients); what send() does not take waits in a bytearray, flushed by a write event attached
only while there is something to flush (an idle socket is always writable: a write event left
attached would spin). EOF and errors close the connection. examples/echo_server.py is the
same server on streams, which do all of this (and back-pressure) for you.
"""

from __future__ import annotations

import argparse
import contextlib
import socket

import fdevent
from fdevent import EV_PERSIST, EV_READ, EV_WRITE


class Connection:
    """One client: a socket, a read event, and a write event for output the socket refused."""

    def __init__(self, base: fdevent.EventBase, sock: socket.socket) -> None:
        self.sock, self.pending, self.eof = sock, bytearray(), False
        self.reader = fdevent.Event(base, sock, EV_READ | EV_PERSIST, self.on_readable)
        self.writer = fdevent.Event(base, sock, EV_WRITE | EV_PERSIST, self.on_writable)
        self.reader.attach()

    def on_readable(self, fd: int, events: int, arg: object) -> None:
        for _ in range(16):  # then let the others run; level-triggered, it fires again
            try:
                data = self.sock.recv(65536)
            except BlockingIOError:
                break
            except OSError:  # ConnectionResetError and the like
                self.close()
                return
            if not data:  # end of file: echo what is still pending, then close
                self.eof = True
                self.reader.detach()
                break
            self.pending += data
        self.on_writable(fd, EV_WRITE, arg)

    def on_writable(self, fd: int, events: int, arg: object) -> None:
        try:
            while self.pending:
                del self.pending[: self.sock.send(self.pending)]
        except BlockingIOError:
            self.writer.attach()  # attaching an attached event changes nothing
            return
        except OSError:  # BrokenPipeError, ConnectionResetError
            self.close()
            return
        self.writer.detach()
        if self.eof:
            self.close()

    def close(self) -> None:
        self.reader.detach()  # detach before close(): the base never watches a dead fd
        self.writer.detach()
        self.sock.close()


def main() -> None:
    """Serve on 127.0.0.1, port --port (default 1246, 0 picks a free one), until Ctrl-C."""
    parser = argparse.ArgumentParser(description="fdevent echo server")
    parser.add_argument("--port", type=int, default=1246, help="0 picks a free port")
    port = parser.parse_args().port
    with socket.create_server(("127.0.0.1", port)) as listener, fdevent.EventBase() as base:
        listener.setblocking(False)

        def on_accept(fd: int, events: int, arg: object) -> None:
            while True:  # one wakeup may stand for many waiting connections
                try:
                    sock, _ = listener.accept()
                except BlockingIOError:
                    return
                except ConnectionAbortedError:  # that client gave up while waiting
                    continue
                sock.setblocking(False)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                Connection(base, sock)  # the base holds its attached events, they hold it

        fdevent.Event(base, listener, EV_READ | EV_PERSIST, on_accept).attach()
        port = listener.getsockname()[1]
        print(f"echo server on 127.0.0.1:{port} ({base.backend}); Ctrl-C stops it", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            base.dispatch()


if __name__ == "__main__":
    main()
