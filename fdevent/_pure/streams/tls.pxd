from .core cimport StreamCore
from .sockio cimport send_buffer

cdef int BEV_CONNECTED, BEV_ERROR, BEV_READING, BEV_TIMEOUT, BEV_WRITING, EV_WRITE
cdef int _ABOVE_LOW, _CLOSING, _CONNECTING, _DONE, _EOF, _FAILED, _HANDSHAKE, _SHUT, _WRITING
cdef Py_ssize_t _TLS_WIRE_MAX

cdef class StreamTLS(StreamCore):
    cdef _begin_connect(self, object conn, object tls)
    cdef _connect_socket(self, object sock, object priority)
    cdef _drop_socket(self)
    cdef _connected(self)
    cdef _established(self)
    cdef _connect_failed(self, object exc, int what)
    cdef _connect_timed_out(self)
    cdef _start_tls(self, object tls)
    cdef _tls_received(self, bytes data)
    cdef _tls_step(self)
    cdef _tls_failed(self, BaseException exc)
    cdef _tls_encrypt(self)
    cdef _tls_send_wire(self)
    cdef _tls_close_notify(self)
