from cpython.exc cimport PyErr_CheckSignals
from libc.errno cimport EINTR, errno

from .event cimport Event
from ._evmap cimport EvMap, FdEntry
from ._timeheap cimport TimerHeap

cdef extern from "_cext.h":
    double fdevent_monotonic() nogil
    ctypedef union epoll_data_t:
        int fd
    cdef struct epoll_event:
        unsigned int events
        epoll_data_t data
    int epoll_wait(int epfd, epoll_event *events, int maxevents, int timeout) nogil
    enum:
        EPOLLIN
        EPOLLOUT
        EPOLLERR
        EPOLLHUP

# Filled by the module's Python-level imports and assignments; C values on the hot path.
cdef int EV_ET, EV_IO, EV_PERSIST, EV_READ, EV_TIMEOUT, EV_WRITE, MAX_PRIORITIES
cdef double _INF, MAX_WAIT
cdef int _EPOLL_BATCH

cdef double _clock() except? -1.0


cdef inline int epoll_report(unsigned int bits) noexcept:
    # An epoll report as fdevent's mask; an error or hang-up wakes readers and writers alike.
    # The compiled wait's twin of backends/epoll.py's _from_epoll: keep the two in step.
    if bits & (EPOLLERR | EPOLLHUP):
        return EV_IO
    return (EV_READ if bits & EPOLLIN else 0) | (EV_WRITE if bits & EPOLLOUT else 0)

cdef class EventBase:
    cdef object _poller
    cdef str _backend
    cdef bint _supports_et
    cdef int _epfd
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
    # _EPOLL_BATCH entries: the size must be a literal here.
    cdef epoll_event _epevents[256]

    cdef _check_open(self)
    cdef int _priority_of(self, object priority) except? -1
    cdef _attach(self, Event ev, bint has_timeout, double timeout)
    cdef _forget(self, Event ev)
    cdef _detach(self, Event ev)
    cdef _activate(self, Event ev, int res)
    cdef _loop(self, bint once, bint nonblock)
    cdef object _wait_time(self, bint nonblock)
    cdef _poll(self, object timeout)
    cdef _ready(self, int fd, int mask)
    cdef _poll_epoll(self, object timeout)
    cdef _expire_timers(self)
    cdef _run_active(self)
    cdef _run_one(self, Event ev)
    cdef _rearm(self, Event ev, int res)
