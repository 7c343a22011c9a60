from ..core.base cimport EventBase

cdef list _claims

cdef class Owners:
    cdef list by_fd
    cdef dict pending
    cdef object ref
    cdef object __weakref__

cpdef Owners owners_of(EventBase base)
cpdef check_unclaimed(int fd)
cpdef add(EventBase base, object stream, int fd)
cpdef remove(EventBase base, object stream, int fd, bint ours)
