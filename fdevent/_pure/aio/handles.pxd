# The loop makes and runs handles with C calls (cimported by loop.pxd); Python code calls the
# cpdef functions as usual. _slots.h stores a handle's slots by their offsets.
cdef extern from "_slots.h":
    Py_ssize_t fdevent_slot_offset(object descr) except -1
    object fdevent_slotted_new(object tp)
    void fdevent_slot_set(object obj, Py_ssize_t off, object v)
    bint fdevent_slot_is_true(object obj, Py_ssize_t off)
    object fdevent_slot_get(object obj, Py_ssize_t off, object name)
    object fdevent_context_run(object ctx, object fn, object args)

cdef object _Handle, _copy_context
cdef bint _FORMAT_TAKES_DEBUG, _C_FILL
cdef Py_ssize_t _O_CONTEXT, _O_LOOP, _O_CALLBACK, _O_ARGS, _O_CANCELLED, _O_REPR, _O_TRACEBACK

cdef _fill(object h, object callback, object args, object loop, object context)
cdef object _new(type cls)
cpdef bint is_cancelled(object h)
cpdef new_handle(object callback, object args, object loop, object context)
cpdef new_timer_handle(object when, object callback, object args, object loop, object context)
cpdef run(object handle)
cpdef report(object handle, object exc)
