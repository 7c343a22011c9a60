from .evmap cimport EvMap
from .lifecycle cimport BaseLifecycle
from ..clib.cext cimport thread_id
from .timeheap cimport TimerHeap

# Filled by the module's Python-level imports and assignments; C values.
cdef int EV_PERSIST, MAX_PRIORITIES
cdef double _INF

# Its cdef methods are its parents' (lifecycle.pxd, loop.pxd, state.pxd, guard.pxd).
cdef class EventBase(BaseLifecycle):
    pass
