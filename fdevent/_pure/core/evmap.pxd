from .record cimport EventRecord

# Filled by the module's Python-level import of fdevent._flags; C ints on the hot path.
cdef int EV_CLOSED, EV_ET, EV_IO, EV_READ, EV_WRITE

cdef class EvMap:
    cdef public list heads
    cdef public dict multi
    cdef public object poller
    cdef public dict signals

    cdef EventRecord head(self, int fd)
    cdef int mask(self, int fd)
    cdef _count(self, object c, EventRecord ev, int delta)
    cdef object add(self, EventRecord ev)
    cdef _first(self, EventRecord ev)
    cdef object _unlink_all(self, int fd)
    cdef object remove(self, EventRecord ev)
    cdef object drop(self, int fd)
    cdef clear(self)
    cdef add_signal(self, EventRecord ev)
    cdef bint remove_signal(self, EventRecord ev) except -1
