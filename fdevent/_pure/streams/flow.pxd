from . cimport owners
from .buffer cimport Buffer
from .sockio cimport send_buffer
from .stream cimport Stream
from ..core.record cimport EventRecord, Handler

# Filled by the module's Python-level imports; C ints on the hot path.
cdef int BEV_EOF, BEV_ERROR, BEV_READING, BEV_TIMEOUT, BEV_WRITING
cdef int EV_PERSIST, EV_TIMEOUT, EV_WRITE, ST_HANDLER
cdef int _ABOVE_LOW, _CLOSED, _CLOSING, _CONNECTING, _DONE, _EOF, _FAILED, _HANDSHAKE, _LATER
cdef int _PAUSED, _READING, _REPORT, _SHUT, _SHUT_DONE, _WRITING

cdef class _WriteCallback(Handler):
    pass

cdef _WriteCallback _WRITE_CB

# cpdef: what driver.py and connect.py call. They import it by name (as the pure core needs)
# and cimport it from here, so a compiled call is a C call; a cdef function could not be
# imported by name.
cpdef object _event(Stream s, int fd, int flags, Handler cb, object priority)
cpdef _update_read(Stream s)
cpdef _update_write(Stream s)
cdef object _writer(Stream s)
cdef _writable(Stream s, int events)
cpdef bint _send(Stream s) except? -1
cpdef _flush(Stream s)
cpdef _output_added(Stream s)
cpdef Py_ssize_t _pending(Stream s) except? -1
cpdef _failed(Stream s, object exc, int what)
cpdef _timed_out(Stream s, int direction)
cpdef _report(Stream s, int what)
cpdef _shut_when_flushed(Stream s)
cdef _shutdown_write(Stream s)
cpdef _close(Stream s)
cpdef _abort(Stream s)
cdef _finish_close(Stream s, bint graceful)
