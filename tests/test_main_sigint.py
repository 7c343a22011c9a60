"""``python -m fdevent`` stopped with Ctrl-C (SIGINT) ends cleanly: its summary, exit 0.

The demo handles Ctrl-C with a ``Signal`` event from its first line on; SIGINT is sent once
its first progress line (a Ticker's) shows the loop running: while the loop waits (the
clients pause 5 s between messages), and while it is busy (no pause). Both cores
(conftest's ``pure``), every backend (conftest's ``backend_name``), each in a subprocess: no test
imports ``fdevent.__main__``.
"""

from __future__ import annotations

import signal

from support.programs import Program


def test_demo_ctrl_c_prints_the_summary_and_exits_0(pure: bool, backend_name: str) -> None:
    args = ["-m", "fdevent", "--backend", backend_name, "--pause", "5", "--messages", "50"]
    with Program(args, pure) as prog:
        prog.expect(r"echo server on 127\.0\.0\.1:\d+ ")
        prog.expect(r"\] tick 1: ")  # the clients now wait 5 s between messages
        prog.signal(signal.SIGINT)
        rc = prog.wait()
        assert rc == 0, str(prog)
        assert "Traceback" not in prog.stderr, str(prog)
        out = prog.stdout
        assert "interrupted (Ctrl-C)" in out, str(prog)
        assert "\nsummary:\n" in out, str(prog)
        assert f"  backend: {backend_name}" in out, str(prog)
        assert "  interrupted: yes" in out, str(prog)
        assert prog.lines[-1] == "result: INTERRUPTED", str(prog)
        # The demo really was cut short: 5 clients x 50 messages cannot pass in that time.
        assert "  messages: 250/250" not in out, str(prog)


def test_demo_ctrl_c_in_full_flow(pure: bool, backend_name: str) -> None:
    """Ctrl-C while every client is busy sending and checking, not pausing: the signal
    arrives while the loop runs callbacks and calls into the base, not only while it polls."""
    args = ["-m", "fdevent", "--backend", backend_name, "--pause", "0", "--messages", "1000"]
    with Program(args, pure) as prog:
        prog.expect(r"\] tick 1: ")
        prog.signal(signal.SIGINT)
        assert prog.wait() == 0, str(prog)
        assert "Traceback" not in prog.stderr, str(prog)
        assert "  interrupted: yes" in prog.stdout, str(prog)
        assert "FAILED" not in prog.stdout, str(prog)
        assert prog.lines[-1] == "result: INTERRUPTED", str(prog)


def test_serve_ctrl_c_prints_what_it_served_and_exits_0(pure: bool, backend_name: str) -> None:
    args = ["-m", "fdevent", "--serve", "--port", "0", "--backend", backend_name]
    with Program(args, pure) as prog:
        prog.expect(r"echo server on 127\.0\.0\.1:\d+ ")
        prog.signal(signal.SIGINT)
        rc = prog.wait()
        assert rc == 0, str(prog)
        assert "Traceback" not in prog.stderr, str(prog)
        assert prog.lines[-1] == "stopped: 0 connections, 0 bytes echoed", str(prog)


def test_demo_run_to_the_end_is_not_marked_interrupted(pure: bool) -> None:
    """The summary line of an uninterrupted run is unchanged by the Ctrl-C handling."""
    with Program(["-m", "fdevent", "--clients", "1", "--messages", "2"], pure) as prog:
        rc = prog.wait()
        assert rc == 0, str(prog)
        assert prog.lines[-1] == "result: OK", str(prog)
        assert "interrupted" not in prog.stdout, str(prog)
