from .event cimport Event

# Filled by the module's Python-level import of fdevent._flags; C ints on the hot path.
cdef int EV_ET, EV_IO, EV_READ, EV_WRITE

cdef class FdEntry:
    cdef public tuple events
    cdef int nread
    cdef int nwrite
    cdef int et

    cdef int mask(self)
    cdef count(self, Event ev, int delta)


cdef class EvMap:
    cdef public list fds
    cdef public object poller

    cdef FdEntry get(self, int fd)
    cdef object add(self, Event ev)
    cdef _new_entry(self, Event ev)
    cdef object remove(self, Event ev)
    cdef clear(self)
