"""The poller interface (``fdevent/_pure/backends/__init__.py``), member by member, on every
mechanism this machine has and on both cores' pollers, as CPython's ``BaseSelectorTestCase``
is run for each selector: register, modify, unregister, poll and its timeouts, reset, close,
and the errors (a closed fd, a regular file, a double registration, an unknown fd).

Masks are compared on ``EV_READ | EV_WRITE``: a poller may add ``EV_CLOSED`` to a hang-up.
"""

from __future__ import annotations

import errno
import importlib
import socket
import tempfile
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import pytest
from support.loop import EDGE_BACKENDS, SLACK, timed
from support.sockets import is_open

from fdevent._flags import EV_READ, EV_WRITE

EV_IO = EV_READ | EV_WRITE
Pair = Callable[[], tuple[socket.socket, socket.socket]]


@pytest.fixture
def poller(core: ModuleType, backend: str) -> Iterator[Any]:
    """A fresh poller of ``backend`` from ``core``'s backends package; closed at the end."""
    backends = importlib.import_module(core.__name__ + ".backends")
    p = backends.create(backend)
    try:
        yield p
    finally:
        p.close()


def ready(poller: Any, timeout: float | None = 0) -> dict[int, int]:
    """``poller.poll(timeout)`` as ``{fd: mask & (EV_READ | EV_WRITE)}``."""
    out: dict[int, int] = {}
    for fd, mask in poller.poll(timeout):
        out[fd] = out.get(fd, 0) | (mask & EV_IO)
    return out


# -- what the poller is --------------------------------------------------------------------------


def test_identity(poller: Any, core: ModuleType, backend: str) -> None:
    assert poller.name == backend
    assert poller.supports_et == (backend in EDGE_BACKENDS)
    assert type(poller).__module__.startswith(core.__name__ + ".backends.")
    if backend in ("epoll", "kqueue"):
        assert is_open(poller.fileno())
    else:
        assert poller.fileno() == -1


# -- register and poll ---------------------------------------------------------------------------


def test_read_reported_only_when_readable(poller: Any, pair: Any) -> None:
    a, b = pair
    assert poller.register(a.fileno(), EV_READ) is None
    assert a.fileno() not in ready(poller)
    b.send(b"x")
    assert ready(poller, 5) == {a.fileno(): EV_READ}
    # Level-triggered: reported again until the data is read.
    assert ready(poller) == {a.fileno(): EV_READ}
    a.recv(1)
    assert ready(poller) == {}


def test_write_reported_when_writable(poller: Any, pair: Any) -> None:
    a, _ = pair
    poller.register(a.fileno(), EV_WRITE)
    assert ready(poller) == {a.fileno(): EV_WRITE}


def test_read_and_write_in_one_report(poller: Any, pair: Any) -> None:
    a, b = pair
    b.send(b"x")
    poller.register(a.fileno(), EV_READ | EV_WRITE)
    assert ready(poller, 5) == {a.fileno(): EV_READ | EV_WRITE}


def test_many_fds_only_the_ready_ones(poller: Any, make_pair: Pair) -> None:
    pairs = [make_pair() for _ in range(40)]
    for a, _ in pairs:
        poller.register(a.fileno(), EV_READ)
    for _, b in pairs[::3]:
        b.send(b"x")
    assert ready(poller, 5) == {a.fileno(): EV_READ for a, _ in pairs[::3]}


def test_hangup_is_reported_to_a_reader(poller: Any, pair: Any) -> None:
    a, b = pair
    poller.register(a.fileno(), EV_READ)
    b.close()
    assert ready(poller, 5)[a.fileno()] & EV_READ


def test_double_register_takes_the_new_mask(poller: Any, pair: Any) -> None:
    a, b = pair
    b.send(b"x")
    poller.register(a.fileno(), EV_READ)
    poller.register(a.fileno(), EV_WRITE)
    assert ready(poller, 5) == {a.fileno(): EV_WRITE}


# -- modify and unregister -----------------------------------------------------------------------


def test_modify_changes_the_mask(poller: Any, pair: Any) -> None:
    a, b = pair
    b.send(b"x")
    poller.register(a.fileno(), EV_READ)
    assert poller.modify(a.fileno(), EV_WRITE) is True
    assert ready(poller, 5) == {a.fileno(): EV_WRITE}
    assert poller.modify(a.fileno(), EV_READ | EV_WRITE) is True
    assert ready(poller, 5) == {a.fileno(): EV_READ | EV_WRITE}


def test_modify_of_an_unregistered_fd_registers_it(poller: Any, pair: Any) -> None:
    a, _ = pair
    assert poller.modify(a.fileno(), EV_WRITE) is False
    assert ready(poller) == {a.fileno(): EV_WRITE}


def test_unregister_stops_reports(poller: Any, pair: Any) -> None:
    a, b = pair
    b.send(b"x")
    poller.register(a.fileno(), EV_READ)
    assert ready(poller, 5) == {a.fileno(): EV_READ}
    assert poller.unregister(a.fileno()) is None
    assert ready(poller) == {}
    # And it can come back.
    poller.register(a.fileno(), EV_READ)
    assert ready(poller, 5) == {a.fileno(): EV_READ}


def test_unregister_never_raises(poller: Any, pair: Any) -> None:
    a, _ = pair
    poller.unregister(a.fileno())  # never registered
    poller.register(a.fileno(), EV_READ)
    poller.unregister(a.fileno())
    poller.unregister(a.fileno())  # twice
    s = socket.socket()
    poller.register(s.fileno(), EV_READ)
    number = s.fileno()
    s.close()
    poller.unregister(number)  # closed behind the poller's back
    poller.unregister(10**6)  # a number no file ever had here
    assert ready(poller) == {}


# -- poll's timeouts -----------------------------------------------------------------------------


def test_poll_zero_does_not_wait(poller: Any, pair: Any) -> None:
    a, _ = pair
    poller.register(a.fileno(), EV_READ)
    assert timed(lambda: ready(poller, 0)) < SLACK
    assert ready(poller, 0) == {}


@pytest.mark.parametrize("timeout", [0.0003, 0.02, 0.1])
def test_poll_waits_at_least_the_timeout(poller: Any, pair: Any, timeout: float) -> None:
    a, _ = pair
    poller.register(a.fileno(), EV_READ)
    got: dict[int, int] = {}

    def wait() -> None:
        got.update(ready(poller, timeout))

    elapsed = timed(wait)
    assert got == {}
    assert elapsed >= timeout  # rounded up to the mechanism's resolution, never down
    assert elapsed < timeout + SLACK


def test_poll_without_timeout_returns_when_ready(poller: Any, pair: Any) -> None:
    a, b = pair
    poller.register(a.fileno(), EV_READ)
    b.send(b"x")
    assert ready(poller, None) == {a.fileno(): EV_READ}


def test_poll_with_nothing_registered(poller: Any) -> None:
    assert timed(lambda: ready(poller, 0.01)) >= 0.01
    assert ready(poller, 0) == {}


# -- errors --------------------------------------------------------------------------------------


def test_register_of_a_closed_fd(poller: Any, pair: Any) -> None:
    s = socket.socket()
    number = s.fileno()
    s.close()
    with pytest.raises(OSError) as info:
        poller.register(number, EV_READ)
    assert info.value.errno == errno.EBADF
    assert f"fd {number}" in str(info.value)
    # Nothing was registered, and the poller goes on.
    assert ready(poller) == {}
    a, b = pair
    b.send(b"x")
    poller.register(a.fileno(), EV_READ)
    assert ready(poller, 5) == {a.fileno(): EV_READ}


def test_fd_closed_behind_its_back_is_dropped(poller: Any, make_pair: Pair) -> None:
    a, _ = make_pair()
    c, d = make_pair()
    poller.register(a.fileno(), EV_READ | EV_WRITE)
    poller.register(c.fileno(), EV_READ)
    number = a.fileno()
    a.close()
    d.send(b"x")
    # Never reported, nor an error: dropped. (select finds out by failing a whole wait, which
    # then reports nothing; the next goes on with the rest.)
    first = ready(poller, 5)
    assert first in ({}, {c.fileno(): EV_READ})
    for _ in range(3):
        assert ready(poller, 5) == {c.fileno(): EV_READ}
    poller.unregister(number)


def test_regular_file(poller: Any, backend: str) -> None:
    with tempfile.TemporaryFile() as f:
        if backend == "epoll":
            # epoll cannot watch regular files; the error says so, and registers nothing.
            with pytest.raises(OSError) as info:
                poller.register(f.fileno(), EV_READ)
            assert info.value.errno == errno.EPERM
            assert f"fd {f.fileno()} is a regular file" in str(info.value)
            assert ready(poller) == {}
        else:
            # poll, select and kqueue take it: a regular file is always readable.
            poller.register(f.fileno(), EV_READ)
            assert ready(poller, 5) == {f.fileno(): EV_READ}
            poller.unregister(f.fileno())


# -- reset and close -----------------------------------------------------------------------------


def test_reset_keeps_only_what_it_is_given(poller: Any, make_pair: Pair) -> None:
    a, b = make_pair()
    c, d = make_pair()
    poller.register(a.fileno(), EV_READ)
    poller.register(c.fileno(), EV_WRITE)
    gone = socket.socket()
    number = gone.fileno()
    gone.close()
    # A closed fd among the registrations is skipped, not an error.
    poller.reset([(c.fileno(), EV_READ), (number, EV_READ)])
    b.send(b"x")
    d.send(b"x")
    assert ready(poller, 5) == {c.fileno(): EV_READ}
    poller.register(a.fileno(), EV_READ)
    assert ready(poller, 5) == {a.fileno(): EV_READ, c.fileno(): EV_READ}


def test_close_releases_and_is_idempotent(core: ModuleType, backend: str) -> None:
    backends = importlib.import_module(core.__name__ + ".backends")
    poller = backends.create(backend)
    own = poller.fileno()
    poller.close()
    poller.close()
    if own >= 0:
        assert not is_open(own)
