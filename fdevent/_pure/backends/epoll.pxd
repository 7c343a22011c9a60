from cpython.exc cimport PyErr_CheckSignals
from libc.errno cimport EINTR
from libc.errno cimport errno as errno_c

from ._poller cimport Poller

cdef extern from "_cext.h":
    ctypedef union epoll_data_t:
        int fd
    cdef struct epoll_event:
        unsigned int events
        epoll_data_t data
    int epoll_wait(int epfd, epoll_event *events, int maxevents, int timeout) nogil
    int fdevent_epoll_wait(int epfd, epoll_event *events, int maxevents, double timeout) nogil
    int fdevent_epoll_precise() nogil

cdef int BATCH
cdef int _EPOLLRDHUP

cdef int _fold(unsigned int events) noexcept

cdef class EpollPoller(Poller):
    cdef object _ep
    cdef int _epfd
    cdef int _report[64]
    # BATCH entries: the size must be a literal here.
    cdef epoll_event _evs[256]
