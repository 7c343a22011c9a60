from ..core.checks cimport check_int, timeout_seconds

cdef int EV_READ, EV_WRITE, _READING, _WRITING

cpdef double timeout_or_off(str name, object value) except? -2.0
cpdef int directions(object events) except? -1
