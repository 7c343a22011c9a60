cdef extern from "_cext.h":
    double fdevent_monotonic() nogil

cpdef double monotonic() except? -1.0
