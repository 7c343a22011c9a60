from .event cimport Event

cdef class FdEntry:
    cdef public list events
    cdef int nread
    cdef int nwrite
    cdef int et

    cdef int mask(self)
    cdef count(self, Event ev, int delta)


cdef class EvMap:
    cdef public dict fds
    cdef public object poller

    cdef object add(self, Event ev)
    cdef _new_entry(self, Event ev)
    cdef object remove(self, Event ev)
    cdef clear(self)
