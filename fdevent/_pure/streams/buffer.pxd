cdef Py_ssize_t _SMALL, _TAIL_MAX, _COMPACT, _SSIZE_MAX

cdef class Buffer:
    # 72 bytes of object (88 with the GC header; 96 in pymalloc): the 16-byte header, the
    # vtable pointer (the C methods below), 5 fields of 8 and a 4-byte index (and 4 of
    # padding). The methods as module functions, as event.py has its own, would drop the
    # pointer (80 in pymalloc) and Cython's __pyx_vtable__ from help(); the streams call
    # them, so that change is made with theirs.
    # ``_first`` is the first live chunk (bytes, or a bytearray tail) or None when empty;
    # ``_rest`` the later chunks from index ``_ri`` on, or None.
    cdef object _first
    cdef list _rest
    cdef int _ri
    cdef Py_ssize_t _off
    cdef Py_ssize_t _len
    cdef object _owner

    cdef Py_ssize_t _count(self, object n) except? -1
    cdef _append_bytes(self, bytes data)
    cdef _append_rest(self, bytes data, Py_ssize_t start)
    cdef _clear(self)
    cdef _consume(self, Py_ssize_t n)
    cdef _next_chunk(self)
    cdef bytes _take(self, Py_ssize_t n, bint consume)
    cdef bytes _gather(self, Py_ssize_t n)
    cdef _coalesce(self)

cpdef bytes _to_bytes(object data)
cdef bytes _bytes_arg(str name, object value)
cdef Py_ssize_t _size_arg(str name, object value) except? -1
