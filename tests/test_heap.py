"""The timer heap under random attach / re-attach / detach: deadline order, nothing lost.

Each attach is bracketed by ``time.monotonic()`` readings, so the true deadline of timer i lies
in ``[before_i + t_i, after_i + t_i]``. The test asserts only what those brackets prove: i
fires before j when i's latest possible deadline is earlier than j's earliest, or when both
have the same timeout and i was attached first (ties go by attach order). Timeouts are a few
milliseconds, so after a short sleep every due timer expires in one ``loop(nonblock=True)``.
"""

from __future__ import annotations

import math
import time
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from support.loop import assert_deadline_order, attach_bracketed
from support.recorder import logger

N_TIMERS = 12
#: Small timeouts fire within the example; the big ones never do and exercise the heap's tail.
FIRING = (0, 0.001, 0.002, 0.003)
NEVER = (1000.0, 1e9, math.inf)

ops_strategy = st.lists(
    st.one_of(
        st.tuples(st.just("attach"), st.integers(0, N_TIMERS - 1), st.sampled_from(FIRING + NEVER)),
        st.tuples(st.just("detach"), st.integers(0, N_TIMERS - 1), st.just(0)),
    ),
    max_size=80,
)


@settings(max_examples=60, deadline=None)
@given(ops=ops_strategy)
def test_timers_fire_in_deadline_order(core: Any, ops: list[tuple[str, int, float]]) -> None:
    fired: list[int] = []
    #: timer index -> (timeout, before, after, attach sequence number), for attached timers
    armed: dict[int, tuple[float, float, float, int]] = {}
    with core.EventBase() as base:
        timers = [core.Timer(base, logger(fired, i)) for i in range(N_TIMERS)]
        for op, i, timeout in ops:
            if op == "attach":
                attach_bracketed(armed, i, timers[i], timeout)
            else:
                timers[i].detach()
                armed.pop(i, None)
            assert timers[i].attached == (i in armed)
        due = {i for i, (t, *_) in armed.items() if t in FIRING}
        if due:
            latest = max(armed[i][2] + armed[i][0] for i in due)
            time.sleep(max(0.0, latest - time.monotonic()) + 0.001)
        base.loop(nonblock=True)

        assert sorted(fired) == sorted(due), "each due timer fires exactly once, no other does"
        assert_deadline_order(fired, armed)
        for i, timer in enumerate(timers):
            assert timer.attached == (i in armed and i not in due)
        base.loop(nonblock=True)
        assert sorted(fired) == sorted(due)
