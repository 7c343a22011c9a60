from .event cimport Event

cdef class TimerHeap:
    cdef public list heap
    cdef unsigned long long seq

    cdef void schedule(self, Event ev, double deadline) except *
    cdef void remove(self, Event ev) except *
    cdef Event pop(self)
    cdef void clear(self) except *
    cdef void _sift_up(self, Py_ssize_t i) except *
    cdef void _sift_down(self, Py_ssize_t i) except *
