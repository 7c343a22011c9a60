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
from asyncio import selector_events
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

#: 3.12+'s loop checks, when it makes a transport, that no other transport has the socket.
ENSURES_FD = sys.version_info >= (3, 12)

_Base: Any = selector_events._SelectorSocketTransport  # type: ignore[attr-defined]


class SocketTransport(_Base):  # type: ignore[misc]
    """The stdlib's selector socket transport, with its read and write paths compiled."""

    def _read_ready(self) -> None:
        # The reader's callback: the stdlib's one line, without its interpreted frame.
        self._read_ready_cb()

    def _read_ready__get_buffer(self) -> None:
        if self._conn_lost:
            return
        try:
            buf = self._protocol.get_buffer(-1)
            if not len(buf):
                raise RuntimeError("get_buffer() returned an empty buffer")
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            self._fatal_error(exc, "Fatal error: protocol.get_buffer() call failed.")
            return
        try:
            nbytes = recv_into(self._sock, self._sock_fd, buf)
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
            self._protocol.buffer_updated(nbytes)
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            self._fatal_error(exc, "Fatal error: protocol.buffer_updated() call failed.")

    def _read_ready__data_received(self) -> None:
        if self._conn_lost:
            return
        try:
            data = recv_some(self._sock, self._sock_fd, self.max_size)
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
            self._protocol.data_received(data)
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            self._fatal_error(exc, "Fatal error: protocol.data_received() call failed.")

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
            and not self._buffer
            and not self._conn_lost
            and not self._eof
            and self._empty_waiter is None
        ):
            try:
                n = send_bytes(self._sock, self._sock_fd, data, 0)  # 0: not now
            except (SystemExit, KeyboardInterrupt):
                raise
            except BaseException as exc:
                self._fatal_error(exc, "Fatal write error on socket transport")
                return
            if n == len(data):
                return
            data = data[n:]
        super().write(data)
