from .stream cimport Stream

cdef Stream _connect(object base, object address, object on_read, object on_write,
                     object on_event, object arg, object priority, object ssl,
                     object server_hostname, object timeout)
