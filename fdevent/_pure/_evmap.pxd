from .event cimport Event

cdef class FdEntry:
    cdef public list events
    cdef int nread
    cdef int nwrite
    cdef int et

    cdef int mask(self)
    cdef void count(self, Event ev, int delta)


cdef class EvMap:
    cdef public dict fds
    cdef public object poller

    cdef object add(self, Event ev)
    cdef void _new_entry(self, Event ev) except *
    cdef object remove(self, Event ev)
    cdef void clear(self)
