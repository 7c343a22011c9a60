from .buffer cimport Buffer

cdef Py_ssize_t _WIRE_MAX, _CHUNK

cdef class TLSLayer:
    cdef Buffer wire
    cdef bint eof
    cdef object _engine
    cdef bint _closed

    cdef start(self)
    cdef feed(self, bytes data)
    cdef bint handshake(self) except? -1
    cdef bytes read(self)
    cdef encrypt(self, Buffer output)
    cdef close_notify(self, Buffer output)
    cdef _take(self)
