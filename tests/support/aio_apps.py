"""The web servers ``tests/test_aio_frameworks.py`` drives with curl, wrk and aiohttp's client:
an aiohttp application and a minimal ASGI app, each run on ``fdevent.aio`` the way its users
run it, unchanged.

``python aio_apps.py WAY`` serves on 127.0.0.1, on a free port, until SIGINT or SIGTERM, on
the core ``FDEVENT_PURE`` and the backend ``FDEVENT_BACKEND`` choose. ``WAY`` is one of:

``run_app``
    ``web.run_app(app, host="127.0.0.1", port=0, loop=fdevent.aio.new_event_loop())``
``app_runner``
    ``fdevent.aio.run(main())``, ``main`` starting the app with ``AppRunner`` and ``TCPSite``
``uvicorn_run``
    ``uvicorn.run(asgi_app, loop="fdevent.aio:new_event_loop", http="httptools", ...)``
``uvicorn_server``
    ``fdevent.aio.run(uvicorn.Server(uvicorn.Config(asgi_app, http="httptools", ...)).serve())``

Each prints the address it serves on (aiohttp: ``======== Running on http://127.0.0.1:PORT
========``; uvicorn logs ``Uvicorn running on http://127.0.0.1:PORT`` to stderr). The uvicorn
command line serves ``asgi_app`` from here: ``python -m uvicorn support.aio_apps:asgi_app
--app-dir tests --loop fdevent.aio:new_event_loop --http httptools``.

Both apps answer ``GET /`` with the running loop's module and the backend of the base under
it (``fdevent._compiled.aio.loop epoll``), so a test sees which loop served it, and ``POST
/echo`` with the request's body, status 201. The aiohttp app also has ``GET /peer`` (the
client's port: one port over a series of requests is one kept-alive connection), ``GET
/stream`` (a chunked response written in ``CHUNKS`` pieces) and ``GET /ws`` (a websocket that
echoes each message prefixed with ``echo: ``).
"""

from __future__ import annotations

import sys

if __name__ == "__main__":
    # Run as a script, this file's folder (tests/support) is sys.path[0]: take it off, so none
    # of its modules can stand in for another package's.
    sys.path.pop(0)

import asyncio
import contextlib
import signal
from typing import Any

from aiohttp import WSMsgType, web

import fdevent.aio

#: How many pieces ``GET /stream`` writes, each flushed before the next.
CHUNKS = 10


def loop_name() -> str:
    """The running loop's module and its base's backend (the stock loop has no base)."""
    loop = asyncio.get_running_loop()
    base = getattr(loop, "base", None)
    return f"{type(loop).__module__} {base.backend if base is not None else '-'}"


async def _hello(request: web.Request) -> web.Response:
    return web.Response(text=loop_name())


async def _echo(request: web.Request) -> web.Response:
    return web.Response(body=await request.read(), status=201)


async def _peer(request: web.Request) -> web.Response:
    peer = request.transport.get_extra_info("peername") if request.transport else None
    return web.Response(text=f"peer {peer[1] if peer else '-'}\n")


async def _stream(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse()
    response.enable_chunked_encoding()
    await response.prepare(request)
    for n in range(CHUNKS):
        await response.write(f"chunk {n}\n".encode())
        await asyncio.sleep(0.005)  # each piece leaves on its own, not coalesced by the loop
    await response.write_eof()
    return response


async def _ws(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    async for msg in ws:
        if msg.type == WSMsgType.TEXT:
            await ws.send_str("echo: " + msg.data)
        elif msg.type == WSMsgType.BINARY:
            await ws.send_bytes(b"echo: " + msg.data)
    return ws


def make_app() -> web.Application:
    """The aiohttp application (routes in the module's docstring)."""
    app = web.Application()
    app.router.add_get("/", _hello)
    app.router.add_post("/echo", _echo)
    app.router.add_get("/peer", _peer)
    app.router.add_get("/stream", _stream)
    app.router.add_get("/ws", _ws)
    return app


async def asgi_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A minimal ASGI 3 app: ``GET /`` names the loop, ``POST /echo`` echoes; lifespan too."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    body = b""
    more = True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    if scope["method"] == "POST" and scope["path"] == "/echo":
        status, answer = 201, body
    else:
        status, answer = 200, loop_name().encode()
    headers = [(b"content-type", b"text/plain"), (b"content-length", str(len(answer)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": answer})


async def _serve_with_runner() -> None:
    # aiohttp's lower-level way: the program owns the loop (here fdevent.aio.run's) and starts
    # the app on it; SIGINT or SIGTERM ends the wait.
    runner = web.AppRunner(make_app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    print(f"Running on {site.name}", flush=True)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
    print("stopped", flush=True)


def main(way: str) -> None:
    if way == "run_app":
        web.run_app(make_app(), host="127.0.0.1", port=0, loop=fdevent.aio.new_event_loop())
    elif way == "app_runner":
        fdevent.aio.run(_serve_with_runner())
    elif way == "uvicorn_run":
        import uvicorn

        uvicorn.run(
            asgi_app,
            host="127.0.0.1",
            port=0,
            loop="fdevent.aio:new_event_loop",
            http="httptools",
            access_log=False,
        )
    elif way == "uvicorn_server":
        import uvicorn

        # The loop is fdevent.aio.run's: Config's loop= is not read on this way in.
        config = uvicorn.Config(
            asgi_app, host="127.0.0.1", port=0, http="httptools", access_log=False
        )
        # After its graceful shutdown, Server.serve() raises the signal that ended it again,
        # for its caller to see: Ctrl-C comes out of fdevent.aio.run() (or asyncio.run()) as
        # KeyboardInterrupt, which a program ends on quietly.
        with contextlib.suppress(KeyboardInterrupt):
            fdevent.aio.run(uvicorn.Server(config).serve())
    else:
        raise SystemExit(f"unknown way {way!r}")


if __name__ == "__main__":
    main(sys.argv[1])
