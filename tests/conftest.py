"""Fixtures shared by the whole suite: every test runs against both cores and every backend.

``core`` is ``fdevent._pure`` or ``fdevent._compiled``, and the fixture checks that the module
it got is the one it asked for (``CORE``), so a silent fallback from one core to the other
cannot make half the suite test the same thing twice. A compiled core that does not import is
an error, never a skip: CI requires it. ``backend`` runs each polling test once per mechanism
this machine has (epoll, poll and select on Linux), as libevent's ``test.sh`` does.
"""

from __future__ import annotations

import importlib
import socket
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import pytest

import fdevent

CORES = ("pure", "compiled")


@pytest.fixture(scope="session", params=CORES)
def core(request: pytest.FixtureRequest) -> ModuleType:
    """The core under test; importing the compiled one must succeed."""
    mod = importlib.import_module(f"fdevent._{request.param}")
    assert request.param == mod.CORE
    return mod


@pytest.fixture(scope="session", params=fdevent.supported_backends())
def backend(request: pytest.FixtureRequest) -> str:
    """Each polling mechanism this machine has."""
    return str(request.param)


@pytest.fixture
def base(core: ModuleType, backend: str) -> Iterator[Any]:
    """A fresh base on ``backend``, closed when the test ends."""
    b = core.EventBase(backend=backend)
    try:
        yield b
    finally:
        b.close()


@pytest.fixture
def make_pair() -> Iterator[Callable[[], tuple[socket.socket, socket.socket]]]:
    """A factory of non-blocking connected socket pairs, all closed when the test ends."""
    made: list[socket.socket] = []

    def make() -> tuple[socket.socket, socket.socket]:
        a, b = socket.socketpair()
        a.setblocking(False)
        b.setblocking(False)
        made.extend((a, b))
        return a, b

    yield make
    for s in made:
        s.close()


@pytest.fixture
def pair(
    make_pair: Callable[[], tuple[socket.socket, socket.socket]],
) -> tuple[socket.socket, socket.socket]:
    """One non-blocking connected socket pair: ``a`` is watched, ``b`` writes to it."""
    return make_pair()
