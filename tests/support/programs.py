"""Running a program of this tree as a subprocess, reading its output line by line with timeouts.

Shared by the tests that run the examples, ``python -m fdevent`` and the documentation's
programs, and by those that need a fresh interpreter (Ctrl-C). A
:class:`Program` is started with the fdevent the tests import first on ``PYTHONPATH`` (and as
its working directory: the checkout, or an install when the tests run from an unpacked sdist,
whose own ``fdevent/`` has no compiled core), and the core and backend
chosen through ``FDEVENT_PURE`` / ``FDEVENT_BACKEND``; a reader thread collects its stdout so
``expect()`` can wait for a line with a deadline instead of blocking on a pipe. Leaving the
``with`` block kills the process (by its PID) if it is still running.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import TracebackType

from support import IMPORT_ROOT, ROOT

#: Seconds to wait for one expected line, or for a process to exit: generous, CI stalls.
WAIT = 20.0
#: Seconds a program run to its end may take before the test fails: generous, as CI machines
#: are slow.
RUN_TIMEOUT = 60.0
#: Seconds to wait for a server to print its address, or for one socket operation.
IO_TIMEOUT = 10.0


def env_for(pure: bool, backend: str | None = None) -> dict[str, str]:
    """The environment of a subprocess: the tested fdevent first on the path, core and backend
    chosen."""
    env = dict(os.environ)
    env.pop("FDEVENT_PURE", None)
    env.pop("FDEVENT_BACKEND", None)
    if pure:
        env["FDEVENT_PURE"] = "1"
    if backend is not None:
        env["FDEVENT_BACKEND"] = backend
    path = env.get("PYTHONPATH")
    env["PYTHONPATH"] = str(IMPORT_ROOT) + (os.pathsep + path if path else "")
    env["PYTHONUNBUFFERED"] = "1"
    return env


class Program:
    """``python ARGS`` in a subprocess whose stdout lines can be awaited."""

    def __init__(
        self, args: list[str], pure: bool, backend: str | None = None, merge_stderr: bool = False
    ) -> None:
        """``merge_stderr``: the program's stderr goes to its stdout, for ``expect()`` to read
        (a program that logs its address there, as uvicorn does)."""
        if args and args[0] != "-m" and not os.path.isabs(args[0]):
            args = [str(ROOT / args[0]), *args[1:]]  # a script of this tree: examples/...
        self.proc = subprocess.Popen(
            [sys.executable, *args],
            cwd=IMPORT_ROOT,
            env=env_for(pure, backend),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT if merge_stderr else subprocess.PIPE,
            text=True,
        )
        self.pid = self.proc.pid
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._stderr: list[str] = []
        self._readers = [
            threading.Thread(target=self._read_stdout, daemon=True),
            threading.Thread(target=self._read_stderr, daemon=True),
        ]
        for t in self._readers:
            t.start()

    def _read_stdout(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def _read_stderr(self) -> None:
        if self.proc.stderr is not None:  # None: merged into stdout
            self._stderr.append(self.proc.stderr.read())

    def expect(self, pattern: str, timeout: float = WAIT) -> re.Match[str]:
        """Wait for a stdout line matching ``pattern`` (``re.search``); fail on EOF or timeout."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            try:
                line = self._queue.get(timeout=max(left, 0.0))
            except queue.Empty:
                why = f"no line matching {pattern!r} in {timeout} s"
                raise AssertionError(f"{why}: {self}") from None
            if line is None:
                self._queue.put(None)  # keep reporting EOF to later calls
                raise AssertionError(f"exited before a line matching {pattern!r}: {self}")
            self.lines.append(line)
            m = re.search(pattern, line)
            if m:
                return m

    def signal(self, signum: int) -> None:
        """Send ``signum`` to the process (by its PID)."""
        self.proc.send_signal(signum)

    def wait(self, timeout: float = WAIT) -> int:
        """Wait for the exit, then collect the rest of the output; returns the exit code."""
        rc = self.proc.wait(timeout)
        for t in self._readers:
            t.join(timeout)
        while True:
            line = self._queue.get_nowait() if not self._queue.empty() else None
            if line is None:
                break
            self.lines.append(line)
        return rc

    @property
    def stdout(self) -> str:
        return "\n".join(self.lines)

    @property
    def stderr(self) -> str:
        return "".join(self._stderr)

    def __str__(self) -> str:
        return f"pid {self.pid}\n--- stdout:\n{self.stdout}\n--- stderr:\n{self.stderr}"

    def __enter__(self) -> Program:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(WAIT)
        for t in self._readers:
            t.join(WAIT)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


def pid_alive(pid: int) -> bool:
    """Whether a process ``pid`` exists and is not a zombie (``/proc`` where it exists)."""
    stat = Path(f"/proc/{pid}/stat")
    if stat.parent.parent.exists() and Path("/proc/self/stat").exists():
        try:
            text = stat.read_text()
        except (FileNotFoundError, ProcessLookupError):
            return False
        return text[text.rindex(")") + 2] != "Z"
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def read_first_line(proc: subprocess.Popen[str]) -> str:
    """A server's first line (where it listens, as a rule), read with a timeout."""
    stdout = proc.stdout
    assert stdout is not None
    result: list[str] = []
    reader = threading.Thread(target=lambda: result.append(stdout.readline()), daemon=True)
    reader.start()
    reader.join(IO_TIMEOUT)
    assert result, "the server printed nothing"
    return result[0]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid``, from ``/proc/PID/stat`` (fields 14 and 15)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    # The command name (field 2) is in parentheses and may hold spaces: split after it.
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def assert_idle(pid: int) -> None:
    """Process ``pid`` (a server with no client left) uses no CPU: it sleeps in its poller."""
    time.sleep(0.2)  # the server handles the client's leaving
    before = cpu_seconds(pid)
    time.sleep(0.5)
    used = cpu_seconds(pid) - before
    # Idle, the server sleeps in the poller: ~0 s. A spinning one would show ~0.5 s here.
    assert used <= 0.05, f"server used {used:.2f} s of CPU in 0.5 s with no client"
