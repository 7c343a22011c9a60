from . cimport owners
from .checks cimport timeout_or_off
from .driver cimport _connected
from .flow cimport _failed
from .stream cimport Stream
from .tls cimport TLSLayer

cdef int BEV_ERROR, BEV_READING, BEV_TIMEOUT, BEV_WRITING, EV_READ, EV_TIMEOUT, EV_WRITE
cdef int _CONNECTING, _HANDSHAKE

cdef Stream _connect(object base, object address, object on_read, object on_write,
                     object on_event, object arg, object priority, object ssl,
                     object server_hostname, object timeout)
