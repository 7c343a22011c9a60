"""HTTP "Hello, World!" on a real framework, on an asyncio loop chosen by ``--loop``.

``--framework aiohttp``: an ``aiohttp.web`` application with one GET route returning a text
response, run by ``web.AppRunner`` (access log off, as one benchmarks a server). ``--framework
uvicorn``: uvicorn with ``http="httptools"`` serving a minimal ASGI app (one start and one body
message), lifespan and access log off. Each framework runs unchanged on the loop it is given:
the script makes the loop and runs the framework's own serving coroutine on it.

Listens on 127.0.0.1:PORT (0 = ephemeral), prints "READY <port>" on stdout once the framework
is serving, and stops by itself after --max-seconds (the harness normally ends it first).
Needs the bench extra: ``pip install -e '.[bench]'``.
"""

import argparse
import asyncio

import aio_common
import bench_common as bc

BODY = b"Hello, World!"


async def asgi_app(scope, receive, send):
    """The smallest ASGI app: a 200 with a fixed body, for every HTTP request."""
    if scope["type"] != "http":
        return
    headers = [(b"content-type", b"text/plain"), (b"content-length", b"%d" % len(BODY))]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": BODY})


async def serve_aiohttp(a):
    from aiohttp import web

    async def hello(request):
        return web.Response(body=BODY, content_type="text/plain")

    app = web.Application()
    app.router.add_get("/", hello)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", a.port, backlog=1024, reuse_address=True)
    await site.start()
    aio_common.ready(runner.addresses[0][1])
    try:
        await asyncio.sleep(a.max_seconds)
    finally:
        await runner.cleanup()


async def serve_uvicorn(a):
    import uvicorn

    config = uvicorn.Config(
        asgi_app,
        host="127.0.0.1",
        port=a.port,
        http="httptools",
        lifespan="off",
        access_log=False,
        log_level="warning",
        backlog=1024,
    )
    server = uvicorn.Server(config)
    # uvicorn binds the address itself (loop.create_server, as a user's uvicorn.run does: a
    # socket made here with proto 0 would keep asyncio's transports from setting TCP_NODELAY).
    task = asyncio.ensure_future(server.serve())
    while not server.started:
        if task.done():
            task.result()  # the reason it did not start
        await asyncio.sleep(0.01)
    aio_common.ready(server.servers[0].sockets[0].getsockname()[1])
    try:
        await asyncio.wait_for(asyncio.shield(task), a.max_seconds)
    except asyncio.TimeoutError:
        server.should_exit = True
        await task


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    aio_common.add_loop_args(ap)
    ap.add_argument("--framework", choices=("aiohttp", "uvicorn"), default="aiohttp")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--max-seconds", type=float, default=300.0)
    a = ap.parse_args()
    bc.raise_nofile()
    loop, _ = aio_common.new_loop(a)
    serve = serve_aiohttp if a.framework == "aiohttp" else serve_uvicorn
    try:
        loop.run_until_complete(serve(a))
    finally:
        loop.close()


if __name__ == "__main__":
    main()
