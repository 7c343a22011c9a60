
cdef class EventRecord:
    # 104 bytes of object (120 with the GC header; 128 in pymalloc): pointers, then doubles,
    # then ints, then bytes. ``_res`` is the mask of what happened (non-zero means active);
    # ``_interval`` < 0 means no timeout; ``_fdobj`` is the object given as the fd when it
    # was not an int (kept alive with the event); ``_next``/``_prev`` link the events of one
    # fd (the fd table's intrusive list, as libevent's evmap).
    cdef object _base
    cdef object _callback
    cdef object _arg
    cdef object _fdobj
    cdef EventRecord _next
    cdef EventRecord _prev
    cdef double _deadline
    cdef double _interval
    cdef unsigned long long _seq
    cdef int _fd
    cdef int _heap_index
    cdef int _qcount
    cdef unsigned char _events
    cdef unsigned char _priority
    cdef unsigned char _res
    cdef unsigned char _state

cdef class Handler:
    cdef _io_ready(self, EventRecord ev, int res)

cpdef EventRecord internal_record(object base, int fd, int events)
