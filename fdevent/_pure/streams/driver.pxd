from . cimport owners
from .buffer cimport Buffer
from .sockio cimport recv_some, send_buffer
from .stream cimport Driver, Stream
from .tls cimport TLSLayer
from ..core.record cimport EventRecord, Handler

# Filled by the module's Python-level imports; C ints on the hot path.
cdef int BEV_CONNECTED, BEV_EOF, BEV_ERROR, BEV_READING, BEV_TIMEOUT, BEV_WRITING
cdef int EV_PERSIST, EV_READ, EV_TIMEOUT, EV_WRITE, ST_HANDLER
cdef int _ABOVE_LOW, _CLOSED, _CLOSING, _CONNECTING, _DONE, _EOF, _FAILED, _HANDSHAKE, _LATER
cdef int _PAUSED, _READING, _REPORT, _SHUT, _SHUT_DONE, _UNREPORTED, _WRITING
cdef Py_ssize_t READ_MAX

cdef class SocketDriver(Driver):
    pass

cdef class _ReadCallback(Handler):
    pass

cdef class _WriteCallback(Handler):
    pass

cdef _ReadCallback _READ_CB
cdef _WriteCallback _WRITE_CB

cdef object _event(Stream s, int fd, int flags, Handler cb, object priority)
cdef _attach_socket(Stream s, object sock, object priority)
cpdef _connected(Stream s, object sock, object priority)
cdef _update_read(Stream s)
cdef _update_write(Stream s)
cdef object _writer(Stream s)
cdef _readable(Stream s, int events)
cdef _writable(Stream s, int events)
cdef bint _send(Stream s) except? -1
cdef _flush(Stream s)
cdef _output_added(Stream s)
cdef Py_ssize_t _pending(Stream s) except? -1
cdef _start_tls(Stream s)
cdef _decrypt(Stream s, bytes data)
cdef _push(Stream s)
cdef _established(Stream s)
cdef _received(Stream s, bytes data)
cdef _at_eof(Stream s)
cpdef _failed(Stream s, object exc, int what)
cdef _timed_out(Stream s, int direction)
cdef _report(Stream s, int what)
cdef _check_paused(Stream s)
cdef _shut_when_flushed(Stream s)
cdef _shutdown_write(Stream s)
cdef _close(Stream s)
cdef _abort(Stream s)
cdef _finish_close(Stream s, bint graceful)
