"""Black-box tests of the contract: ``base.closing(fd)``, fd reuse on poll/select, EV_CLOSED.

Both cores, every backend. A "reused number" is made with ``dup2`` so the test does not depend
on the kernel handing out the lowest free fd.
"""

from __future__ import annotations

import os
import select
import socket
from typing import Any

import pytest
from support.loop import EDGE_BACKENDS, spin
from support.recorder import Recorder, noop
from support.sockets import drain

import fdevent
from fdevent._flags import EV_ET, EV_PERSIST, EV_READ, EV_TIMEOUT, EV_WRITE

EV_CLOSED = 0x80  # docs/contract.md; fdevent.EV_CLOSED is checked below
Pair = tuple[socket.socket, socket.socket]


def closed_supported(backend: str) -> bool:
    """Where the contract says EV_CLOSED can be reported: not select, poll only with POLLRDHUP."""
    if backend == "select":
        return False
    if backend == "poll":
        return hasattr(select, "POLLRDHUP")
    return True


# -- closing(fd) ---------------------------------------------------------------------------------


def test_closing_detaches_every_event_of_this_base_on_the_fd(
    base: Any, core: Any, make_pair: Any, backend: str
) -> None:
    a, b = make_pair()
    c, _ = make_pair()
    rec = Recorder()
    reader = core.Event(base, a, EV_READ | EV_PERSIST, rec)
    writer = core.Event(base, a, EV_WRITE, rec)
    timed = core.Event(base, a, EV_READ, rec)
    only_active = core.Event(base, a, EV_READ, rec)  # never attached, only activated
    elsewhere = core.Event(base, c, EV_READ | EV_PERSIST, rec)
    reader.attach()
    writer.attach()
    timed.attach(30)
    elsewhere.attach()
    reader.activate(EV_READ)  # a pending activation: cancelled too
    only_active.activate(EV_READ)
    other = core.EventBase(backend=backend)
    try:
        theirs = core.Event(other, a, EV_READ | EV_PERSIST, noop)
        theirs.attach()
        assert base.closing(a) == 4
        assert not any(e.attached for e in (reader, writer, timed, only_active))
        assert elsewhere.attached
        assert theirs.attached  # another base's events on the fd are not this base's business
        b.send(b"x")
        spin(base, 3)
        assert rec.count == 0
        assert base.closing(a) == 0  # nothing left on it
    finally:
        other.close()


def test_closing_takes_an_object_with_fileno_and_an_int(base: Any, core: Any, pair: Pair) -> None:
    a, _ = pair
    core.Event(base, a.fileno(), EV_READ, noop).attach()
    assert base.closing(a) == 1
    core.Event(base, a, EV_READ, noop).attach()
    assert base.closing(a.fileno()) == 1


def test_closing_an_fd_the_base_does_not_watch(base: Any, pair: Pair) -> None:
    assert base.closing(pair[0]) == 0
    assert base.closing(pair[0].fileno()) == 0


def test_closing_after_the_fd_was_closed(base: Any, core: Any, make_pair: Any) -> None:
    a, _ = make_pair()
    fd = a.fileno()
    ev = core.Event(base, fd, EV_READ | EV_PERSIST, noop)
    ev.attach()
    a.close()
    assert base.closing(fd) == 1
    assert not ev.attached
    spin(base, 2)


def test_closing_on_a_closed_base_is_a_runtime_error(core: Any, backend: str, pair: Pair) -> None:
    base = core.EventBase(backend=backend)
    base.close()
    with pytest.raises(RuntimeError):
        base.closing(pair[0])


@pytest.mark.parametrize("fd", ["3", 1.5, None, object()], ids=repr)
def test_closing_wrong_type_is_a_type_error(base: Any, fd: Any) -> None:
    with pytest.raises(TypeError):
        base.closing(fd)


def test_closing_then_a_new_file_on_the_number_works(
    base: Any, core: Any, make_pair: Any, pair_on_number: Any
) -> None:
    a, b = make_pair()
    number = a.fileno()
    old = Recorder()
    core.Event(base, a, EV_READ | EV_PERSIST, old).attach()
    assert base.closing(a) == 1
    a.close()
    new_sock, peer = pair_on_number(number)
    new = Recorder()
    core.Event(base, new_sock, EV_READ, new).attach()
    peer.send(b"y")
    b.close()
    spin(base, 3)
    assert new.calls == [(number, EV_READ, None)]
    assert old.count == 0


def test_closing_a_dup_ed_fd_stops_the_events_on_its_file(
    base: Any, core: Any, make_pair: Any, pair_on_number: Any
) -> None:
    """The epoll dup case: closing one number of a file that stays open by another."""
    a, b = make_pair()
    number = a.fileno()
    twin = os.dup(number)
    try:
        old = Recorder()
        core.Event(base, a, EV_READ | EV_PERSIST, old).attach()
        assert base.closing(a) == 1
        a.close()
        b.send(b"x")  # the file is still open through twin, and readable now
        spin(base, 3)
        assert old.count == 0
        new_sock, peer = pair_on_number(number)
        new = Recorder()
        core.Event(base, new_sock, EV_READ | EV_PERSIST, new).attach()
        spin(base, 3)
        assert new.count == 0  # the new file is not readable: its event must not fire
        peer.send(b"y")
        spin(base, 1)
        assert new.calls == [(number, EV_READ, None)]
        assert old.count == 0
    finally:
        os.close(twin)


# -- fd reuse without closing(): stale entries dropped on every backend ------------------------


def test_new_file_on_a_reused_number_drops_the_stale_events(
    base: Any, core: Any, make_pair: Any, pair_on_number: Any
) -> None:
    a, _ = make_pair()
    number = a.fileno()
    old = Recorder()
    stale = core.Event(base, a, EV_READ | EV_PERSIST, old)
    stale.attach()
    a.close()  # behind the base's back
    new_sock, peer = pair_on_number(number)
    new = Recorder()
    core.Event(base, new_sock, EV_READ | EV_PERSIST, new).attach()
    peer.send(b"x")
    spin(base, 3)
    assert new.count >= 1
    assert old.count == 0, "the old event fired for the new file"
    drain(new_sock)


# -- EV_CLOSED -----------------------------------------------------------------------------------


def test_ev_closed_is_exported() -> None:
    assert fdevent.EV_CLOSED == EV_CLOSED
    assert "EV_CLOSED" in fdevent.__all__


def test_ev_closed_alone_fires_when_the_peer_closes(
    base: Any, core: Any, pair: Pair, backend: str
) -> None:
    a, b = pair
    rec = Recorder()
    ev = core.Event(base, a, EV_CLOSED, rec)
    if not closed_supported(backend):
        with pytest.raises(ValueError, match=f"EV_CLOSED|{backend}"):
            ev.attach()
        assert not ev.attached
        assert "attached=0" in repr(base)
        return
    ev.attach()
    b.send(b"data")  # readable, but not closed: EV_CLOSED alone stays quiet
    spin(base, 3)
    assert rec.count == 0
    b.close()
    spin(base, 2)
    assert len(rec.calls) == 1
    fd, events, _ = rec.calls[0]
    assert fd == a.fileno()
    assert events & EV_CLOSED
    assert not events & EV_WRITE
    assert drain(a) == b"data"  # fdevent read nothing


def test_ev_closed_with_read_reports_each_when_it_happens(
    base: Any, core: Any, pair: Pair, backend: str
) -> None:
    a, b = pair
    rec = Recorder()
    if not closed_supported(backend):
        with pytest.raises(ValueError, match=f"EV_CLOSED|{backend}"):
            core.Event(base, a, EV_READ | EV_CLOSED | EV_PERSIST, rec).attach()
        assert "attached=0" in repr(base)
        return

    def read(fd: int, events: int, arg: Any) -> None:
        drain(a)

    rec.action = read
    core.Event(base, a, EV_READ | EV_CLOSED | EV_PERSIST, rec).attach()
    b.send(b"x")
    spin(base, 1)
    assert rec.events == [EV_READ]
    b.shutdown(socket.SHUT_WR)
    spin(base, 1)
    assert len(rec.events) == 2
    assert rec.events[1] & EV_CLOSED


def test_ev_closed_edge_triggered(base: Any, core: Any, pair: Pair, backend: str) -> None:
    a, b = pair
    rec = Recorder()
    ev = core.Event(base, a, EV_CLOSED | EV_ET | EV_PERSIST, rec)
    if backend not in EDGE_BACKENDS:  # neither EV_ET nor (on select) EV_CLOSED can be done
        with pytest.raises(ValueError):
            ev.attach()
        assert not ev.attached
        return
    ev.attach()
    b.close()
    spin(base, 3)
    assert len(rec.calls) == 1  # edge-triggered: once, though the condition persists
    assert rec.events[0] & EV_CLOSED


@pytest.mark.parametrize("flag", [0x40, 0x100, 0x8000], ids=hex)
def test_unknown_bits_next_to_ev_closed_are_a_value_error(
    base: Any, core: Any, pair: Pair, flag: int
) -> None:
    with pytest.raises(ValueError):
        core.Event(base, pair[0], EV_READ | flag, noop)


def test_ev_closed_with_only_a_timeout_needs_an_fd(base: Any, core: Any) -> None:
    with pytest.raises(ValueError):
        core.Event(base, -1, EV_CLOSED | EV_TIMEOUT, noop)
