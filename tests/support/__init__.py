"""Helpers the test modules share: a package, so a test file imports helpers, never another
test file (STYLE.md).

A test writes ``from support.recorder import Recorder``: pytest puts ``tests/`` on ``sys.path``
for ``conftest.py`` (its default "prepend" import mode; ``tests/`` has no ``__init__.py``).
Not ``tests.support``: that would need the directory above on the path too, and in an unpacked
sdist that directory's ``fdevent/`` (no compiled core) would shadow the installed one.

By subject:

- ``support.recorder``: callbacks that record what ran (``Recorder``, ``logger``, ``noop``).
- ``support.loop``: driving a base and timing it (``spin``, ``timed``, deadline brackets).
- ``support.sockets``: sockets and fds (``drain``, ``tcp_pair``, ``recv_all``, ``open_fds``).
- ``support.streams``: running a base until a stream test's condition holds; ``Events``.
- ``support.process``: the process around the loop: signal guards, watchdogs, threads, fork.
- ``support.programs``: running a program of this tree in a subprocess (``Program``).

Fixtures live in ``conftest.py``, once; this package holds plain functions and classes.
"""

from __future__ import annotations

from pathlib import Path

import fdevent

#: The checkout (or the unpacked sdist) the tests are in.
ROOT = Path(__file__).resolve().parent.parent.parent
#: Where the tests import fdevent from (the checkout, or an install when the tests run from an
#: unpacked sdist): programs run in a subprocess must import the same one.
IMPORT_ROOT = Path(fdevent.__file__).resolve().parent.parent
