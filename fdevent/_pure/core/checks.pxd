cpdef fd_of(object fd)
cpdef check_int(object name, object value)
cpdef double timeout_seconds(object timeout) except? -1.0
