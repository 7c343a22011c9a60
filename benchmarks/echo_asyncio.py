"""TCP echo server on asyncio (Protocol + transport.write), or on uvloop with --uvloop.

Listens on 127.0.0.1:PORT (0 = ephemeral), prints "READY <port>" on stdout, and stops
by itself after --max-seconds (a bound; the harness normally kills it first).
TCP_NODELAY is set on every accepted socket (asyncio and uvloop also do so themselves).
"""

import argparse
import asyncio
import socket

import bench_common as bc


class Echo(asyncio.Protocol):
    __slots__ = ("transport",)

    def connection_made(self, transport):
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data):
        self.transport.write(data)

    def connection_lost(self, exc):
        self.transport = None


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--max-seconds", type=float, default=300.0)
    ap.add_argument("--uvloop", action="store_true")
    a = ap.parse_args()
    bc.raise_nofile()
    if a.uvloop:
        import uvloop

        loop = uvloop.new_event_loop()
    else:
        loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(
        loop.create_server(Echo, "127.0.0.1", a.port, backlog=1024, reuse_address=True)
    )
    bc.serve_forever(loop, server, a.max_seconds)


if __name__ == "__main__":
    main()
