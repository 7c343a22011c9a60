"""The stream examples, run as programs: chat, HTTP hello, TLS echo, the line client.

Each runs in a subprocess against the working tree, on both cores (conftest's ``pure``); the
servers are checked for a busy spin once their clients have left (see test_examples.py).
"""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import trustme
from support import IMPORT_ROOT, ROOT
from support.programs import IO_TIMEOUT, RUN_TIMEOUT
from support.programs import assert_idle as _assert_idle
from support.programs import env_for as _env
from support.programs import read_first_line as _read_first_line

LINE_CLIENT = str(ROOT / "examples" / "line_client.py")


def _start(args: Sequence[str], pure: bool) -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen(
        [sys.executable, *args],
        cwd=IMPORT_ROOT,
        env=_env(pure),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    first = _read_first_line(proc)
    m = re.search(r" on [^ ]*:(\d+) ", first)
    assert m, first
    return proc, int(m[1])


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.communicate(timeout=IO_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()


@pytest.fixture
def server(
    request: pytest.FixtureRequest, pure: bool
) -> Iterator[tuple[subprocess.Popen[str], int]]:
    proc, port = _start([str(ROOT / request.param[0]), "--port", "0"], pure)
    try:
        yield proc, port
    finally:
        _stop(proc)


def _lines(sock: socket.socket, n: int) -> list[bytes]:
    f = sock.makefile("rb")
    return [f.readline() for _ in range(n)]


@pytest.mark.parametrize("server", [["examples/chat_server.py"]], indirect=True)
def test_chat_broadcasts_lines(server: tuple[subprocess.Popen[str], int]) -> None:
    proc, port = server
    clients = [socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT) for _ in range(3)]
    try:
        for n, c in enumerate(clients, 1):
            assert _lines(c, 1) == [f"welcome, you are client {n}\n".encode()]
        clients[0].sendall(b"hel")
        clients[0].sendall(b"lo everyone\nsecond line\n")
        for c in clients[1:]:
            assert _lines(c, 2) == [b"client 1: hello everyone\n", b"client 1: second line\n"]
        clients[2].close()
        assert _lines(clients[0], 1) == [b"client 3 left\n"]
        assert _lines(clients[1], 1) == [b"client 3 left\n"]
        clients[1].sendall(b"x" * 5000 + b"\n")  # over the line limit: dropped
        assert _lines(clients[0], 1) == [b"client 2 left\n"]
    finally:
        for c in clients:
            c.close()
    _assert_idle(proc.pid)
    assert proc.poll() is None


GET = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"


@pytest.mark.parametrize("server", [["examples/http_hello.py"]], indirect=True)
def test_http_hello_keep_alive_pipelining_and_close(
    server: tuple[subprocess.Popen[str], int],
) -> None:
    proc, port = server
    with socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT) as c:
        c.sendall(GET + GET + b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nabcde")
        f = c.makefile("rb")
        for _ in range(3):
            assert f.readline() == b"HTTP/1.1 200 OK\r\n"
            headers = {}
            while (line := f.readline()) != b"\r\n":
                name, _, value = line.decode().partition(":")
                headers[name.lower()] = value.strip()
            assert f.read(int(headers["content-length"])) == b"Hello, world!"
            assert headers["connection"] == "keep-alive"
        c.sendall(b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n")
        rest = f.read()  # until the server closes
        assert rest.startswith(b"HTTP/1.1 200 OK\r\n") and b"Connection: close" in rest
        assert rest.endswith(b"Hello, world!")
    with socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT) as c:
        c.sendall(b"GET / HTTP/1.0\r\n\r\n")  # 1.0 without keep-alive: closed after
        assert c.makefile("rb").read().endswith(b"Hello, world!")
    with socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT) as c:
        c.sendall(b"NONSENSE\r\n\r\n")
        assert c.makefile("rb").read().startswith(b"HTTP/1.1 400 ")
    _assert_idle(proc.pid)
    assert proc.poll() is None


def _response(f: Any) -> tuple[bytes, dict[str, str], bytes]:
    """One response read from ``f``: its status line, headers (lower-case names), body."""
    status = f.readline()
    headers = {}
    while (line := f.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode().partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, f.read(int(headers.get("content-length", "0")))


@pytest.mark.parametrize("server", [["examples/http_hello.py"]], indirect=True)
def test_http_hello_answers_http10_keep_alive_as_ab_k_needs(
    server: tuple[subprocess.Popen[str], int],
) -> None:
    """An HTTP/1.0 client that asks for keep-alive (``ab -k``) keeps its connection only if
    the answer says ``Connection: keep-alive``; otherwise it waits for the server to close,
    and a server that keeps the connection open hangs it."""
    proc, port = server
    keep = b"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT) as c:
        f = c.makefile("rb")
        for _ in range(3):
            c.sendall(keep)
            status, headers, body = _response(f)
            assert status == b"HTTP/1.1 200 OK\r\n"
            assert headers.get("connection", "").lower() == "keep-alive", headers
            assert body == b"Hello, world!"
        c.sendall(b"GET / HTTP/1.0\r\n\r\n")  # no keep-alive asked: answered, then closed
        status, headers, body = _response(f)
        assert status == b"HTTP/1.1 200 OK\r\n" and body == b"Hello, world!"
        assert headers.get("connection", "").lower() == "close", headers
        assert f.read() == b""
    _assert_idle(proc.pid)
    assert proc.poll() is None


def _until_closed(sock: socket.socket) -> bytes:
    """What the server sends until it closes. A reset ends it too: a server that refuses a
    request closes with the rest of it unread, and the kernel then answers with RST."""
    data = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return data
        if not chunk:
            return data
        data += chunk


@pytest.mark.parametrize("server", [["examples/http_hello.py"]], indirect=True)
def test_http_hello_refuses_a_head_over_max_head(
    server: tuple[subprocess.Popen[str], int],
) -> None:
    """A head over MAX_HEAD (8192 bytes) is refused, 431 then close: a 50,000-byte head that
    comes whole in one write, and one that is still coming (9,000 bytes, no blank line yet).
    A head just under the limit is answered."""
    proc, port = server
    whole = b"GET / HTTP/1.1\r\nX-Big: " + b"a" * 50_000 + b"\r\n\r\n"
    coming = b"GET / HTTP/1.1\r\nX-Big: " + b"a" * 9_000
    for head in (whole, coming):
        with socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT) as c:
            c.sendall(head)
            answer = _until_closed(c)
        assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]
        assert b"Hello" not in answer
    fits = b"GET / HTTP/1.1\r\nX-Fits: " + b"a" * 8000 + b"\r\nConnection: close\r\n\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT) as c:
        c.sendall(fits)
        assert _until_closed(c).startswith(b"HTTP/1.1 200 OK\r\n")
    _assert_idle(proc.pid)
    assert proc.poll() is None


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("certs")
    ca = trustme.CA()
    cert = ca.issue_cert("localhost", "127.0.0.1")
    cert.private_key_pem.write_to_path(str(d / "key.pem"))
    cert.cert_chain_pems[0].write_to_path(str(d / "cert.pem"))
    ca.cert_pem.write_to_path(str(d / "ca.pem"))
    other = trustme.CA()
    other.cert_pem.write_to_path(str(d / "other.pem"))
    return {name: d / f"{name}.pem" for name in ("key", "cert", "ca", "other")}


def test_tls_echo_server_and_client(pure: bool, certs: dict[str, Path]) -> None:
    proc, port = _start(
        [
            str(ROOT / "examples" / "tls_echo.py"),
            "server",
            "--cert",
            str(certs["cert"]),
            "--key",
            str(certs["key"]),
            "--port",
            "0",
        ],
        pure,
    )
    try:
        client = [str(ROOT / "examples" / "tls_echo.py"), "client", "--port", str(port)]
        ok = subprocess.run(
            [sys.executable, *client, "--ca", str(certs["ca"]), "hello", "tls world"],
            cwd=IMPORT_ROOT,
            env=_env(pure),
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT,
            check=False,
        )
        assert ok.returncode == 0, ok.stdout + ok.stderr
        lines = ok.stdout.splitlines()
        assert re.fullmatch(r"connected: TLSv1\.[23]", lines[0])
        assert lines[1:] == ["hello", "tls world"]
        bad = subprocess.run(
            [sys.executable, *client, "--ca", str(certs["other"]), "x"],
            cwd=IMPORT_ROOT,
            env=_env(pure),
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT,
            check=False,
        )
        assert bad.returncode == 1
        assert "CERTIFICATE_VERIFY_FAILED" in bad.stderr
        _assert_idle(proc.pid)
        assert proc.poll() is None
    finally:
        _stop(proc)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
@pytest.mark.parametrize("server", [["examples/echo_server.py"]], indirect=True)
def test_line_client_against_the_echo_server(
    server: tuple[subprocess.Popen[str], int], pure: bool, host: str
) -> None:
    _, port = server
    proc = subprocess.run(
        [sys.executable, LINE_CLIENT, host, str(port), "one", "two", "3"],
        cwd=IMPORT_ROOT,
        env=_env(pure),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["one", "two", "3"]


def test_line_client_connection_refused(pure: bool) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))  # bound, not listening: refused
        port = probe.getsockname()[1]
        proc = subprocess.run(
            [sys.executable, LINE_CLIENT, "127.0.0.1", str(port), "x"],
            cwd=IMPORT_ROOT,
            env=_env(pure),
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT,
            check=False,
        )
    assert proc.returncode == 1
    assert "refused" in proc.stderr.lower()
