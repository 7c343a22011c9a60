from ._checks cimport check_int, fd_of, timeout_seconds
from .base cimport EventBase

cdef int EV_ALL, EV_IO, EV_PERSIST, EV_RESULTS, EV_SIGNAL, EV_TIMEOUT, _FD_MAX

cdef class Event:
    # Laid out to fit 80 bytes (96 with the GC header: one pymalloc size class): pointers,
    # then doubles, then ints, then bytes. ``_res`` is the mask of what happened; non-zero
    # means active. ``_interval`` < 0 means no timeout.
    cdef EventBase _base
    cdef object _callback
    cdef object _arg
    cdef double _deadline
    cdef double _interval
    cdef unsigned long long _seq
    cdef int _fd
    cdef int _heap_index
    cdef int _qcount
    cdef unsigned char _events
    cdef unsigned char _priority
    cdef unsigned char _res
    cdef unsigned char _attached



cdef _init(Event self, object base, object fd, object events, object callback, object arg,
           object priority)
cdef _setup(Event self, object base_obj, object fd, object events_obj, object callback,
            object arg, object priority)


cdef class Timer(Event):
    pass


cdef class Ticker(Event):
    pass
