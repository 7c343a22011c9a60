
cdef class EventRecord:
    # 80 bytes of object, 96 with the GC header: one pymalloc size class, as in wave 1, so a
    # million timers cost 96 MB of records. One field more would be the next class (112), two
    # pointers more the one after (128, as before this layout): so nothing a timer never uses
    # is here. The events of an fd are listed by the fd table (evmap.py), not linked through
    # their records; an fd given as an object is kept in ``_arg`` (record.py says how).
    #
    # The order is for the timer heap, whose sifts are cache misses: what a comparison reads
    # (``_deadline``, then ``_heap_index`` written when an entry moves) sits right after the
    # object header, so that one 64-byte line holds them with the reference count; ``_seq``,
    # read only on a tie, comes next. No padding: 16 (header) + 8 + 4 + 4 + 8 + 4 + 4 x 1 +
    # 3 x 8 + 8 = 80. ``_res`` is the mask of what happened (non-zero means active);
    # ``_interval`` < 0 means no timeout; ``_seq`` breaks the heap's ties.
    cdef double _deadline
    cdef int _heap_index
    cdef int _fd
    cdef unsigned long long _seq
    cdef int _qcount
    cdef unsigned char _events
    cdef unsigned char _priority
    cdef unsigned char _res
    cdef unsigned char _state
    cdef object _base
    cdef object _callback
    cdef object _arg
    cdef double _interval

cdef class Handler:
    cdef _io_ready(self, EventRecord ev, int res)

cpdef EventRecord internal_record(object base, int fd, int events)
