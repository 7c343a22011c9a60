"""examples/http_hello.py on asyncio (Protocol + transport), or on uvloop with --uvloop:
the same minimal HTTP/1.1 keep-alive "Hello, world!" server, parsed the same way (its
parse_head is imported), for wrk to compare with the fdevent one.

Listens on 127.0.0.1:PORT (0 = ephemeral), prints "READY <port>" on stdout, and stops
by itself after --max-seconds.
"""

import argparse
import asyncio
import os
import sys

import bench_common as bc

sys.path.insert(
    0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")
)
import http_hello as hh


class HTTP(asyncio.Protocol):
    __slots__ = ("buf", "transport")

    def connection_made(self, transport):
        self.transport = transport
        self.buf = bytearray()

    def data_received(self, data):
        buf = self.buf
        buf += data
        while True:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                if len(buf) > hh.MAX_HEAD:
                    self.transport.write(hh.TOO_LARGE)
                    self.transport.close()
                return
            parsed = hh.parse_head(bytes(buf[:end]))
            if parsed is None:
                self.transport.write(hh.BAD)
                self.transport.close()
                return
            keep, length = parsed
            if len(buf) < end + 4 + length:
                return
            del buf[: end + 4 + length]
            if not keep:
                self.transport.write(hh.CLOSE)
                self.transport.close()
                return
            self.transport.write(hh.KEEP)


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
        loop.create_server(HTTP, "127.0.0.1", a.port, backlog=1024, reuse_address=True)
    )
    bc.serve_forever(loop, server, a.max_seconds)


if __name__ == "__main__":
    main()
