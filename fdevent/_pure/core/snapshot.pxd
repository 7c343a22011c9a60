from .record cimport EventRecord
from .base cimport EventBase

cdef int ST_ATTACHED, ST_INTERNAL
