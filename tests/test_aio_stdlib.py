"""CPython's own asyncio test modules, their default loops made by ``fdevent.aio.Loop``.

Each module of the running interpreter's ``test.test_asyncio`` named in ``MODULES`` runs in
its own interpreter (``support/aio_stdlib.py``) with the default policy's loop factory routed
to ``fdevent.aio.Loop``: every ``asyncio.new_event_loop()``, ``asyncio.run()``, ``Runner`` and
``IsolatedAsyncioTestCase`` loop is fdevent's, on the core under test. The runner checks the
route before the module runs and records the kind of every loop each test makes; here each
(core, module) asserts that

- every test passes, except those named in ``EXCLUDED`` with a reason, and those fail (an
  excluded test that passes is a failure, so the list cannot go stale);
- tests ran on fdevent loops, and none made a stock selector loop (a route that silently fell
  back would);
- the subprocess ran the core asked for and finished within ``MODULE_TIMEOUT`` (a hang inside
  one test ends it after ``PER_TEST`` seconds with every thread's stack on stderr).

The modules run on a small pool of subprocesses, started together on first use: each is its
own interpreter, so their results do not depend on one another or on the order. The modules
left out, and the classes of the included ones that are left out, are listed with the reason
in ``NOT_RUN`` and in ``support/aio_stdlib.py``'s ``DROPPED`` (the docs' "CPython's asyncio
tests on fdevent" lists both).
"""

from __future__ import annotations

import concurrent.futures
import faulthandler
import json
import os
import subprocess
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from support.programs import env_for

RUNNER = Path(__file__).parent / "support" / "aio_stdlib.py"
#: module of test.test_asyncio -> the first Python version that has it.
MODULES: dict[str, tuple[int, int]] = {
    "test_context": (3, 10),
    "test_eager_task_factory": (3, 12),
    "test_events": (3, 10),
    "test_futures2": (3, 10),
    "test_locks": (3, 10),
    "test_pep492": (3, 10),
    "test_queues": (3, 11),  # 3.10: every test runs on test_utils.TestLoop
    "test_runners": (3, 10),
    "test_server": (3, 12),  # 3.10-3.11: only the BaseStartServer classes, run elsewhere
    "test_ssl": (3, 11),
    "test_sslproto": (3, 10),
    "test_staggered": (3, 13),
    "test_streams": (3, 10),
    "test_subprocess": (3, 10),
    "test_taskgroups": (3, 11),
    "test_tasks": (3, 10),
    "test_threads": (3, 10),
    "test_timeouts": (3, 11),
    "test_unix_events": (3, 10),
    "test_waitfor": (3, 10),
}
#: The loop-level modules not run here, and why.
NOT_RUN: dict[str, str] = {
    "test_base_events": "tests BaseEventLoop itself: bare BaseEventLoop()s with mocked private"
    " _selector, _process_events and _write_to_self, and the stdlib's own _run_once",
    "test_selector_events": "tests BaseSelectorEventLoop's and its transports' internals on"
    " mocked selectors and sockets (_selector, _add_reader calls, _ready contents)",
    "test_futures": "every test runs on test_utils.TestLoop, the tests' virtual-clock loop",
    "test_sock_lowlevel": "its classes bind BaseSockTestsMixin to asyncio.SelectorEventLoop"
    "(selector): the mixin runs on fdevent.aio.Loop in tests/test_aio_conformance.py",
    "test_sendfile": "its classes bind the sendfile mixins to asyncio.SelectorEventLoop"
    "(selector): the mixins run on fdevent.aio.Loop in tests/test_aio_conformance.py",
    "test_buffered_proto": "its class binds BaseTestBufferedProtocol to asyncio."
    "SelectorEventLoop(): the mixin runs on fdevent.aio.Loop in tests/test_aio_conformance.py",
    "test_protocols": "makes no loop: the abstract protocol classes' methods",
    "test_transports": "makes no loop: the abstract transport classes' methods",
}
CORES = ("pure", "compiled")
#: Seconds one subprocess may take (the slowest, test_ssl, takes 15-25 on this machine).
MODULE_TIMEOUT = 300.0
#: (module, "Class.test") -> why it does not pass on fdevent.aio: a test that reads the stdlib
#: loop's private attributes. Keyed by name, for every Python version.
EXCLUDED: dict[tuple[str, str], str] = {}
#: Modules run in parts (their test classes dealt out by sorted name), one subprocess and one
#: test each, so that no test here waits long for its subprocess.
PARTS: dict[str, int] = {"test_tasks": 4, "test_subprocess": 2}
#: (module, "Class.test") -> why it asks for a stock loop itself (its factory given by name).
STOCK_ON_PURPOSE: dict[tuple[str, str], str] = {
    ("test_runners", "RunTests.test_loop_factory_default_event_loop"): "3.13+: runs"
    " asyncio.run(main(), loop_factory=asyncio.EventLoop), the stdlib's loop by name",
}
#: Subprocesses at once: the machine's cores, at most 4 (each module is one process).
WORKERS = max(1, min(4, os.cpu_count() or 1))

#: Every subprocess: (module, part, core), in the order the tests below ask for them.
#: The modules this Python has (a newer module is not a test here; docs/aio-stdlib-tests.md
#: lists which run on which version).
JOBS = [
    (m, i, c)
    for m, since in MODULES.items()
    if sys.version_info >= since
    for i in range(PARTS.get(m, 1))
    for c in CORES
]

_pool: ThreadPoolExecutor | None = None
_runs: dict[tuple[str, int, str], Future[dict[str, Any]]] = {}


def _run(module: str, part: int, core: str) -> dict[str, Any]:
    t0 = time.monotonic()
    args = [sys.executable, str(RUNNER), module, "fdevent", f"{part}/{PARTS.get(module, 1)}"]
    try:
        proc = subprocess.run(
            args,
            env=env_for(pure=core == "pure"),
            capture_output=True,
            text=True,
            timeout=MODULE_TIMEOUT,
        )
    except subprocess.TimeoutExpired as exc:
        err = exc.stderr.decode() if isinstance(exc.stderr, bytes) else exc.stderr or ""
        started = [ln for ln in err.splitlines() if ln.startswith("START")]
        return {"timeout": f"did not finish in {MODULE_TIMEOUT} s; last: {started[-1:]}"}
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if not lines:
        return {"timeout": f"no result (exit {proc.returncode})", "stderr": proc.stderr}
    report: dict[str, Any] = json.loads(lines[-1][len("RESULT ") :])
    report["stderr"] = proc.stderr
    report["wall"] = time.monotonic() - t0
    return report


def _result(module: str, part: int, core: str) -> dict[str, Any]:
    # On first use every subprocess is queued on the pool, in the tests' order: each test
    # then waits for its own and at most WORKERS - 1 others.
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(WORKERS)
        for job in JOBS:
            _runs[job] = _pool.submit(_run, *job)
        _pool.shutdown(wait=False)
    return _wait(_runs[module, part, core])


def _wait(job: Future[dict[str, Any]]) -> dict[str, Any]:
    # pytest's faulthandler_timeout (60 s) stops the whole run when one test hangs. This test
    # cannot hang: it waits on a subprocess that is killed after MODULE_TIMEOUT. But on a
    # loaded machine its module can take longer than 60 s, so while the subprocess is still
    # within its own bound the watchdog is re-armed (pytest cancels it when the test ends).
    while True:
        try:
            return job.result(timeout=20.0)
        except concurrent.futures.TimeoutError:
            faulthandler.dump_traceback_later(60.0, exit=True)


@pytest.mark.parametrize(
    ("module", "part", "core"),
    JOBS,
    ids=[f"{m}-{c}" if m not in PARTS else f"{m}-{i + 1}of{PARTS[m]}-{c}" for m, i, c in JOBS],
)
def test_stdlib_module_on_fdevent(module: str, part: int, core: str) -> None:
    report = _result(module, part, core)
    assert "timeout" not in report, f"{module} on {core}: {report}"
    assert report["core"] == core
    outcomes: dict[str, list[Any]] = report["outcomes"]
    assert outcomes, f"{module}: no test ran"
    excluded = {test for (m, test) in EXCLUDED if m == module}
    failed = sorted(
        t for t, o in outcomes.items() if o[0] in ("fail", "error") and t not in excluded
    )
    assert not failed, f"{module} on {core}: {failed}\n{report['stderr'][-6000:]}"
    # An exclusion must still fail here: one that passes, or names no test, is stale.
    stale = sorted(t for t in excluded if outcomes.get(t, ["missing"])[0] not in ("fail", "error"))
    assert not stale, f"{module}: excluded but not failing (or not found), drop them: {stale}"
    on_fdevent = [t for t, o in outcomes.items() if "fdevent" in o[1]]
    on_stock = [
        t for t, o in outcomes.items() if "stock" in o[1] and (module, t) not in STOCK_ON_PURPOSE
    ]
    assert on_fdevent, f"{module}: no test made an fdevent loop"
    assert not on_stock, f"{module}: these made a stock loop, the route missed them: {on_stock}"
    counts = {
        "ran": sum(o[0] != "skip" for o in outcomes.values()),
        "passed": sum(o[0] == "pass" for o in outcomes.values()),
        "skipped": sum(o[0] == "skip" for o in outcomes.values()),
        "on_fdevent": len(on_fdevent),
        "excluded": len(excluded),
        "seconds": report["seconds"],
    }
    # The counts, for the docs' table: FDEVENT_AIO_STDLIB_COUNTS names a file to append to.
    out = os.environ.get("FDEVENT_AIO_STDLIB_COUNTS")
    if out:
        line = {"python": report["python"], "module": module, "part": part, "core": core}
        line.update(counts)
        with open(out, "a", encoding="utf-8") as f:
            f.write(json.dumps(line) + "\n")


def test_every_exclusion_names_a_module_and_a_reason() -> None:
    for (module, test), reason in EXCLUDED.items():
        assert module in MODULES and "." in test, (module, test)
        assert len(reason) > 20, f"{module}.{test}: say why"
    for module, test in STOCK_ON_PURPOSE:
        assert module in MODULES and "." in test, (module, test)
    assert not set(NOT_RUN) & set(MODULES)


def test_the_docs_name_what_is_left_out() -> None:
    # docs/aio-stdlib-tests.md lists every module and class not run, and every exclusion.
    page = (Path(__file__).parents[1] / "docs" / "aio-stdlib-tests.md").read_text()
    from support.aio_stdlib import DROPPED

    names = [*NOT_RUN, *(c for classes in DROPPED.values() for c in classes)]
    names += [test for (_, test) in [*EXCLUDED, *STOCK_ON_PURPOSE]]
    missing = [name for name in names if name not in page]
    assert not missing, f"docs/aio-stdlib-tests.md does not name {missing}"
    for module in MODULES:
        assert f"| {module} |" in page, f"no counts for {module}"
