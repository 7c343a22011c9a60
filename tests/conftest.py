"""Fixtures shared by the whole suite: every test runs against both cores and every backend.

``core`` is ``fdevent._pure`` or ``fdevent._compiled``, and the fixture checks that the module
it got is the one it asked for (``CORE``), so a silent fallback from one core to the other
cannot make half the suite test the same thing twice. A compiled core that does not import is
an error, never a skip: CI requires it. ``backend`` runs each polling test once per mechanism
this machine has (epoll, poll and select on Linux), as libevent's ``test.sh`` does.

The tests that run a program in a subprocess choose its core with ``pure`` (the default core or
the pure one, through ``FDEVENT_PURE``) and its backend with ``backend_name`` (named apart from
``backend``, which builds bases in this process).

A fixture more than one test module uses is defined here, once. Plain helpers (functions,
classes, constants) are in the ``support`` package next to this file, which test modules
import; a test module never imports another. ``tests/`` is on ``sys.path`` because pytest puts
it there for this conftest (its default "prepend" import mode; ``tests/`` has no
``__init__.py``), and nothing else touches ``sys.path``; the import root the subprocesses run
fdevent from is ``support.IMPORT_ROOT``.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import socket
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import pytest
from support.process import signals_restored

import fdevent

CORES = ("pure", "compiled")
Pair = tuple[socket.socket, socket.socket]


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


@pytest.fixture(params=["fdevent", "stock"])
def aio_or_stock_loop(
    request: pytest.FixtureRequest, core: ModuleType, backend: str
) -> Iterator[Any]:
    """A ``fdevent.aio`` loop of ``core`` on ``backend``, or the stock asyncio loop: a check
    run on both says the fdevent loop behaves as the stdlib's."""
    if request.param == "stock":
        lp: Any = asyncio.SelectorEventLoop()
        b = None
    else:
        aio = importlib.import_module(f"{core.__name__}.aio")
        b = core.EventBase(backend=backend)
        lp = aio.Loop(b)
    try:
        yield lp
    finally:
        lp.close()
        if b is not None:
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


@pytest.fixture
def pair_on_number() -> Iterator[Callable[[int], Pair]]:
    """``pair_on_number(n)``: a new non-blocking connected socket pair whose first end has the
    fd number ``n`` (made with ``dup2``, so a test of fd reuse does not depend on the kernel
    handing out the lowest free number); all closed when the test ends."""
    made: list[socket.socket] = []

    def make(number: int) -> Pair:
        c, d = socket.socketpair()
        if d.fileno() == number:
            c, d = d, c
        if c.fileno() == number:  # the kernel handed out the free number already
            new = c
        else:
            os.dup2(c.fileno(), number)
            c.close()
            new = socket.socket(fileno=number)
        new.setblocking(False)
        d.setblocking(False)
        made.extend((new, d))
        return new, d

    yield make
    for s in made:
        s.close()


@pytest.fixture
def signal_handlers_restored() -> Iterator[None]:
    """Every signal handler a test may touch is put back as it was when the test ends, whatever
    happens (a failing signal test must not leave SIGUSR1 pointing into a closed base). Modules
    that install handlers use it for all their tests:
    ``pytestmark = pytest.mark.usefixtures("signal_handlers_restored")``."""
    with signals_restored():
        yield


@pytest.fixture(params=[False, True], ids=["default-core", "pure-core"])
def pure(request: pytest.FixtureRequest) -> bool:
    """Whether a program run in a subprocess uses the pure core (else the default one)."""
    value: bool = request.param
    return value


@pytest.fixture(params=fdevent.supported_backends())
def backend_name(request: pytest.FixtureRequest) -> str:
    """A polling mechanism this machine has, for a program run in a subprocess (named apart
    from ``backend``, whose tests build bases in this process)."""
    value: str = request.param
    return value
