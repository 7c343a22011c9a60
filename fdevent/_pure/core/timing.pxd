from .record cimport EventRecord

cdef extern from "_cext.h":
    double fdevent_monotonic() nogil

cpdef double perf() except? -1.0
cpdef timed_call(EventRecord ev, int res, double slow)
