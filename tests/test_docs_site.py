"""The documentation cannot rot: its programs run, and its reference lists every public name.

Code blocks of the landing page, the tutorial, the how-to guides and the explanations
(``docs/index.md``, ``docs/tutorial``, ``docs/howto``, ``docs/explanation``) are read
straight from the Markdown sources, so this needs no Sphinx. A block is marked by its
directive's ``:class:`` option:

``runnable``
    A complete program. It is written to a temporary directory under its ``:caption:`` (its
    file name in the text) and run as a subprocess with a timeout, on both cores and every
    backend this machine has; it must exit with status 0 and write no traceback. If the next
    block is a ``text`` block of class ``output``, the program's standard output must be
    exactly that.
``serve-echo``
    (with ``runnable``) An echo server, driven as the reader drives it: run as ``python
    FILE 0`` (0 picks a free port), it must print ``127.0.0.1:PORT``; clients then check
    their echoes (one of them 8 MiB to a client that reads slowly at first, so the server's
    sends find no room and its write path runs), the server must not spin while a client
    waits or once they leave, and SIGINT (Ctrl-C) must end it with status 0.
``serve-echo-graceful``
    (with ``serve-echo``) The server shuts down gracefully on SIGTERM instead of being
    interrupted: with a client connected, it gets SIGTERM; the client must be closed, a new
    connection refused, and the server must exit with status 0.
``serve-echo-idle``
    (with ``serve-echo``) The server also takes an idle timeout in seconds as its second
    argument: it runs with 0.3, and a client that sends nothing must be disconnected no
    sooner than that.
``serve-prefork``
    (with ``runnable``) A prefork server run as ``python FILE 0 2`` (a free port, two
    workers): it must print ``127.0.0.1:PORT``; each connection must get ``pid N`` from a
    worker (not the parent); a worker killed with SIGKILL must be reaped and replaced; SIGTERM
    must stop the parent and every worker, with status 0.
``needs-et``
    The program uses ``EV_ET``: it runs only on the backends that can do it.
``fragment``, or a plain ```` ```python ```` fence
    Part of a program, shown for reading: it must compile. In the tutorial and the how-to
    guides every Python block must be ``runnable`` or say ``fragment`` explicitly.

The reference test checks ``docs/reference/*.rst`` for a directive naming each name in
``fdevent.__all__`` and ``fdevent.testing.__all__``; the Sphinx build (docs/conf.py) checks
the same in the built inventory.
"""

from __future__ import annotations

import os
import re
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from support import ROOT
from support.programs import IO_TIMEOUT, RUN_TIMEOUT, cpu_seconds, env_for, read_first_line

import fdevent
import fdevent.aio
import fdevent.testing

DOCS = ROOT / "docs"
#: The pages whose code blocks are checked.
CHECKED_DIRS = ("tutorial", "howto", "explanation")
#: How many programs run at once (they mostly wait; the machine may have 2 cores).
PARALLEL = 3
#: The idle timeout a ``serve-echo-idle`` server is given, in seconds.
IDLE = 0.3
BACKENDS = fdevent.supported_backends()
#: Backends where EV_ET works (the others refuse it with a ValueError).
ET_BACKENDS = [b for b in BACKENDS if b in ("epoll", "kqueue")]

_FENCE = re.compile(r"^(?P<indent> *)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_DIRECTIVE = re.compile(r"^\{(?:code-block|code|sourcecode)\}\s*(?P<lang>\S*)\s*$")


@dataclass
class Block:
    """One fenced code block of a page."""

    page: Path
    line: int
    lang: str
    options: dict[str, str]
    code: str
    classes: set[str] = field(default_factory=set)

    @property
    def id(self) -> str:
        caption = self.options.get("caption", "")
        return f"{self.page.relative_to(DOCS).as_posix()}:{self.line}" + (
            f":{caption}" if caption else ""
        )


def parse_blocks(page: Path) -> list[Block]:
    """The fenced code blocks of a MyST Markdown page, with their directive options."""
    lines = page.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, info, start = m["fence"], m["info"].strip(), i + 1
        i += 1
        body: list[str] = []
        while i < len(lines) and not re.match(rf"^ *{re.escape(fence)}\s*$", lines[i]):
            body.append(lines[i])
            i += 1
        i += 1  # the closing fence
        directive = _DIRECTIVE.match(info)
        options: dict[str, str] = {}
        if directive:
            lang = directive["lang"]
            while body and re.match(r"^:[\w-]+:", body[0]):
                key, _, value = body.pop(0)[1:].partition(":")
                options[key] = value.strip()
            if body and not body[0].strip():
                body.pop(0)
        elif info.startswith("{"):
            continue  # another directive (toctree, note, include...): not code
        else:
            lang = info.split()[0] if info else ""
        blocks.append(
            Block(
                page=page,
                line=start,
                lang=lang,
                options=options,
                code="\n".join(body) + "\n",
                classes=set(options.get("class", "").split()),
            )
        )
    return blocks


def _pages() -> list[Path]:
    return [DOCS / "index.md", *sorted(p for d in CHECKED_DIRS for p in (DOCS / d).glob("*.md"))]


def _all_blocks() -> list[Block]:
    return [b for page in _pages() for b in parse_blocks(page)]


def _expected_output(block: Block) -> str | None:
    blocks = parse_blocks(block.page)
    i = next(n for n, b in enumerate(blocks) if b.line == block.line)
    if i + 1 < len(blocks) and "output" in blocks[i + 1].classes:
        return blocks[i + 1].code
    return None


BLOCKS = _all_blocks()
RUNNABLE = [b for b in BLOCKS if "runnable" in b.classes]
PYTHON = [b for b in BLOCKS if b.lang in ("python", "py", "python3")]


def _params() -> list[object]:
    params = []
    for block in RUNNABLE:
        backends = ET_BACKENDS if "needs-et" in block.classes else BACKENDS
        for core in ("compiled", "pure"):
            for backend in backends:
                params.append(pytest.param(block, core, backend, id=f"{block.id}-{core}-{backend}"))
    return params


# --- the shape of the docs -----------------------------------------------------------------


def test_the_checked_pages_have_runnable_programs() -> None:
    # The parser found the programs (a silent parsing failure would pass every test below).
    assert len(RUNNABLE) >= 8, [b.id for b in RUNNABLE]
    tutorial = sorted((DOCS / "tutorial").glob("[0-9]*.md"))
    assert len(tutorial) >= 3, tutorial
    for page in tutorial + sorted((DOCS / "howto").glob("*.md")):
        if page.name == "index.md":
            continue
        assert any(b.page == page for b in RUNNABLE), f"{page} has no runnable block"


def test_runnable_blocks_are_python_and_named() -> None:
    for block in RUNNABLE:
        assert block.lang == "python", block.id
        caption = block.options.get("caption", "")
        assert re.fullmatch(r"[a-z0-9_]+\.py", caption), f"{block.id}: caption {caption!r}"


def test_every_class_is_known() -> None:
    known = {
        "runnable",
        "serve-echo",
        "serve-echo-idle",
        "serve-echo-graceful",
        "serve-prefork",
        "needs-et",
        "fragment",
        "output",
    }
    for block in BLOCKS:
        assert block.classes <= known, (block.id, block.classes - known)
        if block.classes & {"serve-echo", "serve-prefork", "needs-et"}:
            assert "runnable" in block.classes, block.id
        if "output" in block.classes:
            assert block.lang == "text", block.id


def test_tutorial_and_howto_python_blocks_are_run_or_marked_fragments() -> None:
    # A program there is run unless its author said, with the fragment class, that it cannot
    # be (it needs a display, say): an unmarked block would silently escape the test.
    for block in PYTHON:
        if block.page.parent.name in ("tutorial", "howto"):
            assert block.classes & {"runnable", "fragment"}, (
                f"{block.id}: mark it runnable (or, if it cannot run here, fragment)"
            )


def test_python_lines_fit_the_page() -> None:
    # 88 columns is what the theme shows without a horizontal scroll bar.
    long = [
        f"{b.id} line {n}"
        for b in PYTHON
        for n, line in enumerate(b.code.splitlines(), 1)
        if len(line) > 88
    ]
    assert not long, long


@pytest.mark.parametrize("block", PYTHON, ids=[b.id for b in PYTHON])
def test_python_block_compiles(block: Block) -> None:
    compile(block.code, block.id, "exec")


# --- the programs ----------------------------------------------------------------------------


def _write(block: Block, where: Path) -> Path:
    path = where / block.options["caption"]
    path.write_text(block.code, encoding="utf-8")
    return path


def _check_block(block: Block, core: str, backend: str) -> None:
    """Run one program as the reader would; raise AssertionError if it misbehaves."""
    with tempfile.TemporaryDirectory(prefix="fdevent-docs-") as where:
        tmp_path = Path(where)
        program = _write(block, tmp_path)
        env = env_for(core == "pure", backend)
        if "serve-echo" in block.classes:
            _drive_echo_server(block, program, env, tmp_path)
            return
        if "serve-prefork" in block.classes:
            _drive_prefork_server(block, program, env, tmp_path)
            return
        proc = subprocess.run(
            [sys.executable, program.name],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT,
            check=False,
        )
    assert proc.returncode == 0, f"{block.id} failed:\n{proc.stdout}\n{proc.stderr}"
    assert "Traceback" not in proc.stderr, proc.stderr
    expected = _expected_output(block)
    if expected is not None:
        assert proc.stdout == expected, (
            f"{block.id} printed:\n{proc.stdout}\nthe page says:\n{expected}"
        )


Key = tuple[str, str, str]


@pytest.fixture(scope="session")
def block_results(request: pytest.FixtureRequest) -> dict[Key, BaseException | None]:
    """Run every selected program, several at a time, and keep what each one raised.

    The programs mostly wait (for timers, for clients, for an idle server to stay idle), so
    running them side by side takes a fraction of the time; each still has its own process,
    port and directory, and every timing check is a lower bound or a CPU measurement of its
    own process.
    """
    wanted: list[tuple[Block, str, str]] = []
    for item in request.session.items:
        if getattr(item, "originalname", None) == "test_runnable_block":
            params = item.callspec.params  # type: ignore[attr-defined]
            wanted.append((params["block"], params["core"], params["backend"]))
    results: dict[Key, BaseException | None] = {}
    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        futures = {(b.id, c, be): pool.submit(_check_block, b, c, be) for b, c, be in wanted}
        for key, future in futures.items():
            results[key] = future.exception()
    return results


@pytest.mark.parametrize(("block", "core", "backend"), _params())
def test_runnable_block(
    block: Block, core: str, backend: str, block_results: dict[Key, BaseException | None]
) -> None:
    error = block_results[(block.id, core, backend)]
    if error is not None:
        raise error


# --- driving a server ---------------------------------------------------------------------------


def _read_address(proc: subprocess.Popen[str]) -> int:
    first = read_first_line(proc)
    m = re.search(r"127\.0\.0\.1:(\d+)", first)
    assert m, f"no 127.0.0.1:PORT in the server's first line: {first!r}"
    return int(m[1])


def _echo_on(sock: socket.socket, payload: bytes, stall: float = 0.0) -> bytes:
    """Send ``payload`` on ``sock`` while reading the echo (so both directions flow).

    With ``stall``, read nothing for that many seconds first: the server's sends then find
    the kernel's buffers full, and its write path is exercised.
    """
    received = bytearray()
    sock.setblocking(False)
    with selectors.DefaultSelector() as sel:
        sel.register(sock, selectors.EVENT_WRITE)
        view, start = memoryview(payload), time.monotonic()
        reading = False
        while len(received) < len(payload) and time.monotonic() < start + IO_TIMEOUT:
            if not reading and time.monotonic() >= start + stall:
                reading = True
                sel.modify(sock, selectors.EVENT_READ | (selectors.EVENT_WRITE if view else 0))
            for _, mask in sel.select(0.05):
                if mask & selectors.EVENT_WRITE and view:
                    view = view[sock.send(view[: 1 << 16]) :]
                    if not view:
                        if not reading:
                            sel.unregister(sock)
                            time.sleep(max(0.0, start + stall - time.monotonic()))
                            sel.register(sock, selectors.EVENT_READ)
                            reading = True
                        else:
                            sel.modify(sock, selectors.EVENT_READ)
                if mask & selectors.EVENT_READ:
                    data = sock.recv(1 << 16)
                    if not data:
                        return bytes(received)
                    received += data
    sock.settimeout(IO_TIMEOUT)
    return bytes(received)


def _echo(port: int, payload: bytes) -> bytes:
    """One client: connect, echo ``payload``, close."""
    with socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT) as sock:
        return _echo_on(sock, payload)


def _assert_idle(block: Block, pid: int) -> None:
    if not Path(f"/proc/{pid}/stat").exists():
        return  # no /proc: the echo checks still ran
    time.sleep(0.1)  # the server handles what just happened
    before = cpu_seconds(pid)
    time.sleep(0.4)
    used = cpu_seconds(pid) - before
    # Idle, a server sleeps in the poller: ~0 s. A spinning one shows up to 0.4 s here (less
    # when the other programs of the run compete for the CPU, but well above 0.05).
    assert used <= 0.05, f"{block.id}: {used:.2f} s of CPU in 0.4 s while idle"


def _shut_down_gracefully(block: Block, proc: subprocess.Popen[str], port: int) -> None:
    """SIGTERM with a client connected: it is closed, newcomers are refused, the server ends."""
    with socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT) as client:
        client.sendall(b"last words\n")
        assert client.recv(100) == b"last words\n"
        proc.send_signal(signal.SIGTERM)
        # The server owes this client nothing: it closes the connection at once.
        assert client.recv(100) == b"", f"{block.id}: the client was not closed"
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT).close()


def _drive_echo_server(block: Block, program: Path, env: dict[str, str], cwd: Path) -> None:
    args = [sys.executable, program.name, "0"]
    if "serve-echo-idle" in block.classes:
        args.append(str(IDLE))
    proc = subprocess.Popen(
        args, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        port = _read_address(proc)
        for n in range(3):
            line = f"hello {n}\n".encode()
            assert _echo(port, line) == line
        if "serve-echo-idle" in block.classes:
            # The clock starts before connecting: the server may accept (and arm its idle
            # timer) before this process runs again after connect() returns.
            start = time.monotonic()
            with socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT) as idle:
                assert idle.recv(1) == b"", "the idle client got data"
                waited = time.monotonic() - start
            # Never early; the upper bound only says "it did happen", generously.
            assert waited >= IDLE, f"disconnected after {waited:.3f} s, before {IDLE} s"
            assert waited < IO_TIMEOUT
        # A client that got 8 MiB echoed and then waits, then no client: the server must sleep
        # in its poll both times. The client's small receive buffer, and its reading nothing
        # for a while, make the server's sends find no room (the server's buffer grows to 4 MiB
        # at most), so its write path runs; a write event left attached on an idle socket
        # would spin.
        with socket.socket() as waiting:
            waiting.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
            waiting.settimeout(IO_TIMEOUT)
            waiting.connect(("127.0.0.1", port))
            big = os.urandom(8 << 20)
            assert _echo_on(waiting, big, stall=0.1) == big, f"{block.id}: the big echo differs"
            _assert_idle(block, proc.pid)
        _assert_idle(block, proc.pid)
        assert proc.poll() is None, proc.communicate()
        if "serve-echo-graceful" in block.classes:
            _shut_down_gracefully(block, proc, port)
        else:
            proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=IO_TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, f"{block.id} exited {proc.returncode}:\n{out}\n{err}"
    assert "Traceback" not in err, err


def _pid_of_worker(port: int) -> int:
    with socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT) as sock:
        reply = b""
        while not reply.endswith(b"\n"):
            data = sock.recv(100)
            assert data, f"connection closed after {reply!r}"
            reply += data
    m = re.fullmatch(rb"pid (\d+)\n", reply)
    assert m, reply
    return int(m[1])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _drive_prefork_server(block: Block, program: Path, env: dict[str, str], cwd: Path) -> None:
    """Connections served by worker processes; a killed worker replaced; SIGTERM stops all."""
    proc = subprocess.Popen(
        [sys.executable, program.name, "0", "2"],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen: set[int] = set()
    try:
        port = _read_address(proc)
        first = {_pid_of_worker(port) for _ in range(10)}
        assert proc.pid not in first, "the parent served a connection itself"
        seen |= first
        victim = min(first)
        os.kill(victim, signal.SIGKILL)  # a worker of the program under test
        deadline = time.monotonic() + IO_TIMEOUT
        while _alive(victim) and time.monotonic() < deadline:
            time.sleep(0.05)  # the parent reaps it (until then it is a zombie: alive)
        assert not _alive(victim), "the killed worker was never reaped"
        after = {_pid_of_worker(port) for _ in range(10)}
        seen |= after
        assert victim not in after
        assert proc.poll() is None, proc.communicate()
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=IO_TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
        for pid in seen:  # never leave a worker behind, whatever failed
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
    assert proc.returncode == 0, f"{block.id} exited {proc.returncode}:\n{out}\n{err}"
    assert "Traceback" not in err, err
    assert f"worker {victim} died" in out, out
    assert not [pid for pid in seen if _alive(pid)], "workers outlived the parent"


# --- the reference -----------------------------------------------------------------------------

_REF_DIRECTIVE = re.compile(
    r"^\.\. (?:auto(?:class|function|data|exception)|py:(?:class|function|data|exception)|"
    r"autoattribute|py:attribute)::\s+(?P<name>[\w.]+)",
    re.M,
)


def _reference_names() -> dict[str, str]:
    """Every name a directive of docs/reference/*.rst documents, as ``fdevent.X``."""
    names: dict[str, str] = {}
    for page in sorted((DOCS / "reference").glob("*.rst")):
        text = page.read_text(encoding="utf-8")
        module = ""
        for line in text.splitlines():
            m = re.match(r"^\.\. (?:py:module|py:currentmodule|currentmodule)::\s+(\S+)", line)
            if m:
                module = m[1]
                continue
            d = _REF_DIRECTIVE.match(line)
            if d:
                name = d["name"]
                if module and not name.startswith(module + "."):
                    name = f"{module}.{name}"
                names[name] = page.name
    return names


def _public_names() -> set[str]:
    """The public names of fdevent and of its public submodules (testing, aio), in full."""
    names = {f"fdevent.{n}" for n in fdevent.__all__}
    names |= {f"fdevent.aio.{n}" for n in fdevent.aio.__all__}
    return names | {f"fdevent.testing.{n}" for n in fdevent.testing.__all__}


def test_reference_documents_every_public_name() -> None:
    names = _reference_names()
    missing = sorted(n for n in _public_names() if n not in names)
    assert not missing, f"public names missing from docs/reference: {missing}"


def test_reference_documents_no_name_that_does_not_exist() -> None:
    public = _public_names()
    for name in _reference_names():
        assert name in public, name


def test_reference_constant_values_are_the_real_ones() -> None:
    text = "\n".join(p.read_text() for p in sorted((DOCS / "reference").glob("*.rst")))
    checked = 0
    for m in re.finditer(r"^\.\. py:data:: (\w+)\n((?:   :\w+:.*\n)*)", text, re.M):
        value = re.search(r":value: (.+)", m[2])
        if value:
            assert int(value[1], 0) == getattr(fdevent, m[1]), m[0]
            checked += 1
    assert checked >= 9
