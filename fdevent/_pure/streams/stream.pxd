from .buffer cimport Buffer, _to_bytes
from .sockio cimport recv_some, send_buffer, send_bytes
from .tls cimport TLSLayer
from ..core.base cimport EventBase
from ..core.checks cimport check_int, timeout_seconds

# Filled by the module's Python-level imports; C ints on the hot path.
cdef int BEV_CONNECTED, BEV_EOF, BEV_ERROR, BEV_READING, BEV_TIMEOUT, BEV_WRITING
cdef int EV_PERSIST, EV_READ, EV_TIMEOUT, EV_WRITE
cdef int _READING, _WRITING, _PAUSED, _EOF, _DONE, _FAILED, _CLOSING, _CLOSED, _SHUT
cdef int _SHUT_DONE, _CONNECTING, _HANDSHAKE, _UNREPORTED, _ABOVE_LOW, _REPORT
cdef Py_ssize_t READ_MAX
cdef list _claims

cdef class Stream:
    # 15 objects, 2 doubles, 3 sizes, 2 ints, after the object header and the vtable
    # pointer: 200 bytes with the GC header, in the 208-byte pymalloc size class (one field
    # more would be 224). The write event is made on first need, so an idle stream is this,
    # two 80-byte Buffers and one 96-byte Event (see docs/design.md).
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
    cdef Stream _prev
    cdef Stream _next
    cdef double _read_timeout
    cdef double _write_timeout
    cdef Py_ssize_t _read_low
    cdef Py_ssize_t _read_high
    cdef Py_ssize_t _write_low
    cdef int _fd
    cdef int _flags

    cdef _setup(self, object base, object on_read, object on_write, object on_event,
                object arg, object priority)
    cdef _Streams _ring(self)
    cdef _enlist(self)
    cdef _unlink(self)
    cdef _attach_socket(self, object sock, object priority)
    cdef _begin_connect(self, object conn, TLSLayer tls)
    cdef _connected(self, object sock, object priority)
    cdef _connect_failed(self, object exc, int what)
    cdef _connect_timed_out(self)
    cdef _start_tls(self)
    cdef _update_read(self)
    cdef _update_write(self)
    cdef object _writer(self)
    cdef _readable(self, int events)
    cdef _writable(self, int events)
    cdef bint _send(self) except? -1
    cdef bint _encrypt(self) except? -1
    cdef _flush(self)
    cdef _push(self)
    cdef _decrypt(self, bytes data)
    cdef _tls_failed(self, BaseException exc)
    cdef _established(self)
    cdef _received(self, bytes data)
    cdef _at_eof(self)
    cdef _failed(self, BaseException exc, int direction)
    cdef _defer_failure(self, BaseException exc)
    cdef _timed_out(self, int direction)
    cdef _report(self, int what)
    cdef Py_ssize_t _pending_len(self) except? -1
    cdef _output_added(self)
    cdef _check_paused(self)
    cdef _shut_when_flushed(self)
    cdef _shutdown_write(self)
    cdef _finish_close(self, bint graceful)
    cdef _close(self)
    cdef _abort(self)


cdef class _Streams:
    cdef Stream head
    cdef object ref
    cdef object __weakref__

    cdef Stream holding(self, int fd)


cdef _check_unclaimed(int fd)
cdef int _directions(object events) except? -1
