from .evmap cimport FdGroup
from .record cimport EventRecord, Handler
from .state cimport BaseState
from .timing cimport perf, timed_call

# Filled by the module's Python-level imports and assignments; C values on the hot path.
cdef int EV_PERSIST, EV_SIGNAL, EV_TIMEOUT, ST_ATTACHED, ST_FDOBJ, ST_HANDLER
cdef double _INF, MAX_WAIT
cdef bint _PERF_IS_MONOTONIC

# The fields are BaseState's (state.pxd): the loop adds operations, not state.
cdef class LoopCore(BaseState):
    cdef _loop(self, bint once, bint nonblock)
    cdef object _wait_time(self, bint nonblock)
    cdef _poll_or_jump(self, object timeout)
    cdef _poll(self, object timeout)
    cdef _ready(self, int fd, int mask)
    cdef _expire_timers(self)
    cdef _run_active(self)
    cdef _rearm(self, EventRecord ev, int res)
    cdef _activate_signals(self)
