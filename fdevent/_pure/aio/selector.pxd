# The selector's readiness is a C call from the base (record.Handler), which runs the ready
# handle with handles' C calls.
from ..core.record cimport EventRecord, Handler
from .handles cimport is_cancelled, run

cdef int EV_PERSIST, EV_READ, EV_WRITE, ST_HANDLER
cdef int _EVENT_READ, _EVENT_WRITE
cdef object _Handle

cdef class _Ready(Handler):
    cdef public dict keys
    cdef public Py_ssize_t index
    cdef public int direction
    cdef public bint debug
    cdef public object run_handle
    cdef public object drop
    cdef _fire(self, int fd)
