from .evmap cimport EvMap
from .loop cimport LoopCore
from .record cimport EventRecord
from ..clib.cext cimport thread_id
from .timeheap cimport TimerHeap

# Filled by the module's Python-level imports and assignments; C values.
cdef int EV_PERSIST, EV_SIGNAL, MAX_PRIORITIES, ST_ATTACHED, ST_INTERNAL
cdef double _INF

cdef class EventBase(LoopCore):
    cdef int _closing(self, int num) except? -1
    cdef _close_events(self)
    cdef _release_os(self)
