from .tls cimport StreamTLS
from .buffer cimport Buffer, _to_bytes
from ..core.checks cimport check_int
from .sockio cimport send_bytes

cdef int EV_READ, EV_WRITE
cdef int _CLOSED, _CLOSING, _CONNECTING, _FAILED, _HANDSHAKE, _READING, _SHUT, _WRITING

cdef class Stream(StreamTLS):
    pass

cdef int _directions(object events) except? -1
