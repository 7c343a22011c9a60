"""fds closed, dup'ed and reused behind the base's back (docs/contract.md, dispatch semantics).

What each backend promises:

- every backend: ``detach()`` of an event whose fd was closed succeeds and leaves no trace; an
  event attached on a reused fd number works, also after the stale event is detached; a
  stale registration never makes the loop spin (fire endlessly or burn CPU while waiting).
- epoll (and kqueue): the kernel forgets a closed file by itself, and epoll's ``ENOENT`` on
  ``MOD`` tells the base its table is stale, so the old event never fires for the new file.
- poll and select know only fd numbers: an old event may see the new file that took its
  number (the weaker guarantee docs/contract.md documents; ``closing(fd)`` is the coming remedy), so
  these tests do not assert that it stays silent there.

And the other way round: an event keeps the object it watches (a socket) alive, so dropping
the last reference to it cannot close the fd behind the base's back; once the event is gone,
nothing is left holding it.
"""

from __future__ import annotations

import gc
import os
import socket
import time
import weakref
from typing import Any

import pytest
from support.loop import EDGE_BACKENDS, spin, timed
from support.recorder import Recorder, noop
from support.sockets import drain

from fdevent._flags import EV_PERSIST, EV_READ, EV_WRITE

#: Backends whose kernel object forgets a closed file (docs/contract.md).
FORGETTING_BACKENDS = frozenset({"epoll", "kqueue"})

#: CPU seconds a loop may burn while it waits 0.3 s for a loopexit: a blocked poll burns ~0.
CPU_BUDGET = 0.1


def busy_cpu(base: Any, wait: float = 0.3) -> float:
    """CPU seconds the base burns during a dispatch() ended by loopexit(wait)."""
    cpu0, t0 = time.process_time(), time.monotonic()
    base.loopexit(wait)
    base.dispatch()
    assert time.monotonic() - t0 >= wait
    return time.process_time() - cpu0


# -- detach after close --------------------------------------------------------------------------


def test_detach_after_close(base: Any, core: Any, make_pair: Any) -> None:
    a, _ = make_pair()
    reader = core.Event(base, a, EV_READ | EV_PERSIST, noop)
    writer = core.Event(base, a, EV_WRITE | EV_PERSIST, noop)
    reader.attach()
    writer.attach(10)
    a.close()
    reader.detach()
    writer.detach()
    assert not reader.attached and not writer.attached
    assert timed(base.dispatch) < 0.5  # no trace: nothing attached
    c, d = make_pair()
    rec = Recorder()
    core.Event(base, c, EV_READ, rec).attach()
    d.send(b"x")
    base.dispatch()
    assert rec.events == [EV_READ]


def test_detach_one_of_two_after_close(base: Any, core: Any, make_pair: Any) -> None:
    a, _ = make_pair()
    reader = core.Event(base, a, EV_READ, noop)
    writer = core.Event(base, a, EV_WRITE, noop)
    reader.attach()
    writer.attach()
    a.close()
    writer.detach()  # the entry's mask changes on a closed fd
    reader.detach()
    assert timed(base.dispatch) < 0.5


def test_attach_on_reused_number_after_detach(
    base: Any, core: Any, make_pair: Any, pair_on_number: Any
) -> None:
    a, _ = make_pair()
    number = a.fileno()
    old = core.Event(base, number, EV_READ | EV_PERSIST, noop)
    old.attach()
    a.close()
    old.detach()
    new_sock, peer = pair_on_number(number)
    rec = Recorder()
    core.Event(base, new_sock, EV_READ, rec).attach()
    peer.send(b"x")
    base.dispatch()
    assert rec.calls == [(number, EV_READ, None)]


# -- reuse without detach ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "new_flags", [EV_READ | EV_PERSIST, EV_WRITE | EV_PERSIST], ids=["reader", "writer"]
)
def test_reused_number_new_event_works(
    base: Any, backend: str, core: Any, make_pair: Any, pair_on_number: Any, new_flags: int
) -> None:
    a, _ = make_pair()
    number = a.fileno()
    old_rec, new_rec = Recorder(), Recorder()
    old = core.Event(base, number, EV_READ | EV_PERSIST, old_rec)
    old.attach()
    a.close()  # behind the base's back
    new_sock, peer = pair_on_number(number)
    new = core.Event(base, new_sock, new_flags, new_rec)
    new.attach()
    peer.send(b"x")  # the new file is readable (and, as always, writable)
    spin(base, 3)
    want = new_flags & (EV_READ | EV_WRITE)
    assert new_rec.events == [want] * 3
    if backend in FORGETTING_BACKENDS:
        assert old_rec.count == 0
    old.detach()  # must not take the new file's registration with it
    spin(base, 2)
    assert new_rec.events == [want] * 5
    new.detach()
    assert timed(base.dispatch) < 0.5
    assert drain(new_sock) == b"x"


def test_old_event_never_sees_the_new_file(
    base: Any, backend: str, core: Any, make_pair: Any, pair_on_number: Any
) -> None:
    a, _ = make_pair()
    number = a.fileno()
    old_rec = Recorder()
    old = core.Event(base, number, EV_READ, old_rec)
    old.attach()
    a.close()
    new_sock, peer = pair_on_number(number)
    peer.send(b"x")
    spin(base, 3)
    if backend in FORGETTING_BACKENDS:
        assert old_rec.count == 0
    else:
        # poll/select: the old one-shot event may see the new file, once
        assert old_rec.events in ([], [EV_READ])
    old.detach()
    new_rec = Recorder()
    core.Event(base, new_sock, EV_READ, new_rec).attach()
    spin(base, 1)
    assert new_rec.events == [EV_READ]


def test_reuse_with_two_stale_events(
    base: Any, backend: str, core: Any, make_pair: Any, pair_on_number: Any
) -> None:
    a, _ = make_pair()
    number = a.fileno()
    stale = Recorder()
    r = core.Event(base, number, EV_READ | EV_PERSIST, stale)
    w = core.Event(base, number, EV_WRITE | EV_PERSIST, stale)
    r.attach()
    w.attach()
    a.close()
    new_sock, peer = pair_on_number(number)
    fresh = Recorder()
    core.Event(base, new_sock, EV_READ | EV_PERSIST, fresh).attach()
    peer.send(b"x")
    spin(base, 2)
    assert fresh.events == [EV_READ, EV_READ]
    if backend in FORGETTING_BACKENDS:
        assert stale.count == 0
    w.detach()
    r.detach()
    spin(base, 1)
    assert fresh.count == 3


# -- stale registrations never spin --------------------------------------------------------------


def test_closed_fd_does_not_spin(base: Any, core: Any, make_pair: Any) -> None:
    a, b = make_pair()
    rec = Recorder()
    ev = core.Event(base, a, EV_READ | EV_PERSIST, rec)
    ev.attach()
    b.send(b"x")
    a.close()
    assert timed(lambda: spin(base, 5)) < 0.5
    assert rec.count <= 1
    assert busy_cpu(base) < CPU_BUDGET
    assert rec.count <= 1
    ev.detach()
    assert timed(base.dispatch) < 0.5


def test_dup_then_close_runs_until_its_callback_detaches(
    base: Any, core: Any, make_pair: Any
) -> None:
    """The file outlives its closed fd through a dup: epoll keeps reporting the old number.

    The event is still attached and its level-triggered condition holds, so it runs, as any
    readable fd that nobody reads would; its callback meets EBADF on the closed number and
    detaches it, and from then on nothing runs and nothing spins (the orphaned registration,
    which can no longer be deleted, is dropped by rebuilding the poller). poll and select see
    the closed number itself (POLLNVAL, EBADF) and drop it without running anything.
    """
    a, b = make_pair()
    num = a.fileno()

    def on_read(fd: int, events: int, arg: Any) -> None:
        try:
            os.read(fd, 1)
        except OSError:
            ev.detach()

    rec = Recorder(on_read)
    ev = core.Event(base, num, EV_READ | EV_PERSIST, rec)
    ev.attach()
    dup = os.dup(num)
    try:
        a.close()
        b.send(b"x")  # the file (alive through dup) is readable
        assert timed(lambda: spin(base, 5)) < 0.5
        if base.backend in EDGE_BACKENDS:
            assert rec.events == [EV_READ]
            assert not ev.attached
        else:
            assert rec.events == []
            ev.detach()
        assert busy_cpu(base) < CPU_BUDGET
        assert rec.count == (1 if base.backend in EDGE_BACKENDS else 0)
        # the base still works for a new file on any number
        c, d = make_pair()
        fresh = Recorder()
        core.Event(base, c, EV_READ, fresh).attach()
        d.send(b"y")
        spin(base, 2)
        assert fresh.events == [EV_READ]
    finally:
        os.close(dup)


def test_dup_then_close_after_detach_does_not_spin(base: Any, core: Any, make_pair: Any) -> None:
    a, b = make_pair()
    ev = core.Event(base, a, EV_READ | EV_PERSIST, noop)
    ev.attach()
    dup = os.dup(a.fileno())
    try:
        a.close()
        ev.detach()  # unregistering a closed fd fails in the kernel: the base must cope
        b.send(b"x")
        assert busy_cpu(base) < CPU_BUDGET
    finally:
        os.close(dup)


# -- the event keeps its fd object alive ---------------------------------------------------------


def test_event_keeps_the_socket_it_watches_alive(base: Any, core: Any) -> None:
    a, b = socket.socketpair()
    number = a.fileno()
    watched = weakref.ref(a)
    rec = Recorder()
    ev = core.Event(base, a, EV_READ | EV_PERSIST, rec)
    ev.attach()
    del a  # the user drops the socket; the event must keep it (asyncio keeps it too)
    gc.collect()
    assert watched() is not None
    assert ev.fd == number  # still the int
    b.send(b"x")
    base.loop(once=True)
    assert rec.calls == [(number, EV_READ, None)]
    ev.detach()
    del ev
    gc.collect()
    assert watched() is None  # nothing else held it: no leak once the event is gone
    b.close()
