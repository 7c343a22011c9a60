from ..clib.cext cimport CLock, thread_id
from .record cimport EventRecord

# Filled by the module's Python-level assignments; C values on the hot path.
cdef int NESTED, TOOK, FROM_CALLBACK, BORROWED

cdef class Guard:
    cdef CLock _lock
    cdef unsigned long _holder
    cdef unsigned long _loop_tid
    cdef bint _keeping
    cdef bint _shared
    cdef bint _nested
    cdef CLock _borrow
    cdef unsigned long _borrower
    cdef EventRecord _current
    cdef int _nwaiters
    cdef object _cond
    cdef bint _polling
    cdef bint _notified
    cdef bint _stale_reports
    cdef bint _maint
    cdef object _wakeup

    cdef int _enter(self) except? -1
    cdef int _enter_busy(self, unsigned long me) except? -1
    cdef _leave(self, int entered)
    cdef _stop_keeping(self)
    cdef _give_lock(self)
    cdef _take_lock(self)
    cdef bint _must_wait(self, EventRecord ev, int entered) except? -1
    cdef _wait_callback(self, EventRecord ev)
    cdef _wake_waiters(self)
    cdef _maintain(self)
