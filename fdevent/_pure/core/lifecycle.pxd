from ..clib.cext cimport thread_id
from .loop cimport LoopCore
from .record cimport EventRecord, internal_record

# Filled by the module's Python-level imports; C ints.
cdef int EV_PERSIST, EV_READ, EV_SIGNAL, ST_ATTACHED, ST_INTERNAL

cdef class BaseLifecycle(LoopCore):
    cdef _make_wakeup(self)
    cdef int _closing(self, int num) except? -1
    cdef _close_events(self)
    cdef _release_os(self)
    cdef _maintain(self)
    cdef _rebuild_after_fork(self)
