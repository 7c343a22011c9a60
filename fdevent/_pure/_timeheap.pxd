from .event cimport Event

cdef class TimerHeap:
    cdef public list heap
    cdef unsigned long long seq

    cdef schedule(self, Event ev, double deadline)
    cdef remove(self, Event ev)
    cdef Event pop(self)
    cdef clear(self)
    cdef _sift_up(self, Py_ssize_t i)
    cdef _sift_down(self, Py_ssize_t i)
