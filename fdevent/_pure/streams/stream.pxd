from .buffer cimport Buffer, _to_bytes
from .checks cimport directions, timeout_or_off
from .sockio cimport send_bytes
from .tls cimport TLSLayer
from ..core.base cimport EventBase

# Filled by the module's Python-level imports; C ints.
cdef int BEV_WRITING, EV_READ, EV_WRITE
cdef int _CLOSED, _CLOSING, _CONNECTING, _FAILED, _HANDSHAKE, _LATER, _READING, _SHUT, _WRITING

cdef class Stream:
    # 13 objects, 2 doubles, 3 sizes and 2 ints after the object header and the vtable
    # pointer: 176 bytes, 192 with the GC header, exactly a pymalloc size class (one field
    # more would be 208; 208 it was while a TLS buffer field was here). The write event is
    # made on first need, so an idle stream is this, two 80-byte Buffers, one 96-byte Event,
    # and its slots in the base's fd table and in its Owners (owners.py), 8 bytes a number.
    cdef EventBase _base
    cdef object _sock
    cdef Buffer _input
    cdef Buffer _output
    cdef object _on_read
    cdef object _on_write
    cdef object _on_event
    cdef object _arg
    cdef object _rev
    cdef object _wev
    cdef object _error
    cdef TLSLayer _tls
    cdef object _conn
    cdef double _read_timeout
    cdef double _write_timeout
    cdef Py_ssize_t _read_low
    cdef Py_ssize_t _read_high
    cdef Py_ssize_t _write_low
    cdef int _fd
    cdef int _flags

    cdef _setup(self, object base, object on_read, object on_write, object on_event,
                object arg, object priority)


cdef class Driver:
    cdef attach(self, Stream s, object sock, object priority)
    cdef output_added(self, Stream s)
    cdef failed(self, Stream s, object exc, int what)
    cdef update(self, Stream s)
    cdef check_paused(self, Stream s)
    cdef shut(self, Stream s)
    cdef close(self, Stream s)
    cdef abort(self, Stream s)


cdef Driver _driver
