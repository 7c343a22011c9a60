"""Real frameworks run unchanged on ``fdevent.aio``, driven by real clients.

An aiohttp server (``web.run_app(..., loop=fdevent.aio.new_event_loop())``, and ``AppRunner``
with ``TCPSite`` under ``fdevent.aio.run``), uvicorn with httptools serving a minimal ASGI app
(its command line, ``uvicorn.run(..., loop="fdevent.aio:new_event_loop")`` and
``fdevent.aio.run(server.serve())``), each in a subprocess (``support/aio_apps.py``) on each
core and backend, answer curl (GET, POST with a body, a keep-alive series, a chunked
response), a short bounded wrk run, and aiohttp's own websocket client on ``fdevent.aio``; each
says in its answer which loop served it. aiohttp's client on ``fdevent.aio`` fetches from the
stdlib's ``http.server``. Every server is on 127.0.0.1, ends on its signal (checked: status 0)
and is killed by its PID if a test fails first. The how-to "Run your asyncio application on
fdevent" shows these tests' calls (checked), and its aiohttp program runs here.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
import re
import signal
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from support import ROOT
from support.aio_apps import CHUNKS
from support.programs import WAIT, Program

#: Seconds one curl or client call may take: generous, CI machines stall.
IO = 20.0
#: The bounded wrk run: one thread, 10 connections, one second.
WRK = ["wrk", "-t1", "-c10", "-d1s", "--timeout", "5s"]
#: uvicorn's options that put it on fdevent (the how-to shows this command line).
UVICORN_FLAGS = ["--loop", "fdevent.aio:new_event_loop", "--http", "httptools"]
HOWTO = ROOT / "docs" / "howto" / "asyncio.md"
APPS = ROOT / "tests" / "support" / "aio_apps.py"


def expected_loop(pure: bool, backend: str) -> str:
    """What ``GET /`` answers when the server runs on fdevent's loop of that core and backend
    (the default core is the compiled one: the suite requires it)."""
    return f"fdevent._{'pure' if pure else 'compiled'}.aio.loop {backend}"


def curl(*args: str, data: bytes | None = None) -> bytes:
    """curl's output; fails the test on curl's failure (refused, timed out, HTTP error)."""
    cmd = ["curl", "-sS", "--fail", "--max-time", str(IO), *args]
    done = subprocess.run(cmd, input=data, capture_output=True, timeout=IO + 5)
    assert done.returncode == 0, (cmd, done.stderr)
    return done.stdout


def status_and_body(*args: str, data: bytes | None = None) -> tuple[int, bytes]:
    out = curl("-w", "\n%{http_code}", *args, data=data)
    body, _, status = out.rpartition(b"\n")
    return int(status), body


def wrk(url: str) -> int:
    """Run the bounded wrk against ``url``; the requests it completed, all 2xx, no socket
    error (wrk prints those lines only when there were some)."""
    done = subprocess.run([*WRK, url], capture_output=True, text=True, timeout=IO + 10)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Socket errors" not in out, out
    assert "Non-2xx" not in out, out
    m = re.search(r"(\d+) requests in", out)
    assert m, out
    return int(m[1])


@contextlib.contextmanager
def serving(args: list[str], pure: bool, backend: str) -> Iterator[tuple[Program, str]]:
    """A server program of ``args``, with the URL it says it serves on; killed by its PID if
    it is still running when the block ends."""
    with Program(args, pure, backend, merge_stderr=True) as server:
        m = server.expect(r"[Rr]unning on http://127\.0\.0\.1:(\d+)")
        assert m[1] != "0", str(server)
        yield server, f"http://127.0.0.1:{m[1]}"


def stop(server: Program, signum: int) -> None:
    """End the server with ``signum`` (by its PID): it must shut down and exit with status 0."""
    server.signal(signum)
    rc = server.wait(WAIT)
    assert rc == 0, str(server)
    assert "Traceback" not in server.stdout, str(server)


def client_loop(pure: bool, backend: str) -> Any:
    """A ``fdevent.aio.Loop`` in this process on the core and backend a server runs on."""
    name = "pure" if pure else "compiled"
    core = importlib.import_module(f"fdevent._{name}")
    aio = importlib.import_module(f"fdevent._{name}.aio")
    return aio.Loop(core.EventBase(backend=backend))


def run_on(loop: Any, coro: Any) -> Any:
    """Run ``coro`` on ``loop``, bounded in time; the loop is closed after."""
    try:
        return loop.run_until_complete(asyncio.wait_for(coro, IO))
    finally:
        loop.close()


def check_get_and_post(url: str, pure: bool, backend: str) -> None:
    assert status_and_body(url + "/") == (200, expected_loop(pure, backend).encode())
    payload = os.urandom(256 * 1024)
    assert status_and_body("--data-binary", "@-", url + "/echo", data=payload) == (201, payload)


def dechunk(raw: bytes) -> list[bytes]:
    """The chunks of a chunked HTTP/1.1 body as it came on the wire (``curl --raw``)."""
    chunks = []
    while True:
        size_line, _, raw = raw.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            return chunks
        chunks.append(raw[:size])
        assert raw[size : size + 2] == b"\r\n"
        raw = raw[size + 2 :]


async def ws_round_trip(url: str) -> tuple[str, bytes, int | None, str]:
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        await ws.send_str("hello")
        text = await ws.receive_str()
        await ws.send_bytes(b"\x00\xff")
        data = await ws.receive_bytes()
        await ws.close()
        return text, data, ws.close_code, type(asyncio.get_running_loop()).__module__


def test_aiohttp_run_app(pure: bool, backend_name: str) -> None:
    args = ["tests/support/aio_apps.py", "run_app"]
    with serving(args, pure, backend_name) as (server, url):
        check_get_and_post(url, pure, backend_name)

        # Keep-alive: ten requests in one curl use one connection, which the server sees
        # from one client port.
        out = curl("-w", "%{num_connects}\n", *[url + "/peer"] * 10).decode().split()
        ports, connects = out[1::3], out[2::3]
        assert len(ports) == 10 and len(set(ports)) == 1, out
        assert connects == ["1"] + ["0"] * 9, out

        # A streamed response: chunked, one chunk per write, as written.
        head, _, raw = curl("--raw", "-i", url + "/stream").partition(b"\r\n\r\n")
        assert re.search(rb"(?im)^transfer-encoding: *chunked\r?$", head), head
        assert dechunk(raw) == [f"chunk {n}\n".encode() for n in range(CHUNKS)]

        # A websocket, with aiohttp's own client on fdevent.aio of the same core and backend.
        ws = run_on(client_loop(pure, backend_name), ws_round_trip(url + "/ws"))
        assert ws[:3] == ("echo: hello", b"echo: \x00\xff", 1000)
        assert ws[3] == expected_loop(pure, backend_name).split()[0]

        assert wrk(url + "/") > 0
        stop(server, signal.SIGTERM)  # run_app's own handler: a graceful exit


def test_aiohttp_app_runner(pure: bool, backend_name: str) -> None:
    with serving(["tests/support/aio_apps.py", "app_runner"], pure, backend_name) as (server, url):
        check_get_and_post(url, pure, backend_name)
        stop(server, signal.SIGINT)
        assert server.lines[-1] == "stopped", str(server)


@pytest.mark.parametrize("way", ["command_line", "uvicorn_run", "uvicorn_server"])
def test_uvicorn_httptools(way: str, pure: bool, backend_name: str) -> None:
    if way == "command_line":
        args = ["-m", "uvicorn", "support.aio_apps:asgi_app", "--app-dir", str(ROOT / "tests")]
        args += [*UVICORN_FLAGS, "--host", "127.0.0.1", "--port", "0", "--no-access-log"]
    else:
        args = ["tests/support/aio_apps.py", way]
    with serving(args, pure, backend_name) as (server, url):
        check_get_and_post(url, pure, backend_name)
        if way == "command_line":
            assert wrk(url + "/") > 0
        stop(server, signal.SIGINT)  # Ctrl-C
        assert "Application shutdown complete" in server.stdout, str(server)


class _Handler(BaseHTTPRequestHandler):
    """The stdlib's HTTP/1.1 server (keep-alive): GET answers its path and the client's port,
    POST echoes its body with 201."""

    protocol_version = "HTTP/1.1"
    # Headers and body are two sends: without TCP_NODELAY each answer waits out the client's
    # delayed ACK (~40 ms), on any loop.
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        self._answer(200, f"{self.path} {self.client_address[1]}".encode())

    def do_POST(self) -> None:
        self._answer(201, self.rfile.read(int(self.headers["Content-Length"])))

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass  # quiet: the test reads the answers


class _Server(ThreadingHTTPServer):
    # The listen backlog: the stdlib's 5 drops the SYNs of the client's 20 concurrent connects,
    # which then wait a second to retry.
    request_queue_size = 64


@pytest.fixture
def stdlib_server() -> Iterator[str]:
    """``http.server`` in a thread on 127.0.0.1; its URL. Shut down when the test ends."""
    server = _Server(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(WAIT)


async def fetch_all(url: str, payload: bytes) -> dict[str, Any]:
    got: dict[str, Any] = {"loop": type(asyncio.get_running_loop()).__module__}
    async with aiohttp.ClientSession() as session:
        async with session.get(url + "/first") as r:
            got["get"] = (r.status, await r.text())
        async with session.post(url + "/echo", data=payload) as r:
            got["post"] = (r.status, await r.read())
        series = []
        for n in range(5):
            async with session.get(f"{url}/{n}") as r:
                series.append(await r.text())
        got["series"] = series

        async def one(n: int) -> str:
            async with session.get(f"{url}/c{n}") as r:
                assert r.status == 200
                return await r.text()

        got["concurrent"] = await asyncio.gather(*(one(n) for n in range(20)))
    return got


def test_aiohttp_client(core: Any, backend: str, stdlib_server: str) -> None:
    aio = importlib.import_module(f"{core.__name__}.aio")
    payload = os.urandom(100_000)
    got = run_on(aio.Loop(core.EventBase(backend=backend)), fetch_all(stdlib_server, payload))
    assert got["loop"] == f"{core.__name__}.aio.loop"
    status, text = got["get"]
    assert status == 200 and text.startswith("/first ")
    assert got["post"] == (201, payload)
    # Connection reuse: the sequential requests came from the first request's port.
    first_port = text.split()[1]
    assert [t.split() for t in got["series"]] == [[f"/{n}", first_port] for n in range(5)]
    assert [t.split()[0] for t in got["concurrent"]] == [f"/c{n}" for n in range(20)]


def howto_program(caption: str) -> tuple[str, str]:
    """The how-to's program under ``caption`` and the output block after it."""
    m = re.search(
        r"```\{code-block\} python\n:caption: " + re.escape(caption) + r"\n(?::class: [^\n]*\n)*\n"
        r"(?P<source>.*?)```\n\n```\{code-block\} text\n:class: output\n\n(?P<output>.*?)```",
        HOWTO.read_text(),
        re.S,
    )
    assert m, f"no program {caption} with an output block in {HOWTO}"
    return m["source"], m["output"]


def test_the_howto_aiohttp_program(pure: bool, backend_name: str, tmp_path: Path) -> None:
    # A fragment for test_docs_site, whose runnable programs all run inside one fixture under
    # the suite's 60 s limit per test (57 s of it already on a loaded 2-core machine): run here.
    source, output = howto_program("aio_aiohttp.py")
    program = tmp_path / "aio_aiohttp.py"
    program.write_text(source)
    with Program([str(program)], pure, backend_name) as run:
        assert run.wait(WAIT) == 0, str(run)
        assert run.stdout + "\n" == output, str(run)


def test_the_howto_shows_what_these_tests_run() -> None:
    """The how-to's framework recipes are the calls these tests run, word for word."""
    howto = HOWTO.read_text()
    apps = APPS.read_text()
    assert "uvicorn app:app " + " ".join(UVICORN_FLAGS) in howto
    for shown in (
        'loop="fdevent.aio:new_event_loop"',
        'http="httptools"',
        "fdevent.aio.run(uvicorn.Server(config).serve())",
        "loop=fdevent.aio.new_event_loop())",
        "web.AppRunner(",
        "web.TCPSite(runner, ",
        "fdevent.aio.run(",
    ):
        assert shown in howto, shown
        assert shown in apps, shown
    assert Path(APPS).exists()
