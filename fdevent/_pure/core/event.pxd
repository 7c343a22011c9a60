from .checks cimport check_int, fd_of, timeout_seconds
from .record cimport EventRecord
from .base cimport EventBase

cdef int EV_ALL, EV_CLOSED, EV_ET, EV_IO, EV_PERSIST, EV_READ, EV_RESULTS, EV_SIGNAL
cdef int EV_TIMEOUT, ST_ATTACHED, ST_FDOBJ, ST_HANDLER, ST_INTERNAL, _FD_MAX

cdef class Event(EventRecord):
    pass


cdef _init(Event self, object base, object fd, object events, object callback, object arg,
           object priority)
cdef _init_timer(Event self, object base, int events, object callback, object arg,
                 object priority)
cdef _reset(Event self)
cdef EventBase _open_base(object base_obj)
cdef _setup(Event self, object base_obj, object fd, object events_obj, object callback,
            object arg, object priority)
cdef _fill(Event self, EventBase base, int fd, int events, object callback, object arg,
           object priority)


cdef class Timer(Event):
    pass


cdef class Ticker(Event):
    pass


cdef class Signal(Event):
    pass
