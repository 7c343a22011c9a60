from ..clib.cext cimport monotonic
from .record cimport EventRecord

cdef bint _SAME_CLOCK
cdef int ST_FDOBJ

cpdef double perf() except? -1.0
cpdef timed_call(EventRecord ev, int res, double slow)
