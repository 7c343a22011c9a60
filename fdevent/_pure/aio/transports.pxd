# The transport's reads and writes are the streams' C calls (cimported: C calls, no Python).
from ..streams.sockio cimport recv_into, recv_some, send_bytes
from .handles cimport fdevent_slot_get

cdef Py_ssize_t _O_SOCK, _O_SOCK_FD, _O_PROTOCOL, _O_CONN_LOST, _O_BUFFER, _O_EOF
cdef Py_ssize_t _O_EMPTY_WAITER, _O_READ_READY_CB
cdef type _Transport

cdef inline object _slot(object t, Py_ssize_t off, str name)
cdef object _GET_BUFFER, _DATA_RECEIVED
cdef _get_buffer(object self)
cdef _data_received(object self)
