"""TCP echo server on fdevent's raw callbacks (the pure or compiled core, whichever
`import fdevent` loads; FDEVENT_PURE=1 forces the pure one).

The listening socket and every connection have an Event(..., EV_READ | EV_PERSIST, cb).
Each read readiness does one recv_into a shared 64 KiB buffer and sends it straight back;
what the socket does not take is copied out, kept and flushed by a persistent EV_WRITE event,
with the read
event detached meanwhile (back-pressure).  Non-blocking sockets, TCP_NODELAY.

Listens on 127.0.0.1:PORT (0 = ephemeral), prints "READY <port>" on stdout, and stops
by itself after --max-seconds (base.loopexit(max_seconds); the harness normally kills
it first).
"""

import argparse
import socket
import sys

import bench_common as bc

BUFSZ = 65536


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--max-seconds", type=float, default=300.0)
    a = ap.parse_args()
    bc.raise_nofile()

    fdevent, _info = bc.import_fdevent()
    from fdevent import EV_PERSIST, EV_READ, EV_WRITE, Event

    base = fdevent.EventBase()
    conns = set()  # keeps connections (and their events) alive; the base may too
    buf = bytearray(BUFSZ)
    view = memoryview(buf)

    class Conn:
        __slots__ = ("pending", "rev", "sock", "wev")

        def __init__(self, sock):
            self.sock = sock
            self.pending = None
            fd = sock.fileno()
            self.rev = Event(base, fd, EV_READ | EV_PERSIST, self.on_read)
            self.wev = Event(base, fd, EV_WRITE | EV_PERSIST, self.on_write)
            self.rev.attach()
            conns.add(self)

        def close(self):
            self.rev.detach()
            self.wev.detach()
            self.sock.close()
            conns.discard(self)

        def on_read(self, fd, events, arg):
            # One read buffer for every connection (the loop runs one callback at a time):
            # recv_into it and send a view of it, so a request allocates nothing; only
            # output the socket did not take is copied out.
            try:
                nread = self.sock.recv_into(buf)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                self.close()
                return
            if not nread:
                self.close()
                return
            try:
                n = self.sock.send(view[:nread])
            except (BlockingIOError, InterruptedError):
                n = 0
            except OSError:
                self.close()
                return
            if n < nread:
                self.pending = memoryview(bytes(view[n:nread]))
                self.rev.detach()
                self.wev.attach()

        def on_write(self, fd, events, arg):
            try:
                n = self.sock.send(self.pending)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                self.close()
                return
            if n < len(self.pending):
                self.pending = self.pending[n:]
                return
            self.pending = None
            self.wev.detach()
            self.rev.attach()

    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", a.port))
    lsock.listen(1024)
    lsock.setblocking(False)

    def on_accept(fd, events, arg):
        while True:
            try:
                sock, _ = lsock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return  # e.g. EMFILE: level-triggered, we will be called again
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            Conn(sock)

    lev = Event(base, lsock, EV_READ | EV_PERSIST, on_accept)
    lev.attach()
    base.loopexit(a.max_seconds)  # the lifetime bound
    sys.stdout.write(f"READY {lsock.getsockname()[1]}\n")
    sys.stdout.flush()
    base.dispatch()
    lev.detach()
    for c in list(conns):
        c.close()
    base.close()
    lsock.close()


if __name__ == "__main__":
    main()
