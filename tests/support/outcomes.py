"""A unittest result that records each test's outcome for a runner script to print.

``support/aio_conformance.py`` and ``support/aio_stdlib.py`` run CPython's asyncio tests in a
subprocess and print what happened as JSON. Both record with ``Outcomes``: each test's start
goes to stderr (``START key``, so the caller can name a hang), a test that runs longer than
``per_test`` seconds dumps every thread's stack and ends the process, and each outcome
(``pass``, ``fail``, ``error``, ``skip``) is kept under the test's key. A runner changes what a
key is and what it keeps per test by overriding ``key``, ``finish`` and ``set_outcome``.

The runners load this file by its path, not through ``sys.path``: their folder is taken off
the path so that none of its modules can stand in for one of the stdlib's.
"""

from __future__ import annotations

import faulthandler
import sys
import unittest
from typing import Any


class Outcomes(unittest.TestResult):
    """Records each test's outcome under its key; announces each start on stderr."""

    def __init__(self, per_test: float) -> None:
        super().__init__()
        self.per_test = per_test
        self.outcomes: dict[str, Any] = {}

    def key(self, test: unittest.TestCase) -> str:
        """The name a test's outcome is kept under: its method's name."""
        return test.id().rpartition(".")[2]

    def startTest(self, test: unittest.TestCase) -> None:
        print("START", self.key(test), file=sys.stderr, flush=True)
        faulthandler.dump_traceback_later(self.per_test, exit=True)
        super().startTest(test)

    def stopTest(self, test: unittest.TestCase) -> None:
        faulthandler.cancel_dump_traceback_later()
        super().stopTest(test)
        self.finish(test)

    def finish(self, test: unittest.TestCase) -> None:
        """A test ended: one that reported nothing passed."""
        self.outcomes.setdefault(self.key(test), "pass")

    def set_outcome(self, key: str, outcome: str) -> None:
        """Keep ``outcome`` for the test ``key``."""
        self.outcomes[key] = outcome

    def mark(self, test: unittest.TestCase, outcome: str, detail: Any = None) -> None:
        """Record ``outcome`` for ``test``; a detail (a traceback) goes to stderr."""
        self.set_outcome(self.key(test), outcome)
        if detail is not None:
            print(f"{outcome.upper()} {self.key(test)}\n{detail}", file=sys.stderr, flush=True)

    def addError(self, test: unittest.TestCase, err: Any) -> None:
        super().addError(test, err)
        self.mark(test, "error", self.errors[-1][1])

    def addFailure(self, test: unittest.TestCase, err: Any) -> None:
        super().addFailure(test, err)
        self.mark(test, "fail", self.failures[-1][1])

    def addSkip(self, test: unittest.TestCase, reason: str) -> None:
        super().addSkip(test, reason)
        self.mark(test, "skip")

    def addExpectedFailure(self, test: unittest.TestCase, err: Any) -> None:
        super().addExpectedFailure(test, err)
        self.mark(test, "pass")

    def addUnexpectedSuccess(self, test: unittest.TestCase) -> None:
        super().addUnexpectedSuccess(test)
        self.mark(test, "fail", "unexpected success")
