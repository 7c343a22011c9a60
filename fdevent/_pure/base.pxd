from .event cimport Event
from ._evmap cimport EvMap
from ._timeheap cimport TimerHeap

cdef class EventBase:
    cdef object _poller
    cdef str _backend
    cdef bint _supports_et
    cdef EvMap _evmap
    cdef TimerHeap _timers
    cdef list _queues
    cdef int _npriorities
    cdef Py_ssize_t _nattached
    cdef Py_ssize_t _nactive
    cdef double _now
    cdef double _exit_at
    cdef bint _running
    cdef bint _closed
    cdef bint _break
    cdef bint _got_exit
    cdef bint _got_break
    cdef object _exc_handler

    cdef _check_open(self)
    cdef int _priority_of(self, object priority) except? -1
    cdef _attach(self, Event ev, bint has_timeout, double timeout)
    cdef _forget(self, Event ev)
    cdef _detach(self, Event ev)
    cdef _activate(self, Event ev, int res)
    cdef _loop(self, bint once, bint nonblock)
    cdef object _wait_time(self, bint nonblock)
    cdef _poll(self, object timeout)
    cdef _expire_timers(self)
    cdef _run_active(self)
    cdef _run_one(self, Event ev)
    cdef _rearm(self, Event ev, int res)
