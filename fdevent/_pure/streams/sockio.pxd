from cpython.bytes cimport PyBytes_AS_STRING
from libc.errno cimport errno

from .buffer cimport Buffer

cdef extern from "_streamio.h":
    object fdevent_recv_obj(int fd, Py_ssize_t cap)
    Py_ssize_t fdevent_send(int fd, const char *data, Py_ssize_t n)
    Py_ssize_t fdevent_send_chunks(int fd, object first, Py_ssize_t off, object rest,
                                   Py_ssize_t ri)
    int fdevent_not_now(int err)

cdef Py_ssize_t _READ_MAX

cpdef object recv_some(object sock, int fd, Py_ssize_t cap)
cpdef Py_ssize_t send_bytes(object sock, int fd, bytes data, Py_ssize_t start) except? -1
cpdef Py_ssize_t send_buffer(object sock, int fd, Buffer buf) except? -1
cdef object _not_now_or_raise()
