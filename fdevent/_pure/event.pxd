from .base cimport EventBase

cdef int EV_ALL, EV_IO, EV_PERSIST, EV_RESULTS, EV_SIGNAL, EV_TIMEOUT, _FD_MAX

cdef class Event:
    cdef EventBase _base
    cdef int _fd
    cdef int _events
    cdef object _callback
    cdef object _arg
    cdef int _priority
    cdef object _timeout
    cdef double _deadline
    cdef double _interval
    cdef unsigned long long _seq
    cdef Py_ssize_t _heap_index
    cdef bint _attached
    cdef bint _active
    cdef int _res
    cdef int _qcount


cdef class Timer(Event):
    pass


cdef class Ticker(Event):
    pass
