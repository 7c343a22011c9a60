from .record cimport EventRecord

cdef bint _before(EventRecord a, EventRecord b) noexcept

cdef class TimerHeap:
    cdef public list heap
    cdef unsigned long long seq

    cdef schedule(self, EventRecord ev, double deadline)
    cdef remove(self, EventRecord ev)
    cdef EventRecord pop(self)
    cdef clear(self)
    cdef _sift_up(self, Py_ssize_t i, EventRecord ev)
    cdef _sift_down(self, Py_ssize_t i, EventRecord ev)
