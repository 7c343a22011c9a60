from .record cimport EventRecord

# Filled by the module's Python-level import of fdevent._flags; C ints on the hot path.
cdef int EV_CLOSED, EV_ET, EV_IO, EV_READ, EV_WRITE

cdef object _key(EventRecord ev)

cdef class FdGroup:
    cdef public dict evs
    cdef int et
    cdef int nread
    cdef int nwrite
    cdef int nclosed

    cdef put(self, EventRecord ev, int delta)
    cdef int mask(self)
    cdef EventRecord first(self)

cdef class EvMap:
    cdef public list heads
    cdef public object poller
    cdef public dict signals

    cdef object head(self, int fd)
    cdef int mask(self, int fd)
    cdef object add(self, EventRecord ev)
    cdef object _take_all(self, int fd)
    cdef object remove(self, EventRecord ev)
    cdef object drop(self, int fd)
    cdef clear(self)
    cdef add_signal(self, EventRecord ev)
    cdef bint remove_signal(self, EventRecord ev) except -1
