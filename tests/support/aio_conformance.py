"""Run one of CPython's asyncio loop-conformance mixins against a loop; print the outcomes.

``python aio_conformance.py SUITE LOOP`` (``LOOP``: ``fdevent`` or ``stock``) binds the mixin
of the running interpreter's ``test.test_asyncio`` named by ``SUITE`` (see ``SUITES``) to a
test case whose loop factory makes ``fdevent.aio.Loop()`` (on the core ``FDEVENT_PURE``
chooses) or the stdlib's ``asyncio.SelectorEventLoop()``, runs every test of it, and prints
one line ``RESULT {json}``: the core, the loop's class and each test's outcome (``pass``,
``fail``, ``error``, ``skip``). Each test's start is written to stderr first (``START name``)
and a test that runs longer than ``PER_TEST`` seconds dumps every thread's stack and ends the
process, so the caller can name a hang. ``tests/test_aio_conformance.py`` runs this in a
subprocess per suite, loop and core.
"""

from __future__ import annotations

import sys

# This file's folder (tests/support) is sys.path[0] when run as a script: take it off, so
# none of its modules can stand in for one of the stdlib's.
sys.path.pop(0)

import asyncio
import importlib
import importlib.util
import json
import unittest
from pathlib import Path
from typing import Any

# The shared result recorder, loaded by its path (this folder is off sys.path, above).
_spec = importlib.util.spec_from_file_location("outcomes", Path(__file__).with_name("outcomes.py"))
assert _spec is not None and _spec.loader is not None
_outcomes = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_outcomes)

#: suite -> (module of test.test_asyncio, the classes to bind, how the case makes its loop, the
#: class whose tests are run). "utils" cases are test_utils.TestCase with create_event_loop();
#: "functional" ones are the stdlib's own selector-loop case with new_loop() replaced. The
#: subprocess tests need UnixEventLoopTestsMixin's child watcher (3.10-3.13), which brings
#: EventLoopTestsMixin's tests along: only SubprocessTestsMixin's are run there.
SUITES: dict[str, tuple[str, tuple[str, ...], str, str]] = {
    "events": ("test_events", ("EventLoopTestsMixin",), "utils", "EventLoopTestsMixin"),
    "subprocess": (
        "test_events",
        ("UnixEventLoopTestsMixin", "SubprocessTestsMixin"),
        "utils",
        "SubprocessTestsMixin",
    ),
    "sock_lowlevel": ("test_sock_lowlevel", ("BaseSockTestsMixin",), "utils", "BaseSockTestsMixin"),
    "server": (
        "test_server",
        ("SelectorStartServerTests",),
        "functional",
        "SelectorStartServerTests",
    ),
    "sendfile": ("test_sendfile", ("SendfileTestsBase",), "utils", "SendfileTestsBase"),
    "start_tls": ("test_sslproto", ("SelectorStartTLSTests",), "functional", "BaseStartTLS"),
    "buffered_proto": (
        "test_buffered_proto",
        ("BufferedProtocolSelectorTests",),
        "functional",
        "BufferedProtocolSelectorTests",
    ),
}
#: Seconds one test may run before the process dumps its stacks and exits: the stdlib's
#: slowest loop tests take a few seconds; a hang is what this catches.
PER_TEST = 60.0


def bound_case(suite: str, loop: str) -> type[unittest.TestCase]:
    """The mixins of ``suite`` bound to a test case whose loops are ``loop``'s."""
    module, mixins, kind, _ = SUITES[suite]
    mod = importlib.import_module(f"test.test_asyncio.{module}")
    if loop == "fdevent":
        import fdevent.aio

        factory: Any = fdevent.aio.Loop
    else:
        factory = asyncio.SelectorEventLoop
    if kind == "utils":
        from test.test_asyncio import utils

        base: type[unittest.TestCase] = utils.TestCase
    else:
        base = unittest.TestCase
    bases = (*(getattr(mod, name) for name in mixins), base)

    def create_event_loop(self: unittest.TestCase) -> asyncio.AbstractEventLoop:
        return factory()  # type: ignore[no-any-return]

    name = f"{loop.capitalize()}{suite.title().replace('_', '')}Tests"
    return type(
        name, bases, {"create_event_loop": create_event_loop, "new_loop": create_event_loop}
    )


def main() -> int:
    suite, loop = sys.argv[1], sys.argv[2]
    case = bound_case(suite, loop)
    module, _, _, owner = SUITES[suite]
    owner_cls = getattr(importlib.import_module(f"test.test_asyncio.{module}"), owner)
    # The owner's tests, its bases' included (BaseStartServer's under SelectorStartServerTests).
    names = [
        n
        for n in unittest.defaultTestLoader.getTestCaseNames(case)
        if any(n in vars(k) for k in owner_cls.__mro__ if k is not unittest.TestCase)
    ]
    result = _outcomes.Outcomes(PER_TEST)
    unittest.TestSuite(case(n) for n in names).run(result)
    import fdevent

    loop_obj = case.create_event_loop(None)  # type: ignore[attr-defined]
    loop_class = f"{type(loop_obj).__module__}.{type(loop_obj).__qualname__}"
    loop_obj.close()
    report = {"core": fdevent.CORE, "loop": loop_class, "outcomes": result.outcomes}
    print("RESULT " + json.dumps(report), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
