"""The README's echo servers, run as a newcomer copies them, against the clients that broke
them; and the README's first command, ``python -m fdevent``, with its ``--serve`` on port 1246.

The code blocks under "## An echo server" (raw events) and "## The same server on streams"
are each extracted and run in a subprocess (its port
replaced by a free one), on both cores and every backend. A slow client sends 20 MB without
reading for a while and then reads everything back: the server must handle partial writes
(``send`` taking part of a buffer, or raising ``BlockingIOError``) and not hold the whole 20 MB.
A client then resets its connection (``SO_LINGER`` 0): the server must take the
``ConnectionResetError``/``BrokenPipeError`` in its stride. After both, the server still echoes.
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from support import IMPORT_ROOT, ROOT
from support.programs import Program

README = ROOT / "README.md"
PORT_IN_README = 1246
#: Seconds any step may take before the test fails: generous, CI machines are slow.
TIMEOUT = 60.0


#: The README sections whose first code block is an echo server on port 1246.
SECTIONS = ("An echo server", "The same server on streams")


def readme_server_code(title: str = SECTIONS[0]) -> str:
    """The first ``python`` code block of the README's section ``title``."""
    text = README.read_text()
    section = re.search(rf"^## {re.escape(title)}.*?(?=^## )", text, re.S | re.M)
    assert section, f"README has no '## {title}' section"
    block = re.search(r"^```python\n(.*?)^```", section.group(0), re.S | re.M)
    assert block, "the echo server section has no python code block"
    return block.group(1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(params=SECTIONS, ids=["raw-events", "streams"])
def server(
    request: pytest.FixtureRequest, core: ModuleType, backend: str, tmp_path: Path
) -> Iterator[tuple[int, subprocess.Popen[str]]]:
    """A README server running in a subprocess on ``core`` and ``backend``; its port."""
    code = readme_server_code(request.param)
    assert code.count(str(PORT_IN_README)) == 1
    port = _free_port()
    script = tmp_path / "readme_echo.py"
    script.write_text(code.replace(str(PORT_IN_README), str(port)))
    env = dict(os.environ, FDEVENT_BACKEND=backend, PYTHONPATH=str(IMPORT_ROOT))
    env["FDEVENT_PURE"] = "1" if core.CORE == "pure" else "0"
    proc = subprocess.Popen(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + TIMEOUT
        while True:
            assert proc.poll() is None, proc.communicate()[1]
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except ConnectionRefusedError:
                assert time.monotonic() < deadline, "the README server did not start listening"
                time.sleep(0.05)
        yield port, proc
    finally:
        alive = proc.poll() is None
        proc.kill()
        _, err = proc.communicate()
        assert alive, f"the README server died:\n{err}"
        assert "Traceback" not in err, err


def _echo(port: int, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_readme_server_survives_a_slow_client_and_a_reset(
    server: tuple[int, subprocess.Popen[str]],
) -> None:
    port, proc = server
    assert _echo(port, b"hello") == b"hello"

    # A client that sends 20 MB without reading for a while, then reads everything back.
    payload = hashlib.sha256(b"fdevent").digest() * (20 * 1024 * 1024 // 32)
    slow = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    sender = threading.Thread(target=slow.sendall, args=(payload,))
    sender.start()
    time.sleep(0.5)  # the server's writes fill the socket buffers and go partial
    got = bytearray()
    while len(got) < len(payload):
        chunk = slow.recv(1 << 20)
        assert chunk, f"the server closed the slow client after {len(got)} bytes"
        got += chunk
    sender.join(TIMEOUT)
    assert not sender.is_alive()
    assert got == payload
    slow.close()

    # A client that resets its connection (RST, not FIN) while the server has data for it.
    rst = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    rst.sendall(b"x" * (1 << 20))
    rst.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    rst.close()

    # The server goes on serving.
    for n in range(3):
        message = f"still here {n}".encode()
        assert _echo(port, message) == message
    assert proc.poll() is None


def test_readme_first_command_is_the_demo() -> None:
    """The first of the README's "Two commands" ends in ``python -m fdevent``, and the text
    after them promises ``--serve`` on port 1246 (run by the next test)."""
    text = README.read_text()
    section = re.search(r"^## Two commands\n(.*?)(?=^## )", text, re.S | re.M)
    assert section, "README has no '## Two commands' section"
    block = re.search(r"^```sh\n(.*?)^```", section[1], re.S | re.M)
    assert block, "the section has no sh code block"
    commands = [line for line in block[1].splitlines() if line and not line.startswith("#")]
    assert commands[0].endswith("&& .venv/bin/python -m fdevent"), commands
    assert "`.venv/bin/python -m fdevent --serve` keeps the echo server running on port 1246" in (
        " ".join(section[1].split())
    )


def test_readme_serve_listens_on_1246_and_echoes(core: ModuleType) -> None:
    """``python -m fdevent --serve``, as the README gives it: no ``--port``, so 1246."""
    with Program(["-m", "fdevent", "--serve"], core.CORE == "pure") as prog:
        try:
            prog.expect(rf"echo server on 127\.0\.0\.1:{PORT_IN_README} ")
        except AssertionError:
            prog.wait()  # it exits at once when it cannot listen, saying why on stderr
            if "cannot listen on" in prog.stderr:
                pytest.skip(f"port {PORT_IN_README} is in use on this machine")
            raise
        assert _echo(PORT_IN_README, b"hello, telnet\r\n") == b"hello, telnet\r\n"
        prog.signal(signal.SIGINT)
        assert prog.wait() == 0, str(prog)
    assert prog.lines[-1] == "stopped: 1 connections, 15 bytes echoed", str(prog)
