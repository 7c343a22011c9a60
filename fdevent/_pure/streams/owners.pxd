from ..core.base cimport EventBase

cdef list _every

cdef class Owners:
    cdef list by_fd
    cdef dict pending
    cdef object __weakref__

    cdef bint holds(self, int fd) except? -1

cpdef Owners owners_of(EventBase base)
cpdef check_unclaimed(int fd)
cpdef add(EventBase base, object stream, int fd)
cpdef remove(EventBase base, object stream, int fd)
