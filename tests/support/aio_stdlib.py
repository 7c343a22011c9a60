"""Run one of CPython's asyncio test modules with its default loops made by fdevent.aio.

``python aio_stdlib.py MODULE ROUTE [I/N]`` (``MODULE``: e.g. ``test_locks``, from the running
interpreter's ``test.test_asyncio``; ``ROUTE``: ``fdevent`` or ``stock``; ``I/N``: run the
I-th of N parts of its test classes, by sorted name, default ``0/1``) runs those tests and
prints one line ``RESULT {json}``: the core, the Python version, and for each
test id (``Class.method``) its outcome (``pass``, ``fail``, ``error``, ``skip``) and the kinds
of event loop it created (``fdevent``, ``stock``, or the class name of another loop, such as
the tests' own ``TestLoop`` with its virtual clock).

The route. Every default loop the stdlib makes -- ``asyncio.new_event_loop()``,
``asyncio.run()``, ``asyncio.Runner()`` and ``IsolatedAsyncioTestCase`` without a factory,
``get_event_loop()`` creating one -- comes from the default policy's ``_loop_factory``, a
class attribute read through each new policy instance. Replacing it on the policy class
(``ROUTE`` ``fdevent``) reaches every one of those calls, and survives the modules' own
``set_event_loop_policy(None)`` resets, which make a new instance of the same class. A loop
built on purpose (``asyncio.SelectorEventLoop()``, the test utilities' ``TestLoop``) is left
alone and recorded as what it is, so the caller can tell the tests that ran on fdevent. Before
the module runs, the route is checked: ``new_event_loop()`` and ``asyncio.run()`` after a policy
reset must give an ``fdevent.aio.Loop``, or the run stops with an error.

``EXCLUDED`` test ids are run as well (an excluded test that passes is reported, so the list
cannot go stale) and marked in the result. Each test's start goes to stderr (``START id``); a
test running longer than ``PER_TEST`` seconds dumps every thread's stack and ends the process,
so the caller can name a hang. ``tests/test_aio_stdlib.py`` runs this per module and core.
"""

from __future__ import annotations

import sys

if __name__ == "__main__":
    # This file's folder (tests/support) is sys.path[0] when run as a script: take it off,
    # so none of its modules can stand in for one of the stdlib's.
    sys.path.pop(0)

import asyncio
import importlib
import importlib.util
import json
import time
import unittest
from pathlib import Path
from typing import Any

# The shared result recorder, loaded by its path (this folder is off sys.path, above).
_spec = importlib.util.spec_from_file_location("outcomes", Path(__file__).with_name("outcomes.py"))
assert _spec is not None and _spec.loader is not None
_outcomes = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_outcomes)

#: Seconds one test may run before the process dumps its stacks and exits: the slowest of
#: these modules' tests take a few seconds; a hang is what this catches.
PER_TEST = 60.0

#: module -> {class: why it is not run}: classes built on a stock loop on purpose, each left
#: out here with the reason (the docs list them too).
DROPPED: dict[str, dict[str, str]] = {
    "test_events": dict.fromkeys(
        ("SelectEventLoopTests", "PollEventLoopTests", "EPollEventLoopTests"),
        "EventLoopTestsMixin and SubprocessTestsMixin on asyncio.SelectorEventLoop(selector):"
        " the mixins run on fdevent.aio.Loop in tests/test_aio_conformance.py",
    ),
    "test_sslproto": {
        "SelectorStartTLSTests": "BaseStartTLS on asyncio.SelectorEventLoop(): the mixin runs"
        " on fdevent.aio.Loop in tests/test_aio_conformance.py",
    },
    "test_server": {
        "SelectorStartServerTests": "BaseStartServer on asyncio.SelectorEventLoop(): it runs on"
        " fdevent.aio.Loop in tests/test_aio_conformance.py",
    },
    "test_unix_events": {
        "SelectorEventLoopSignalTests": "mocks asyncio.unix_events.signal and checks the stdlib"
        " loop's calls on it (set_wakeup_fd, SIG_DFL); fdevent.aio's handlers go through"
        " fdevent's process registry by design (tests/test_aio_unix.py)",
    },
}

_created: list[str] = []


def _record_loops() -> None:
    # Every loop the stdlib can make is a BaseEventLoop: note the kind of each one created.
    init = asyncio.BaseEventLoop.__init__

    def recording_init(self: asyncio.BaseEventLoop, *args: Any, **kwargs: Any) -> None:
        cls = type(self)
        if cls.__module__.startswith("fdevent."):
            _created.append("fdevent")
        elif cls is asyncio.SelectorEventLoop:
            _created.append("stock")
        else:
            _created.append(cls.__name__)
        init(self, *args, **kwargs)

    asyncio.BaseEventLoop.__init__ = recording_init  # type: ignore[method-assign,assignment]


def route_to_fdevent() -> None:
    """Make the default policy's loops ``fdevent.aio.Loop``s, and check that they are.

    Raises:
        RuntimeError: a default loop made after the route is not fdevent's.
    """
    import fdevent.aio

    loop_class = fdevent.aio.Loop
    # A class attribute called as self._loop_factory(): a class is not bound, so use it as is.
    asyncio.DefaultEventLoopPolicy._loop_factory = loop_class  # type: ignore[attr-defined]
    asyncio.set_event_loop_policy(None)
    loop = asyncio.new_event_loop()
    loop.close()

    async def running() -> type:
        return type(asyncio.get_running_loop())

    ran_on = asyncio.run(running())
    asyncio.set_event_loop_policy(None)
    if type(loop) is not loop_class or ran_on is not loop_class:
        raise RuntimeError(f"the route failed: new_event_loop {type(loop)}, run {ran_on}")


def _fdevent_loop() -> asyncio.AbstractEventLoop:
    import fdevent.aio

    return fdevent.aio.Loop()


def bind(module: Any) -> None:
    """Give fdevent loops to the test classes of ``module`` that build theirs by hand.

    test_runners' and test_pep492's cases make a bare ``asyncio.BaseEventLoop()`` and replace
    its private ``_selector``, ``_process_events`` and ``_write_to_self`` with mocks, so that
    it can run without a selector; an fdevent loop needs none of that, and gets the one public
    instrument test_runners reads (whether ``shutdown_asyncgens`` ran). test_unix_events'
    Unix socket tests make ``asyncio.SelectorEventLoop()`` in ``setUp``: that name gives an
    fdevent loop while their ``setUp`` runs.
    """
    name = module.__name__.rpartition(".")[2]
    if name == "test_runners":

        def new_loop(self: Any) -> asyncio.AbstractEventLoop:
            loop: Any = _fdevent_loop()
            loop.shutdown_ag_run = False
            shutdown = loop.shutdown_asyncgens

            async def shutdown_asyncgens() -> None:
                loop.shutdown_ag_run = True
                await shutdown()

            loop.shutdown_asyncgens = shutdown_asyncgens
            return loop  # type: ignore[no-any-return]

        module.BaseTest.new_loop = new_loop
    elif name == "test_pep492":

        def set_up(self: Any) -> None:
            module.test_utils.TestCase.setUp(self)
            self.loop = _fdevent_loop()
            self.set_event_loop(self.loop)

        module.BaseTest.setUp = set_up
    elif name == "test_unix_events":
        case = module.SelectorEventLoopUnixSocketTests
        original = case.setUp

        def unix_set_up(self: Any) -> None:
            stock = asyncio.SelectorEventLoop
            asyncio.SelectorEventLoop = _fdevent_loop  # type: ignore[assignment]
            try:
                original(self)
            finally:
                asyncio.SelectorEventLoop = stock

        case.setUp = unix_set_up


class _Outcomes(_outcomes.Outcomes):  # type: ignore[misc]
    """Each test's outcome and the loops it made, by ``Class.method``."""

    def __init__(self) -> None:
        super().__init__(PER_TEST)
        self.outcomes: dict[str, list[Any]] = {}
        # 3.12 reports a skipped class's tests with stopTest() and no startTest().
        self._t0 = time.monotonic()

    def key(self, test: unittest.TestCase) -> str:
        # Class.method: a module's classes share method names.
        return ".".join(test.id().split(".")[-2:])

    def startTest(self, test: unittest.TestCase) -> None:
        self._t0 = time.monotonic()
        super().startTest(test)

    def finish(self, test: unittest.TestCase) -> None:
        entry = self.outcomes.setdefault(self.key(test), ["pass", []])
        # The loops made since the previous test ended: 3.10's IsolatedAsyncioTestCase makes
        # its loop before the result hears of the test's start.
        entry[1] = sorted(set(_created))
        _created.clear()
        entry.append(round(time.monotonic() - self._t0, 3))

    def set_outcome(self, key: str, outcome: str) -> None:
        self.outcomes.setdefault(key, ["pass", []])[0] = outcome

    def addError(self, test: Any, err: Any) -> None:
        if not isinstance(test, unittest.TestCase):  # a class or module fixture failed
            unittest.TestResult.addError(self, test, err)
            print(f"ERROR {test}\n{self.errors[-1][1]}", file=sys.stderr, flush=True)
            self.outcomes[str(test)] = ["error", []]
            return
        super().addError(test, err)

    def addSubTest(self, test: unittest.TestCase, subtest: Any, err: Any) -> None:
        super().addSubTest(test, subtest, err)
        if err is not None:
            failed = issubclass(err[0], test.failureException)
            detail = (self.failures if failed else self.errors)[-1][1]
            self.mark(test, "fail" if failed else "error", f"{subtest}\n{detail}")


def main() -> int:
    module, route = sys.argv[1], sys.argv[2]
    part, parts = (int(n) for n in (sys.argv[3] if len(sys.argv) > 3 else "0/1").split("/"))
    _record_loops()
    if route == "fdevent":
        route_to_fdevent()
    mod = importlib.import_module(f"test.test_asyncio.{module}")
    _created.clear()  # the route's own check
    if route == "fdevent":
        bind(mod)
    dropped = DROPPED.get(module, {})
    cases = sorted(
        name
        for name, obj in vars(mod).items()
        if isinstance(obj, type)
        and issubclass(obj, unittest.TestCase)
        and obj.__module__ == mod.__name__
        and name not in dropped
    )
    loader = unittest.defaultTestLoader
    suite = unittest.TestSuite(
        loader.loadTestsFromTestCase(getattr(mod, name)) for name in cases[part::parts]
    )
    result = _Outcomes()
    t0 = time.monotonic()
    suite.run(result)
    import fdevent

    report = {
        "core": fdevent.CORE,
        "python": "{}.{}".format(*sys.version_info[:2]),
        "seconds": round(time.monotonic() - t0, 2),
        "outcomes": result.outcomes,
    }
    print("RESULT " + json.dumps(report), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
