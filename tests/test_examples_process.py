"""The wave-2 examples, run as programs: graceful_shutdown.py, worker_threads.py, prefork.py.

Each runs in a subprocess against 127.0.0.1, on both cores and every backend (conftest's
``pure`` and ``backend_name``, passed on through ``FDEVENT_PURE`` and ``FDEVENT_BACKEND``), every
wait bounded; a process still running at the end is killed by its PID.
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import socket
import time
from collections.abc import Iterator

import pytest
from support.programs import WAIT, Program, pid_alive


def core_name(pure: bool) -> str:
    return "pure" if pure else "compiled"


def wait_gone(pids: set[int], timeout: float = WAIT) -> set[int]:
    """Wait until none of ``pids`` is alive; returns those still alive at the deadline."""
    deadline = time.monotonic() + timeout
    alive = {p for p in pids if pid_alive(p)}
    while alive and time.monotonic() < deadline:
        time.sleep(0.02)
        alive = {p for p in alive if pid_alive(p)}
    return alive


# -- graceful_shutdown.py ------------------------------------------------------------------------


@pytest.fixture
def shutdown_server(pure: bool, backend_name: str) -> Iterator[tuple[Program, int]]:
    args = ["examples/graceful_shutdown.py", "--port", "0"]
    with Program(args, pure, backend_name) as prog:
        m = prog.expect(r"listening on 127\.0\.0\.1:(\d+) \(backend (\w+), core (\w+)\)")
        assert m[2] == backend_name, str(prog)
        assert m[3] == core_name(pure), str(prog)
        yield prog, int(m[1])


def send_job(port: int, name: str, seconds: float) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
    sock.sendall(f"job {name} {seconds}\n".encode())
    return sock


def read_all(sock: socket.socket) -> bytes:
    data = b""
    while chunk := sock.recv(4096):
        data += chunk
    sock.close()
    return data


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_graceful_shutdown_finishes_in_flight_jobs_and_refuses_new_ones(
    shutdown_server: tuple[Program, int], signum: int
) -> None:
    prog, port = shutdown_server
    jobs = {"a": 0.6, "b": 1.0, "c": 0.6}
    # Connected first: the kernel's accept queue is FIFO, so once the jobs have started the
    # server has accepted this one too.
    idle = socket.create_connection(("127.0.0.1", port), timeout=WAIT)  # never asks anything
    socks = {name: send_job(port, name, s) for name, s in jobs.items()}
    for _ in jobs:
        prog.expect(r"job \w+ started")
    sent_at = time.monotonic()
    prog.signal(signum)
    m = prog.expect(r"stopped accepting; closed (\d+) idle connection\(s\); (\d+) job\(s\)")
    assert (m[1], m[2]) == ("1", "3"), str(prog)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=WAIT).close()
    assert read_all(idle) == b""
    for name, sock in socks.items():
        assert read_all(sock) == f"done {name}\n".encode(), str(prog)
    # The answers came after the signal: the jobs were in flight when it arrived.
    assert time.monotonic() - sent_at > 0.2
    assert prog.wait() == 0, str(prog)
    assert prog.lines[-1].endswith("stopped: served 3, abandoned 0"), str(prog)
    assert "Traceback" not in prog.stderr, str(prog)


def test_graceful_shutdown_second_signal_abandons_the_jobs(
    shutdown_server: tuple[Program, int],
) -> None:
    prog, port = shutdown_server
    sock = send_job(port, "slow", 30)
    prog.expect(r"job slow started")
    prog.signal(signal.SIGTERM)
    prog.expect(r"stopped accepting")
    prog.signal(signal.SIGTERM)
    prog.expect(r"SIGTERM again: abandoning 1 job")
    assert read_all(sock) == b""  # closed without an answer
    assert prog.wait() == 1, str(prog)
    assert prog.lines[-1].endswith("stopped: served 0, abandoned 1"), str(prog)


def test_graceful_shutdown_with_nothing_in_flight_exits_at_once(
    shutdown_server: tuple[Program, int],
) -> None:
    prog, _ = shutdown_server
    t0 = time.monotonic()
    prog.signal(signal.SIGTERM)
    assert prog.wait() == 0, str(prog)
    assert time.monotonic() - t0 < WAIT
    assert prog.lines[-1].endswith("stopped: served 0, abandoned 0"), str(prog)


# -- worker_threads.py ---------------------------------------------------------------------------


def test_worker_threads_results_come_back_in_the_loop_thread(pure: bool, backend_name: str) -> None:
    jobs = 12
    # A progress tick far longer than the whole run: if activate() from a worker did not wake
    # the loop, results would wait for the tick and the latencies below would show it.
    args = ["examples/worker_threads.py", "--jobs", str(jobs), "--workers", "3", "--tick", "5"]
    with Program(args, pure, backend_name) as prog:
        assert prog.wait() == 0, str(prog)
    out = prog.stdout
    assert f"(backend {backend_name}, core {core_name(pure)})" in out, out
    results = re.findall(
        r"result (\d+): ([0-9a-f]{16}) latency ([\d.]+) ms \(loop thread: (\w+)\)", out
    )
    assert sorted(int(job) for job, *_ in results) == list(range(jobs)), out
    for job, digest, latency, in_loop in results:
        full = hashlib.sha256(int(job).to_bytes(4, "big") * (1 << 18)).hexdigest()
        assert digest == full[:16], out
        assert in_loop == "yes", out
        assert float(latency) < 1000.0, out  # a wakeup, not the 5 s tick
    assert prog.lines[-1].endswith(f"done: {jobs}/{jobs} results, all in the loop thread: True")


# -- prefork.py ----------------------------------------------------------------------------------


def ask_pids(port: int, n: int) -> list[int]:
    """``n`` connections opened at once, then each answer read: served by whoever accepted."""
    socks = [socket.create_connection(("127.0.0.1", port), timeout=WAIT) for _ in range(n)]
    pids = []
    for sock in socks:
        with sock:
            data = b""
            while chunk := sock.recv(64):
                data += chunk
        m = re.fullmatch(rb"pid (\d+)\n", data)
        assert m, data
        pids.append(int(m[1]))
    return pids


def test_prefork_serves_from_several_workers_restarts_and_stops(
    pure: bool, backend_name: str
) -> None:
    args = ["examples/prefork.py", "--workers", "3", "--port", "0", "--busy", "0.05"]
    with Program(args, pure, backend_name) as prog:
        m = prog.expect(r"listening on 127\.0\.0\.1:(\d+) with 3 workers \(backend (\w+)")
        assert m[2] == backend_name, str(prog)
        port = int(m[1])
        workers = {int(prog.expect(r"worker started pid=(\d+)")[1]) for _ in range(3)}
        assert len(workers) == 3
        assert prog.pid not in workers
        every = set(workers)

        pids = ask_pids(port, 24)
        assert set(pids) <= workers, (pids, workers)
        assert len(set(pids)) >= 2, f"one worker served everything: {pids}"

        victim = min(workers)
        os.kill(victim, signal.SIGKILL)  # a worker dies: the parent reaps and replaces it
        m = prog.expect(rf"worker pid={victim} exited \(signal SIGKILL\); starting a new one")
        new = int(prog.expect(r"worker started pid=(\d+)")[1])
        workers = (workers - {victim}) | {new}
        every.add(new)
        assert not wait_gone({victim}), "the dead worker was not reaped"
        assert pid_alive(new)
        pids = ask_pids(port, 24)
        assert set(pids) <= workers, (pids, workers)

        prog.signal(signal.SIGTERM)
        prog.expect(r"SIGTERM: stopping 3 worker\(s\)")
        assert prog.wait() == 0, str(prog)
        assert prog.lines[-1].endswith("exit: 0 worker(s) had to be killed"), str(prog)
        for pid in workers:
            assert f"worker pid={pid} exited (status 0)" in prog.stdout, str(prog)
        assert not wait_gone(every), "worker processes outlived the parent"
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=WAIT).close()
