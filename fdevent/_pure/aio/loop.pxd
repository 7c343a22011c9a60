# Loop is a Python class (it subclasses asyncio's loop); the base it runs on is typed, so
# time() reads the base's clock with a C call, and handles are made and run with C calls.
from ..core.base cimport EventBase
from .handles cimport is_cancelled, new_handle, new_timer_handle, run
from .handles cimport fdevent_slot_get

cdef Py_ssize_t _O_BASE, _O_READY, _O_READY_EV, _O_CLOSED, _O_DEBUG, _O_STOPPING

cdef inline object _get(object loop, Py_ssize_t off, str name)
