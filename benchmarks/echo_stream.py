"""TCP echo server on fdevent streams (the pure or compiled core, whichever `import fdevent`
loads; FDEVENT_PURE=1 forces the pure one).

A Listener; each accepted socket becomes a Stream whose on_read is
`stream.write(stream.input.read())` (DESIGN.md's echo), and whose on_event closes it. The
stream does the socket I/O itself (in C on the compiled core); TCP_NODELAY is the stream's
default.

Listens on 127.0.0.1:PORT (0 = ephemeral), prints "READY <port>" on stdout, and stops
by itself after --max-seconds (base.loopexit(max_seconds); the harness normally kills
it first).
"""

import argparse
import sys

import bench_common as bc


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--max-seconds", type=float, default=300.0)
    a = ap.parse_args()
    bc.raise_nofile()

    fdevent, _info = bc.import_fdevent()
    base = fdevent.EventBase()

    def echo(stream, arg):
        stream.write(stream.input.read())

    def on_event(stream, what, arg):
        stream.close()

    def on_accept(listener, sock, addr, arg):
        fdevent.Stream(base, sock, on_read=echo, on_event=on_event)

    listener = fdevent.Listener(base, on_accept, ("127.0.0.1", a.port), backlog=1024)
    base.loopexit(a.max_seconds)  # the lifetime bound
    sys.stdout.write(f"READY {listener.address[1]}\n")
    sys.stdout.flush()
    base.dispatch()
    listener.close()
    base.close()


if __name__ == "__main__":
    main()
