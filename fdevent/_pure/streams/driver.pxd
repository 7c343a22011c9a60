from . cimport owners
from .flow cimport _abort, _close, _event, _failed, _flush, _output_added, _pending, _report
from .flow cimport _send, _shut_when_flushed, _timed_out, _update_read, _update_write
from .sockio cimport recv_some
from .stream cimport Driver, Stream
from .tls cimport TLSLayer
from ..core.record cimport EventRecord, Handler

# Filled by the module's Python-level imports; C ints on the hot path.
cdef int BEV_CONNECTED, BEV_EOF, BEV_READING, EV_PERSIST, EV_READ, EV_TIMEOUT
cdef int _ABOVE_LOW, _CLOSING, _CONNECTING, _DONE, _EOF, _FAILED, _HANDSHAKE, _PAUSED, _SHUT
cdef int _UNREPORTED, _WRITING
cdef Py_ssize_t READ_MAX

cdef class SocketDriver(Driver):
    pass

cdef class _ReadCallback(Handler):
    pass

cdef _ReadCallback _READ_CB

cdef _attach_socket(Stream s, object sock, object priority)
cpdef _connected(Stream s, object sock, object priority)
cdef _established(Stream s)
cdef _readable(Stream s, int events)
cdef _received(Stream s, bytes data)
cdef _at_eof(Stream s)
cdef _check_paused(Stream s)
cdef _start_tls(Stream s)
cdef _decrypt(Stream s, bytes data)
cdef _push(Stream s)
