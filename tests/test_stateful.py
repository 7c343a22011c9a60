"""Random attach / detach / activate / loop sequences against a model of what must run.

Five events on one base: a one-shot Timer, a persistent timer, a one-shot and a persistent
reader sharing one socket, and a one-shot writer on another (always writable). Timeouts are
0 (due at the next iteration) or infinite (never), so the model needs no clock. Each
``loop(nonblock=True)`` is one iteration; the model predicts exactly which callbacks it runs
and with which OR-ed reasons, and which events stay attached:

- an event activated before the iteration runs with the activation's mask, attached or not;
- an attached reader runs if its socket is readable, the writer always, an attached event
  whose timeout is 0 with EV_TIMEOUT; the reasons of one event are OR-ed into one call;
- a one-shot event that ran is detached (its timeout goes with it), a persistent one stays;
- ``detach()`` cancels a pending activation.

``attach()`` while an activation is pending is left out: docs/contract.md does not say whether it
keeps the activation.
"""

from __future__ import annotations

import math
import socket
from collections import Counter
from dataclasses import dataclass
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from fdevent._flags import EV_PERSIST, EV_READ, EV_TIMEOUT, EV_WRITE

TIMEOUTS = (None, 0, math.inf)
MASKS = (EV_READ, EV_WRITE, EV_TIMEOUT, EV_READ | EV_WRITE, EV_READ | EV_TIMEOUT)


@dataclass
class Entity:
    """The model of one event."""

    name: str
    ev: Any
    persist: bool
    watches: int  # EV_READ (the shared socket), EV_WRITE (the writer's socket) or 0
    attached: bool = False
    timeout: float | None = None
    active: int = 0

    def accepts(self, timeout: float | None) -> bool:
        """Whether attach(timeout) is valid: it must wait for something; a persistent
        event's timeout is an interval > 0."""
        if timeout is None:
            return self.watches != 0
        return not (self.persist and timeout == 0)


class DispatchMachine(RuleBasedStateMachine):
    def __init__(self, core: Any, backend: str) -> None:
        super().__init__()
        self.core = core
        self.backend = backend
        self.calls: list[tuple[str, int]] = []

    def record(self, name: str) -> Any:
        def cb(fd: int, events: int, arg: Any, /) -> None:
            self.calls.append((name, events))

        return cb

    @initialize()
    def setup(self) -> None:
        core = self.core
        self.base = core.EventBase(backend=self.backend)
        self.r_sock, self.r_peer = socket.socketpair()
        self.w_sock, self.w_peer = socket.socketpair()
        for s in (self.r_sock, self.r_peer, self.w_sock, self.w_peer):
            s.setblocking(False)
        self.readable = False
        base, rec = self.base, self.record
        self.entities = [
            Entity("timer", core.Timer(base, rec("timer")), False, 0),
            Entity("ptimer", core.Event(base, -1, EV_TIMEOUT | EV_PERSIST, rec("ptimer")), True, 0),
            Entity("reader", core.Event(base, self.r_sock, EV_READ, rec("reader")), False, EV_READ),
            Entity(
                "preader",
                core.Event(base, self.r_sock, EV_READ | EV_PERSIST, rec("preader")),
                True,
                EV_READ,
            ),
            Entity(
                "writer", core.Event(base, self.w_sock, EV_WRITE, rec("writer")), False, EV_WRITE
            ),
        ]

    def teardown(self) -> None:
        if hasattr(self, "base"):
            self.base.close()
            for s in (self.r_sock, self.r_peer, self.w_sock, self.w_peer):
                s.close()

    entity_index = st.integers(0, 4)

    @rule(i=entity_index, timeout=st.sampled_from(TIMEOUTS))
    def attach(self, i: int, timeout: float | None) -> None:
        e = self.entities[i]
        if e.active:
            return  # unspecified (see the module docstring)
        if not e.accepts(timeout):
            try:
                e.ev.attach(timeout)
            except ValueError:
                return
            raise AssertionError(f"{e.name}.attach({timeout}) did not raise ValueError")
        e.ev.attach(timeout)
        e.attached = True
        e.timeout = timeout

    @rule(i=entity_index)
    def detach(self, i: int) -> None:
        e = self.entities[i]
        e.ev.detach()
        e.attached = False
        e.timeout = None
        e.active = 0

    @rule(i=entity_index, mask=st.sampled_from(MASKS))
    def activate(self, i: int, mask: int) -> None:
        e = self.entities[i]
        e.ev.activate(mask)
        e.active |= mask

    @precondition(lambda self: not self.readable)
    @rule()
    def send(self) -> None:
        self.r_peer.send(b"x")
        self.readable = True

    @precondition(lambda self: self.readable)
    @rule()
    def drain(self) -> None:
        assert self.r_sock.recv(100) == b"x"
        self.readable = False

    @rule(once=st.booleans())
    def loop(self, once: bool) -> None:
        ready: dict[str, int] = {}
        for e in self.entities:
            mask = e.active
            if e.attached:
                if (e.watches == EV_READ and self.readable) or e.watches == EV_WRITE:
                    mask |= e.watches
                if e.timeout == 0:
                    mask |= EV_TIMEOUT
            if mask:
                ready[e.name] = mask
                e.active = 0
                if not e.persist:
                    e.attached = False
                    e.timeout = None
        self.calls.clear()
        self.base.loop(once=once, nonblock=True)
        assert Counter(self.calls) == Counter(ready.items()), (self.calls, ready)

    @invariant()
    def attached_matches(self) -> None:
        if hasattr(self, "entities"):
            for e in self.entities:
                assert e.ev.attached == e.attached, e.name


def test_random_sequences_match_the_model(core: Any, backend: str) -> None:
    run_state_machine_as_test(
        lambda: DispatchMachine(core, backend),
        settings=settings(max_examples=40, stateful_step_count=40, deadline=None),
    )
