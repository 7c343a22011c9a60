from cpython.pythread cimport (
    PyThread_acquire_lock,
    PyThread_allocate_lock,
    PyThread_free_lock,
    PyThread_get_thread_ident,
    PyThread_release_lock,
    PyThread_type_lock,
)


cdef class CLock:
    cdef PyThread_type_lock _lock

    cdef bint acquire(self, bint blocking=*) noexcept
    cdef release(self)

cpdef unsigned long thread_id() noexcept

cdef extern from "_cext.h":
    double fdevent_monotonic() nogil

cpdef double monotonic() except? -1.0
