"""TCP echo server on an asyncio loop: fdevent.aio, the stdlib's, or uvloop (``--loop``).

``--api protocol``: an ``asyncio.Protocol`` whose ``data_received`` calls
``transport.write(data)`` (the same server as echo_asyncio.py). ``--api streams``:
``asyncio.start_server`` with a handler that reads up to 64 KiB, writes it back and awaits
``drain()``, as the stdlib's documentation writes a stream server.

With ``--certfile`` and ``--keyfile`` (PEM files) it speaks TLS: the loop's own TLS
(``ssl=`` to ``create_server``/``start_server``), as aio_tls_churn.py measures it.

Listens on 127.0.0.1:PORT (0 = ephemeral), prints "READY <port>" on stdout, and stops by
itself after --max-seconds (a bound; the harness normally ends it first). TCP_NODELAY is set
on every accepted socket (the loops also do so themselves).
"""

import argparse
import asyncio
import socket
import ssl

import aio_common
import bench_common as bc


def nodelay(transport):
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class Echo(asyncio.Protocol):
    __slots__ = ("transport",)

    def connection_made(self, transport):
        self.transport = transport
        nodelay(transport)

    def data_received(self, data):
        self.transport.write(data)

    def connection_lost(self, exc):
        self.transport = None


async def echo_stream(reader, writer):
    nodelay(writer.transport)
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass  # the load generator closes its connections at the end of a run
    finally:
        writer.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    aio_common.add_loop_args(ap)
    ap.add_argument("--api", choices=("protocol", "streams"), default="protocol")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--max-seconds", type=float, default=300.0)
    ap.add_argument("--certfile", help="serve TLS with this certificate chain (PEM)")
    ap.add_argument("--keyfile", help="the certificate's private key (PEM)")
    a = ap.parse_args()
    if (a.certfile is None) != (a.keyfile is None):
        ap.error("--certfile and --keyfile go together")
    bc.raise_nofile()
    loop, _ = aio_common.new_loop(a)
    opts = {"backlog": 1024, "reuse_address": True}
    if a.certfile:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(a.certfile, a.keyfile)
        opts["ssl"] = ctx
    if a.api == "protocol":
        make = loop.create_server(Echo, "127.0.0.1", a.port, **opts)
    else:
        make = asyncio.start_server(echo_stream, "127.0.0.1", a.port, **opts)
    bc.serve_forever(loop, loop.run_until_complete(make), a.max_seconds)


if __name__ == "__main__":
    main()
