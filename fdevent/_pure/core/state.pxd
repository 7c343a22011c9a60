from ..backends._poller cimport Poller
from ..clib.cext cimport monotonic
from .evmap cimport EvMap
from .record cimport EventRecord
from .guard cimport Guard
from .timeheap cimport TimerHeap

# Filled by the module's Python-level imports; C ints on the hot path.
cdef int EV_CLOSED, EV_ET, EV_IO, EV_SIGNAL, ST_ATTACHED, ST_INTERNAL

cdef class BaseState(Guard):
    cdef Poller _poller
    cdef str _backend
    cdef EvMap _evmap
    cdef TimerHeap _timers
    cdef list _queues
    cdef int _npriorities
    cdef Py_ssize_t _nattached
    cdef Py_ssize_t _nactive
    cdef double _now
    cdef double _exit_at
    cdef object _clockfn
    cdef bint _debug
    cdef double _slow
    cdef unsigned long long _iterations
    cdef unsigned long long _callbacks
    cdef double _poll_time
    cdef double _callback_time
    cdef bint _running
    cdef bint _closed
    cdef bint _break
    cdef bint _got_exit
    cdef bint _got_break
    cdef object _exc_handler
    cdef bint _forked
    cdef set _sigpending
    cdef int _wakefd
    cdef EventRecord _wakeev
    cdef dict _closers
    cdef object __weakref__

    cdef double _clock(self) except? -1.0
    cdef _check_open(self)
    cdef int _priority_of(self, object priority) except? -1
    cdef _attach(self, EventRecord ev, bint has_timeout, double timeout)
    cdef _forget(self, EventRecord ev)
    cdef _detach(self, EventRecord ev)
    cdef _activate(self, EventRecord ev, int res)
    cdef _watch_signal(self, EventRecord ev)
    cdef _unwatch_signal(self, EventRecord ev)
