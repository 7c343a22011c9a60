
cdef class Poller:
    cdef int rfd[256]
    cdef int rmask[256]
    cdef list _rest
    cdef public list ready

    cpdef int wait_into(self, object timeout) except? -1
