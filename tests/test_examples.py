"""The examples and ``python -m fdevent``, run the way a newcomer runs them: as programs.

Each one runs in a subprocess with a timeout, against the fdevent the tests import (the
checkout, or an install when the tests run from an unpacked sdist: ``PYTHONPATH`` and the
working directory are where that fdevent lives), on every backend this machine has and on
both cores (conftest's ``backend_name`` and ``pure``: ``FDEVENT_PURE=1`` picks the pure core
in the subprocess). Nothing here imports ``fdevent.__main__``: the demo is a program like the
examples, and its echo server and client are examples/echo_server.py and echo_client.py,
tested here against each other. The servers are also
checked for the classic event-loop bug, a busy spin after a client leaves: a level-triggered
event left attached on a socket that stays readable or writable makes the process burn a whole
CPU while doing nothing, which no output shows but ``/proc/PID/stat`` does.
"""

from __future__ import annotations

import errno
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from support import IMPORT_ROOT, ROOT
from support.programs import (
    IO_TIMEOUT,
    RUN_TIMEOUT,
    assert_idle,
    cpu_seconds,
    env_for,
    read_first_line,
)

import fdevent

BACKENDS = fdevent.supported_backends()


def _run(args: Sequence[str], pure: bool = False) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=IMPORT_ROOT,
        env=env_for(pure),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )


def _summary(stdout: str) -> dict[str, str]:
    """The ``key: value`` lines that follow ``summary:`` in the demo's output."""
    _, sep, tail = stdout.partition("\nsummary:\n")
    assert sep, f"no summary in:\n{stdout}"
    fields = {}
    for line in tail.splitlines():
        key, colon, value = line.strip().partition(": ")
        if colon:
            fields[key] = value
    return fields


# --- python -m fdevent ---------------------------------------------------------------------


def test_demo_echoes_every_message(backend_name: str, pure: bool) -> None:
    backend = backend_name
    proc = _run(["-m", "fdevent", "--backend", backend], pure=pure)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.rstrip().endswith("result: OK"), proc.stdout
    s = _summary(proc.stdout)
    assert s["backend"] == backend
    assert s["core"] == ("pure" if pure else "compiled")
    assert s["clients"] == "5"
    assert s["connections"] == "5"
    assert s["messages"] == "100/100"
    expected = int(s["bytes expected"])
    # Every client sends the 64 KiB message once; the rest are small.
    assert expected > 5 * 65536
    assert int(s["bytes echoed"]) == expected
    assert int(s["bytes verified"]) == expected
    deferred = re.fullmatch(r"server (\d+), clients (\d+)", s["deferred writes"])
    assert deferred is not None, s["deferred writes"]
    # The 64 KiB messages cannot pass through 8 KiB socket buffers in one send(): both sides
    # must have gone through their write events, which is what the demo is there to show.
    assert int(deferred[1]) > 0
    assert int(deferred[2]) > 0
    assert int(s["timer ticks"]) >= 1
    assert re.search(r"^\[ *\d+\.\d+s\] tick 1: ", proc.stdout, re.M), proc.stdout


def test_demo_rejects_an_unknown_backend() -> None:
    proc = _run(["-m", "fdevent", "--backend", "nosuch"])
    assert proc.returncode == 2
    assert "nosuch" in proc.stderr
    assert BACKENDS[0] in proc.stderr


@pytest.mark.parametrize("serve", [True, False], ids=["serve", "demo"])
def test_busy_port_is_one_clear_line(serve: bool) -> None:
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        proc = _run(["-m", "fdevent", *(["--serve"] if serve else []), "--port", str(port)])
    assert proc.returncode == 1
    assert proc.stdout == ""
    reason = os.strerror(errno.EADDRINUSE)
    assert proc.stderr == f"python -m fdevent: cannot listen on 127.0.0.1:{port}: {reason}\n"


def test_demo_that_times_out_fails(pure: bool) -> None:
    """The demo's verdict is worth something only if it can fail: clients that have not
    finished when ``--timeout`` gives up are failures, exit 1."""
    args = ["-m", "fdevent", "--clients", "2", "--messages", "5", "--pause", "5"]
    proc = _run([*args, "--timeout", "0.5"], pure=pure)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "gave up after 0.5 s" in proc.stdout
    s = _summary(proc.stdout)
    assert s["messages"] == "2/10"
    assert "  FAILED client 0: stopped after 1 of 5 messages" in proc.stdout
    assert "  FAILED client 1: stopped after 1 of 5 messages" in proc.stdout
    assert proc.stdout.rstrip().endswith("result: FAILED")


def _rss_kib(pid: int) -> int:
    """Resident memory of ``pid`` in KiB, from ``/proc/PID/status``."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_echo_server_memory_stays_bounded_for_a_client_that_never_reads(pure: bool) -> None:
    """Back-pressure: a client that only sends must not make the server buffer without bound."""
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "examples" / "echo_server.py"), "--port", "0"],
        cwd=IMPORT_ROOT,
        env=env_for(pure),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        m = re.search(r":(\d+) ", read_first_line(proc))
        assert m
        with socket.create_connection(("127.0.0.1", int(m[1])), timeout=IO_TIMEOUT) as sock:
            sock.setblocking(False)
            chunk = bytes(1 << 16)
            sent = 0
            baseline = _rss_kib(proc.pid)
            end = time.monotonic() + 2.0
            while time.monotonic() < end:
                try:
                    sent += sock.send(chunk)
                except BlockingIOError:
                    time.sleep(0.01)  # the server stopped reading: TCP holds us back
            grown = _rss_kib(proc.pid) - baseline
            # The server stops reading above 1 MiB of pending echo (plus one read of at most
            # 256 KiB); without back-pressure it would hold all it was sent.
            assert sent > 8 << 20, f"only {sent} bytes could be sent"
            assert grown < 16 << 10, f"server grew {grown} KiB while sent {sent >> 10} KiB"
            assert cpu_seconds(proc.pid) < 60
        assert proc.poll() is None
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=IO_TIMEOUT)


# --- examples/timers.py --------------------------------------------------------------------


def test_timers_example_runs_in_order(pure: bool) -> None:
    proc = _run([str(ROOT / "examples" / "timers.py")], pure=pure)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = [re.fullmatch(r"\[(\d+\.\d+)s\] (.*)", line) for line in proc.stdout.splitlines()]
    assert all(lines), proc.stdout
    stamps = [float(m[1]) for m in lines if m]
    texts = [m[2] for m in lines if m]
    expected = [
        ("start:", 0.0),
        ("timer: one-shot", 0.3),
        ("ticker: tick 1", 0.45),
        ("ticker: tick 2", 0.9),
        ("priority: activating low, medium, high", 1.0),
        ("cancel: detached", 1.0),
        ("priority: high ran", 1.0),
        ("priority: medium ran", 1.0),
        ("priority: low ran", 1.0),
        ("ticker: tick 3", 1.35),
        ("ticker: tick 4", 1.8),
        ("loopexit: dispatch() returned (got_exit=True)", 2.0),
    ]
    assert len(texts) == len(expected), proc.stdout
    for text, stamp, (prefix, earliest) in zip(texts, stamps, expected, strict=True):
        assert text.startswith(prefix), proc.stdout
        # Timers never fire early; the stamps are taken after the fact, so they cannot be
        # earlier either. How late is up to the machine: only an upper bound for the whole.
        assert stamp >= earliest, proc.stdout
    assert stamps == sorted(stamps), proc.stdout
    assert stamps[-1] < 2.0 + 5.0, proc.stdout


# --- examples/echo_server.py, seed_echo.py and python -m fdevent --serve --------------------


SERVERS = {
    "examples-echo_server": [str(ROOT / "examples" / "echo_server.py")],
    "examples-seed_echo": [str(ROOT / "examples" / "seed_echo.py")],
    "fdevent-serve": ["-m", "fdevent", "--serve"],
}


@pytest.fixture(params=list(SERVERS))
def echo_server(
    request: pytest.FixtureRequest, pure: bool, backend_name: str
) -> Iterator[tuple[subprocess.Popen[str], int]]:
    """A running echo server process on a free port, and that port; terminated at the end.

    The backend is chosen through ``FDEVENT_BACKEND``, as examples/echo_server.py has no option
    for it: the spin this test looks for is backend-specific (a poller that reports a hung-up
    socket on every call, say).
    """
    args = [*SERVERS[request.param], "--port", "0"]
    proc = subprocess.Popen(
        [sys.executable, *args],
        cwd=IMPORT_ROOT,
        env=env_for(pure, backend_name),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = read_first_line(proc)
        m = re.search(r"echo server on [^ ]*:(\d+) \((?:backend )?(\w+)", first)
        assert m, first
        assert m[2] == backend_name, first
        yield proc, int(m[1])
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.communicate(timeout=IO_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()


def _echo(port: int, payload: bytes) -> bytes:
    """Send ``payload`` while reading the echo (as a real client must), then close politely."""
    with socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT) as sock:
        sender = threading.Thread(target=sock.sendall, args=(payload,), daemon=True)
        sender.start()
        received = bytearray()
        while len(received) < len(payload):
            data = sock.recv(1 << 16)
            if not data:
                break
            received += data
        sender.join(IO_TIMEOUT)
        # End of file from the client: the server must close its side too.
        sock.shutdown(socket.SHUT_WR)
        assert sock.recv(1) == b""
    return bytes(received)


def _abort(port: int, payload: bytes) -> None:
    """Send ``payload`` without reading the echo, then reset the connection (RST, not FIN)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT)
    try:
        sock.sendall(payload)
        time.sleep(0.1)  # let the server fill its output buffer and wait to write
    finally:
        # A zero linger time makes close() send RST: the server's next send() fails.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc/PID/stat")
def test_echo_server_echoes_and_does_not_spin(
    echo_server: tuple[subprocess.Popen[str], int],
) -> None:
    proc, port = echo_server
    payload = os.urandom(1 << 20)
    assert _echo(port, payload) == payload
    assert_idle(proc.pid)
    # A client that resets the connection while the server still owes it output.
    _abort(port, os.urandom(1 << 18))
    assert_idle(proc.pid)
    assert proc.poll() is None, proc.communicate()
    # Still serving after both.
    assert _echo(port, b"still there\r\n") == b"still there\r\n"


# --- examples/echo_client.py -----------------------------------------------------------------

ECHO_CLIENT = str(ROOT / "examples" / "echo_client.py")
#: What each echo_client.py connection sends with ``--messages 10``: every one of its sizes once.
TEN_MESSAGES = 1 + 13 + 100 + 1000 + 4096 + 65536 + 7 + 32768 + 2 + 12345


def test_echo_client_against_each_echo_server(
    echo_server: tuple[subprocess.Popen[str], int], pure: bool
) -> None:
    """One client for every echo server here: examples/echo_server.py, seed_echo.py and
    ``python -m fdevent --serve``."""
    proc, port = echo_server
    args = ["--port", str(port), "--clients", "3", "--messages", "10"]
    client = _run([ECHO_CLIENT, *args], pure=pure)
    assert client.returncode == 0, client.stdout + client.stderr
    assert client.stdout.splitlines() == [
        f"client {n}: 10 messages, {TEN_MESSAGES} bytes echoed intact" for n in range(3)
    ]
    assert client.stderr == ""
    assert_idle(proc.pid)
    assert proc.poll() is None


def test_echo_client_reports_a_corrupted_echo(pure: bool) -> None:
    """The client's verdict is worth something only if a wrong echo makes it fail."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(IO_TIMEOUT)

    def corrupt_echo() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.settimeout(IO_TIMEOUT)
            while data := conn.recv(65536):
                conn.sendall(bytes(b ^ 1 for b in data))

    server = threading.Thread(target=corrupt_echo, daemon=True)
    server.start()
    try:
        port = listener.getsockname()[1]
        args = ["--port", str(port), "--clients", "1", "--messages", "2"]
        client = _run([ECHO_CLIENT, *args], pure=pure)
        server.join(IO_TIMEOUT)
    finally:
        listener.close()
    assert client.returncode == 1, client.stdout + client.stderr
    assert client.stdout == ""
    assert client.stderr == "echo_client: client 0: message 0 (1 bytes) came back altered\n"


def test_echo_client_connection_refused(pure: bool) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))  # bound, not listening: refused
        port = probe.getsockname()[1]
        client = _run([ECHO_CLIENT, "--port", str(port), "--clients", "2"], pure=pure)
    assert client.returncode == 1
    assert client.stdout == ""
    lines = client.stderr.splitlines()
    assert [line.split(":")[0] for line in lines] == ["echo_client"] * 2, client.stderr
    assert all("refused" in line.lower() for line in lines), client.stderr


def test_mockclock_example_tests_pass_fast(pure: bool, backend_name: str) -> None:
    """examples/test_heartbeat.py, run as a user runs it: pytest; an hour in a few seconds."""
    env = env_for(pure, backend_name)
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         str(ROOT / "examples" / "test_heartbeat.py")],
        cwd=IMPORT_ROOT, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT,
        check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "3 passed" in proc.stdout
    assert time.monotonic() - started < RUN_TIMEOUT / 2
