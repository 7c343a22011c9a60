"""Leaks: 100k attach / detach / fire cycles leave the object count and traced memory flat.

After a warm-up (caches, free lists and the base's own tables reach their working size) the
test counts gc-tracked objects and starts tracemalloc, runs the churn, collects, and compares.
A leak of one object per cycle would show as ~100,000 objects or megabytes; the slack allowed
is a few hundred objects and a few hundred KiB, what the interpreter itself moves around.
"""

from __future__ import annotations

import gc
import socket
import tracemalloc
from typing import Any

from fdevent._flags import EV_PERSIST, EV_READ, EV_TIMEOUT

CYCLES = 100_000
BATCH = 100  # cycles per loop iteration
OBJECT_SLACK = 300
MEMORY_SLACK = 256 * 1024


def churn(core: Any, base: Any, pairs: list[tuple[socket.socket, socket.socket]], n: int) -> int:
    """Run ``n`` cycles: new timers fired with timeout 0, detached events fired by activate(),
    one-shot readers fired by I/O, timers attached and detached unfired, once() events, and
    a persistent reader attached and detached. Returns how many callbacks ran."""
    fired = 0

    def cb(fd: int, events: int, arg: Any, /) -> None:
        nonlocal fired
        fired += 1

    def on_read(fd: int, events: int, arg: Any, /) -> None:
        nonlocal fired
        arg.recv(16)
        fired += 1

    per_kind = BATCH // 5
    for _ in range(n // BATCH):
        for k in range(per_kind):
            core.Timer(base, cb, k).attach(0)
            core.Event(base, -1, EV_TIMEOUT, cb).activate(EV_TIMEOUT)
            a, b = pairs[k]
            core.Event(base, a, EV_READ, on_read, a).attach(10)
            b.send(b"x")
            t = core.Timer(base, cb)
            t.attach(10)
            t.detach()
            if k % 2:
                base.once(-1, EV_TIMEOUT, cb, k, timeout=0)
            else:
                p = core.Event(base, a, EV_READ | EV_PERSIST, cb)
                p.attach(5)
                p.detach()
        base.loop(nonblock=True)
    return fired


def test_churn_does_not_leak(core: Any, backend: str, make_pair: Any) -> None:
    pairs = [make_pair() for _ in range(BATCH // 5)]
    with core.EventBase(backend=backend) as base:
        churn(core, base, pairs, 5_000)
        gc.collect()
        objects_before = len(gc.get_objects())
        tracemalloc.start()
        try:
            memory_before = tracemalloc.get_traced_memory()[0]
            fired = churn(core, base, pairs, CYCLES)
            gc.collect()
            memory_grew = tracemalloc.get_traced_memory()[0] - memory_before
        finally:
            tracemalloc.stop()
        objects_grew = len(gc.get_objects()) - objects_before
        per_batch = BATCH // 5
        assert fired == (CYCLES // BATCH) * (3 * per_batch + per_batch // 2)
        assert objects_grew < OBJECT_SLACK, objects_grew
        assert memory_grew < MEMORY_SLACK, memory_grew


def count_instances(cls: type) -> int:
    return sum(1 for o in gc.get_objects() if isinstance(o, cls))


def closed_base_with_cycles(core: Any, backend: str, sock: socket.socket) -> None:
    """Make a base whose callbacks reference it and their events (reference cycles), with
    events pending, active and once()d, and close it."""
    base = core.EventBase(backend=backend)
    ev = core.Event(base, sock, EV_READ | EV_PERSIST, lambda fd, e, arg: (base, ev))
    ev.attach(100)
    core.Timer(base, lambda fd, e, arg: base).attach(100)
    core.Ticker(base, lambda fd, e, arg: base).activate(EV_TIMEOUT)
    base.once(-1, EV_TIMEOUT, lambda fd, e, arg: base, timeout=100)
    base.close()


def test_closed_base_is_collected(core: Any, backend: str, pair: Any) -> None:
    a, _ = pair
    gc.collect()
    bases_before = count_instances(core.EventBase)
    events_before = count_instances(core.Event)
    for _ in range(10):
        closed_base_with_cycles(core, backend, a)
    gc.collect()
    assert count_instances(core.EventBase) == bases_before
    assert count_instances(core.Event) == events_before


def test_fired_events_are_released(core: Any, backend: str, make_pair: Any) -> None:
    a, b = make_pair()
    with core.EventBase(backend=backend) as base:
        gc.collect()
        events_before = count_instances(core.Event)
        for _ in range(50):
            core.Timer(base, lambda fd, e, arg: None).attach(0)
            core.Event(base, a, EV_READ, lambda fd, e, arg: None).attach()
            core.Timer(base, lambda fd, e, arg: None).activate(EV_TIMEOUT)
        b.send(b"x")
        base.loop(nonblock=True)
        gc.collect()
        assert count_instances(core.Event) == events_before
