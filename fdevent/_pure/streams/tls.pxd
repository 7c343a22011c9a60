from .buffer cimport Buffer

cdef Py_ssize_t _WIRE_MAX, _CHUNK

cdef class TLSLayer:
    cdef Buffer wire
    cdef bint ready
    cdef bint eof
    cdef object _engine
    cdef bint _closed

    cdef start(self)
    cdef bytes receive(self, bytes data)
    cdef encrypt(self, Buffer output)
    cdef close_notify(self, Buffer output)
    cdef _take(self)
