"""The socket transport: the stdlib's class, reading and writing through the streams' C calls.

``SocketTransport`` is ``selector_events._SelectorSocketTransport`` (so ``isinstance(t,
asyncio.Transport)`` holds and every other behaviour, from flow control to ``write_eof``,
``sendfile`` and ``get_extra_info``, is the running Python's) with the methods a
request goes through replaced by compiled ones that move bytes with fdevent's stream I/O
(``streams/sockio.py``: on the compiled core ``recv``/``readv``/``send`` on the fd in C, with
the process's read scratch area, so a 64-byte read is a 64-byte bytes object and not a
256 KiB one shrunk, and no Python-level socket method per read or write):

- ``_read_ready``: the reader's callback, which calls one of the two below;
- ``_read_ready__data_received``: one read and ``protocol.data_received``;
- ``_read_ready__get_buffer``: a ``BufferedProtocol``'s buffer filled in C (``recv`` into
  the ``get_buffer()`` object's memory), then ``buffer_updated``;
- ``write``: when nothing is buffered and the transport is open, the first send is made here
  and a complete send returns; anything else (a partial send, a closing or paused transport,
  a non-``bytes`` buffer) goes to the stdlib's ``write`` with what is left, which tries the
  socket once more and then buffers.

The logic and the error reports are the stdlib's (these methods are the same on 3.10-3.13).
"""

from __future__ import annotations

import sys
from asyncio import selector_events, trsock
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..clib import shim as cython
else:
    try:
        import cython
    except ImportError:  # pragma: no cover - the pure core without Cython installed
        from ..clib import shim as cython
    if not cython.compiled:  # at run time the pure core takes the shim (its docstring)
        from ..clib import shim as cython

from ..streams.sockio import recv_into, recv_some, send_bytes
from .handles import slot_offsets

#: 3.12+'s loop checks, when it makes a transport, that no other transport has the socket.
ENSURES_FD = sys.version_info >= (3, 12)

_Base: Any = selector_events._SelectorSocketTransport  # type: ignore[attr-defined]

#: The keys of the stdlib's extra-info dict when nobody added any.
_STANDARD_EXTRA = frozenset({"socket", "sockname", "peername"})

#: The transport's slots, in the order of their offsets below.
_SLOTS = (
    "_sock",
    "_sock_fd",
    "_protocol",
    "_conn_lost",
    "_buffer",
    "_eof",
    "_empty_waiter",
    "_read_ready_cb",
    # The rest of what the stdlib's __init__ sets, so that an instance needs no dict at all.
    "_closing",
    "_paused",
    "_protocol_connected",
    "_server",
    # get_extra_info()'s standard keys, kept without the stdlib's dict (see __init__).
    "_x_socket",
    "_x_sockname",
    "_x_peername",
) + (("_write_ready",) if sys.version_info >= (3, 12) else ())  # a method before 3.12


class SocketTransport(_Base):  # type: ignore[misc]
    """The stdlib's selector socket transport, with its read and write paths compiled."""

    # The stdlib's instance state is kept in slots (its base classes slot the rest): the
    # compiled methods read what a request needs by offset, the stdlib's methods reach them
    # through the slots' descriptors as any attribute, and an instance needs no dict (what
    # else is set on one, by a subclass or a program, still goes to its dict).
    __slots__ = _SLOTS

    # What the stdlib's classes leave untyped, for the type checker.
    _sock: Any
    _extra: Any
    _x_socket: Any
    _read_ready_cb: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The stdlib's class attribute _sock = None (read by __del__ and __repr__ if
        # __init__ fails early) is shadowed by the slot: set it first.
        self._sock = None
        super().__init__(*args, **kwargs)
        # The stdlib keeps socket, sockname and peername in a dict per transport, most of
        # an idle connection's memory: when they are all it holds, they move to three slots
        # (the TransportSocket is made again on first request) and the dict goes.
        extra = self._extra
        if type(extra) is dict and extra.keys() == _STANDARD_EXTRA:
            self._x_socket = None
            self._x_sockname = extra["sockname"]
            self._x_peername = extra["peername"]
            self._extra = None

    @cython.annotation_typing(False)
    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """Information about the transport or its socket, as the stdlib's transport gives."""
        extra = self._extra
        if extra is not None:
            return extra.get(name, default)
        if name == "socket":
            if self._x_socket is None:
                self._x_socket = trsock.TransportSocket(self._sock)
            return self._x_socket
        if name == "sockname":
            return self._x_sockname
        if name == "peername":
            return self._x_peername
        return default

    @cython.annotation_typing(False)
    def _call_connection_lost(self, exc: Any) -> None:
        # The stdlib drops _sock here; get_extra_info("socket") keeps answering with it (a
        # TransportSocket of the closed socket, as the stdlib's dict keeps one).
        if self._extra is None and self._x_socket is None and self._sock is not None:
            self._x_socket = trsock.TransportSocket(self._sock)
        super()._call_connection_lost(exc)

    @cython.annotation_typing(False)
    def set_protocol(self, protocol: Any) -> None:
        """Set the protocol, as the stdlib's transport (``BufferedProtocol`` or not)."""
        super().set_protocol(protocol)
        # The stdlib keeps the read path as a bound method; here the function (no object per
        # connection), which _read_ready calls in C.
        # A subclass's own read method stays bound.
        cb = self._read_ready_cb
        fn = getattr(cb, "__func__", None)
        if getattr(cb, "__self__", None) is self and (fn is _GET_BUFFER or fn is _DATA_RECEIVED):
            self._read_ready_cb = fn

    def _read_ready(self) -> None:
        # The reader's callback: the stdlib's one line, in C for the two read paths.
        cb = _slot(self, _O_READ_READY_CB, "_read_ready_cb")
        if cb is _DATA_RECEIVED:
            _data_received(self)
        elif cb is _GET_BUFFER:
            _get_buffer(self)
        else:
            cb()

    def _read_ready__get_buffer(self) -> None:
        _get_buffer(self)

    def _read_ready__data_received(self) -> None:
        _data_received(self)

    @cython.annotation_typing(False)  # data: anything; the stdlib's write() judges it
    def write(self, data: Any) -> None:
        """Write ``data`` (bytes-like); what the socket does not take now is buffered.

        Raises:
            TypeError: ``data`` is not bytes-like.
            RuntimeError: after ``write_eof()``, or while ``sendfile`` is in progress.
        """
        if (
            type(data) is bytes
            and data
            and not _slot(self, _O_BUFFER, "_buffer")
            and not _slot(self, _O_CONN_LOST, "_conn_lost")
            and not _slot(self, _O_EOF, "_eof")
            and _slot(self, _O_EMPTY_WAITER, "_empty_waiter") is None
        ):
            try:
                n = send_bytes(
                    _slot(self, _O_SOCK, "_sock"), _slot(self, _O_SOCK_FD, "_sock_fd"), data, 0
                )  # 0: not now
            except (SystemExit, KeyboardInterrupt):
                raise
            except BaseException as exc:
                self._fatal_error(exc, "Fatal write error on socket transport")
                return
            if n == len(data):
                return
            data = data[n:]
        super().write(data)


_OFFSETS = slot_offsets(SocketTransport, _SLOTS)
_O_SOCK: cython.Py_ssize_t = _OFFSETS[0]
_O_SOCK_FD: cython.Py_ssize_t = _OFFSETS[1]
_O_PROTOCOL: cython.Py_ssize_t = _OFFSETS[2]
_O_CONN_LOST: cython.Py_ssize_t = _OFFSETS[3]
_O_BUFFER: cython.Py_ssize_t = _OFFSETS[4]
_O_EOF: cython.Py_ssize_t = _OFFSETS[5]
_O_EMPTY_WAITER: cython.Py_ssize_t = _OFFSETS[6]
_O_READ_READY_CB: cython.Py_ssize_t = _OFFSETS[7]
_Transport: type = SocketTransport


@cython.cfunc
@cython.inline
def _slot(t: object, off: cython.Py_ssize_t, name: str) -> Any:
    # t.<name>: on the compiled core, read by the slot's offset (a subclass that redeclares
    # the slot keeps the lookup by name).
    if cython.compiled and type(t) is _Transport:
        return fdevent_slot_get(t, off, name)  # type: ignore[name-defined]  # noqa: F821
    return getattr(t, name)


#: What set_protocol() keeps as _read_ready_cb (the functions, not bound methods).
_GET_BUFFER: object = SocketTransport._read_ready__get_buffer
_DATA_RECEIVED: object = SocketTransport._read_ready__data_received


@cython.cfunc
def _get_buffer(self: Any) -> None:
    # _read_ready__get_buffer: the protocol's buffer filled by recv() in C.
    if _slot(self, _O_CONN_LOST, "_conn_lost"):
        return
    protocol = _slot(self, _O_PROTOCOL, "_protocol")
    try:
        buf = protocol.get_buffer(-1)
        if not len(buf):
            raise RuntimeError("get_buffer() returned an empty buffer")
    except (SystemExit, KeyboardInterrupt):
        raise
    except BaseException as exc:
        self._fatal_error(exc, "Fatal error: protocol.get_buffer() call failed.")
        return
    try:
        nbytes = recv_into(_slot(self, _O_SOCK, "_sock"), _slot(self, _O_SOCK_FD, "_sock_fd"), buf)
    except (SystemExit, KeyboardInterrupt):
        raise
    except BaseException as exc:
        self._fatal_error(exc, "Fatal read error on socket transport")
        return
    if nbytes < 0:  # nothing there now
        return
    if not nbytes:
        self._read_ready__on_eof()
        return
    try:
        protocol.buffer_updated(nbytes)
    except (SystemExit, KeyboardInterrupt):
        raise
    except BaseException as exc:
        self._fatal_error(exc, "Fatal error: protocol.buffer_updated() call failed.")


@cython.cfunc
def _data_received(self: Any) -> None:
    # _read_ready__data_received: one read, exact-size bytes, data_received().
    if _slot(self, _O_CONN_LOST, "_conn_lost"):
        return
    try:
        data = recv_some(
            _slot(self, _O_SOCK, "_sock"), _slot(self, _O_SOCK_FD, "_sock_fd"), self.max_size
        )
    except (SystemExit, KeyboardInterrupt):
        raise
    except BaseException as exc:
        self._fatal_error(exc, "Fatal read error on socket transport")
        return
    if data is None:  # nothing there now
        return
    if not data:
        self._read_ready__on_eof()
        return
    try:
        _slot(self, _O_PROTOCOL, "_protocol").data_received(data)
    except (SystemExit, KeyboardInterrupt):
        raise
    except BaseException as exc:
        self._fatal_error(exc, "Fatal error: protocol.data_received() call failed.")
