# serve() reads the base's fd table, wait time and flags through the typed EventBase.
from ..core.base cimport EventBase

cdef int EV_CLOSED, EV_READ, EV_WRITE
cdef double _INF
