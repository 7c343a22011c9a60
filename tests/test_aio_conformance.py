"""CPython's own asyncio loop-conformance tests, run against ``fdevent.aio.Loop``.

The running interpreter's ``test.test_asyncio`` mixins (``support/aio_conformance.py``
lists them: EventLoopTestsMixin, SubprocessTestsMixin, BaseSockTestsMixin, the sendfile
tests, BaseStartServer, BaseStartTLS, BaseTestBufferedProtocol) are bound to a loop factory
and run in a subprocess per suite and loop, with a timeout, so a hang fails one test here
instead of stopping the suite. Each suite runs on three loops: the stdlib's own selector loop
(the control: a test that fails there fails for the machine, not for fdevent) and
``fdevent.aio.Loop`` on each core, and the test asserts which core the subprocess ran.

Every test must pass on fdevent except those named in ``EXCLUDED`` with a reason; an excluded
test that passes is a failure too, so the list cannot go stale. At this stage it is empty:
every test of these suites passes on 3.10-3.13, on both cores.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from support.programs import env_for

RUNNER = Path(__file__).parent / "support" / "aio_conformance.py"
SUITES = (
    "events",
    "subprocess",
    "sock_lowlevel",
    "sendfile",
    "server",
    "start_tls",
    "buffered_proto",
)
LOOPS = ("stock", "pure", "compiled")
#: Seconds a whole suite may take in its subprocess (the slowest takes about 5 on this
#: machine; each test inside also has its own 60 s watchdog).
SUITE_TIMEOUT = 240.0
#: (suite, test) -> why it does not pass on fdevent.aio: a test that reads the stdlib loop's
#: private attributes, or a feature not built yet. Keyed by name, for every Python version.
EXCLUDED: dict[tuple[str, str], str] = {}


def _run(suite: str, loop: str) -> dict[str, object]:
    env = env_for(pure=loop == "pure")
    which = "stock" if loop == "stock" else "fdevent"
    try:
        proc = subprocess.run(
            [sys.executable, str(RUNNER), suite, which],
            env=env,
            capture_output=True,
            text=True,
            timeout=SUITE_TIMEOUT,
        )
    except subprocess.TimeoutExpired as exc:
        started = [ln for ln in (exc.stderr or b"").decode().splitlines() if ln.startswith("START")]
        pytest.fail(f"{suite} on {loop} did not finish in {SUITE_TIMEOUT} s; last: {started[-1:]}")
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    assert lines, f"{suite} on {loop}: no result (exit {proc.returncode})\n{proc.stderr[-4000:]}"
    report: dict[str, object] = json.loads(lines[-1][len("RESULT ") :])
    report["stderr"] = proc.stderr
    return report


@pytest.mark.parametrize("loop", LOOPS)
@pytest.mark.parametrize("suite", SUITES)
def test_stdlib_conformance(suite: str, loop: str) -> None:
    report = _run(suite, loop)
    outcomes = report["outcomes"]
    assert isinstance(outcomes, dict) and outcomes, f"{suite}: no test ran"
    if loop == "stock":
        assert report["loop"] == "asyncio.unix_events._UnixSelectorEventLoop"
    else:
        assert report["core"] == loop
        assert report["loop"] == f"fdevent._{loop}.aio.loop.Loop"
    excluded = {test for (s, test) in EXCLUDED if s == suite} if loop != "stock" else set()
    failed = sorted(t for t, o in outcomes.items() if o in ("fail", "error") and t not in excluded)
    assert not failed, f"{suite} on {loop}: {failed}\n{str(report['stderr'])[-6000:]}"
    passing_excluded = sorted(t for t in excluded if outcomes.get(t) == "pass")
    assert not passing_excluded, f"{suite}: excluded but passing, drop them: {passing_excluded}"


def test_every_exclusion_names_a_suite_and_a_reason() -> None:
    for (suite, test), reason in EXCLUDED.items():
        assert suite in SUITES and test.startswith("test"), (suite, test)
        assert len(reason) > 20, f"{suite}.{test}: say why"
