"""Buffer: a queue of bytes read from the front (libevent's evbuffer).

How the bytes are kept, and why:

- As chunks, not one bytearray. A stream's reads arrive as ``bytes`` objects (made once from
  the loop's read scratch area); kept as they are, ``read()`` of a buffer that holds one
  chunk returns that very object, with no copy. That is the common case of a
  request-response server, where ``stream.write(stream.input.read())`` then hands the same
  object to ``send``. A bytearray would copy the bytes in, and copy them out again.
- The first live chunk is ``_first``, of which ``_off`` bytes are already consumed; the
  others wait in the list ``_rest`` from index ``_ri`` on. A buffer of one chunk (nearly
  every buffer, nearly always) has no list at all. Taking from the front moves ``_off`` and
  ``_ri``, so a read costs the bytes it takes, never the size of the buffer; the consumed
  slots of ``_rest`` are cut off once they are the larger half of the list (amortised O(1)).
- A small addition to a non-empty buffer goes into a bytearray at its end (up to
  ``_TAIL_MAX`` bytes), so writing many tiny pieces to a blocked socket costs bytes, not an
  object per piece. Such a bytearray is never handed out: reads return ``bytes``.
- A stream's buffers have an owner (``_owner``, the stream): what a user adds to
  ``stream.output`` or reads from ``stream.input`` is reported to it, so that output added
  directly is sent and reading paused at the high watermark resumes. The stream's own I/O
  goes through the internal methods and reports nothing.
- ``find()`` and ``readline()`` first join the live chunks into one (O(buffer), once, and
  only if there are several), then search it in C.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # Type checkers read the shim's typed no-ops, never Cython's untyped decorators (as in
    # event.py).
    from ..clib import shim as cython
else:
    try:
        import cython
    except ImportError:  # pragma: no cover - the pure core without Cython installed
        from ..clib import shim as cython
    if not cython.compiled:  # at run time the pure core takes the shim (its docstring)
        from ..clib import shim as cython

from ..._introspect import TwinSignature

#: An addition at most this long is copied into the buffer's last chunk rather than kept as
#: a chunk of its own: past this size the per-chunk cost (an object, a list slot) is small
#: against the bytes, and a copy is not.
_SMALL = 512
#: How large a coalescing tail grows before a new chunk starts: large enough that tiny
#: writes cost a few objects per 16 KiB, small enough that a copy of it stays in cache.
_TAIL_MAX = 16384
#: Consumed list slots are cut off once there are more than this many and they are more than
#: half the list.
_COMPACT = 16
#: Sizes past this (more than any buffer can hold) are clamped to it, so both cores take
#: ``drain(10**30)`` alike.
_SSIZE_MAX = sys.maxsize


def _bytes_error(name: str, value: object) -> TypeError:
    return TypeError(f"{name} must be a bytes-like object, not {type(value).__name__}")


@cython.cclass
class Buffer:
    """A queue of bytes: added at the end, read from the front (libevent's evbuffer).

    ``Buffer()`` is empty. ``len(buf)`` is the number of bytes it holds. Reading from the
    front costs the bytes taken, not the size of the buffer. Every method that returns data
    returns ``bytes``. A stream's ``input`` and ``output`` are Buffers.
    """

    # The C layout is in buffer.pxd; these annotations tell type checkers the same.
    _first: Any
    _rest: list[Any] | None
    _ri: int
    _off: int
    _len: int
    _owner: Any

    __signature__ = TwinSignature()  # inspect.signature() and help() on the compiled class too

    def __init__(self) -> None:
        self._owner = None
        self._first = None
        self._rest = None
        self._ri = 0
        self._off = 0
        self._len = 0

    def __len__(self) -> int:
        return self._len

    def __repr__(self) -> str:
        return f"<Buffer len={self._len}>"

    @cython.annotation_typing(False)
    def add(self, data: Any) -> None:
        """Append ``data`` (any bytes-like object) at the end.

        ``bytes`` are kept by reference (they cannot change); other objects are copied.

        Raises:
            TypeError: ``data`` is not bytes-like (a ``str``, an ``int``, ...).
        """
        if type(data) is bytes:
            self._append_bytes(data)
        else:
            self._append_bytes(_to_bytes(data))
        if self._owner is not None:
            self._owner._buffer_changed(self)

    @cython.annotation_typing(False)
    def read(self, n: int = -1) -> bytes:
        """Remove and return the first ``n`` bytes (-1: all); fewer if fewer are there.

        Raises:
            TypeError: ``n`` is not an int.
            ValueError: ``n`` is negative other than -1.
        """
        k: cython.Py_ssize_t = self._count(n)
        out = self._take(k, True)
        if self._owner is not None:
            self._owner._buffer_changed(self)
        return out

    @cython.annotation_typing(False)
    def peek(self, n: int = -1) -> bytes:
        """Return the first ``n`` bytes (-1: all) without removing them; fewer if fewer.

        Raises:
            TypeError: ``n`` is not an int.
            ValueError: ``n`` is negative other than -1.
        """
        k: cython.Py_ssize_t = self._count(n)
        return self._take(k, False)

    @cython.annotation_typing(False)
    def readexactly(self, n: int) -> bytes:
        """Remove and return exactly ``n`` bytes, or return ``b""`` (and remove nothing)
        while fewer than ``n`` are there.

        Raises:
            TypeError: ``n`` is not an int.
            ValueError: ``n`` is negative.
        """
        k: cython.Py_ssize_t = _size_arg("n", n)
        if k > self._len:
            return b""
        out = self._take(k, True)
        if self._owner is not None:
            self._owner._buffer_changed(self)
        return out

    @cython.annotation_typing(False)
    def drain(self, n: int) -> None:
        """Remove the first ``n`` bytes without returning them (all of them if fewer).

        Raises:
            TypeError: ``n`` is not an int.
            ValueError: ``n`` is negative.
        """
        k: cython.Py_ssize_t = _size_arg("n", n)
        self._consume(k if k < self._len else self._len)
        if self._owner is not None:
            self._owner._buffer_changed(self)

    @cython.annotation_typing(False)
    def find(self, sub: Any) -> int:
        """Return the offset of the first ``sub`` from the front, or -1 if it is not there.

        Raises:
            TypeError: ``sub`` is not bytes-like.
        """
        pattern = _bytes_arg("sub", sub)
        if self._len == 0:
            return 0 if len(pattern) == 0 else -1
        self._coalesce()
        at: cython.Py_ssize_t = self._first.find(pattern, self._off)
        return at - self._off if at >= 0 else -1

    @cython.annotation_typing(False)
    def readline(self, eol: Any = b"\n", limit: int | None = None) -> bytes:
        """Remove and return the first line, ``eol`` included; ``b""`` until a whole line
        is there.

        ``limit``: the most bytes that may stand before ``eol`` (None: no limit).

        Raises:
            TypeError: ``eol`` is not bytes-like, or ``limit`` is not an int or None.
            ValueError: ``eol`` is empty; ``limit`` is negative; more than ``limit`` bytes
                stand before the ``eol`` (or, with no ``eol`` yet, are in the buffer). The
                buffer is left unchanged.
        """
        pattern = _bytes_arg("eol", eol)
        if len(pattern) == 0:
            raise ValueError("eol must not be empty")
        most: cython.Py_ssize_t = -1
        if limit is not None:
            most = _size_arg("limit", limit)
        if self._len == 0:
            return b""
        self._coalesce()
        at: cython.Py_ssize_t = self._first.find(pattern, self._off)
        if at < 0:
            if most >= 0 and self._len > most + len(pattern) - 1:
                raise ValueError(f"no end of line within the limit of {most} bytes")
            return b""
        at -= self._off
        if most >= 0 and at > most:
            raise ValueError(f"line longer than the limit of {most} bytes")
        out = self._take(at + len(pattern), True)
        if self._owner is not None:
            self._owner._buffer_changed(self)
        return out

    # -- internals: the streams call these directly ----------------------------------------

    @cython.cfunc
    @cython.exceptval(-1, check=True)
    def _count(self, n: object) -> cython.Py_ssize_t:
        # read()/peek()'s n: -1 (or anything past the end) means everything there is.
        if type(n) is not int and (isinstance(n, bool) or not isinstance(n, int)):
            raise TypeError(f"n must be an int, not {type(n).__name__}")
        if n == -1:
            return self._len
        if n < 0:
            raise ValueError(f"n must be >= 0 or -1 (all), got {n}")
        if n > self._len:
            return self._len
        k: cython.Py_ssize_t = n
        return k

    @cython.cfunc
    def _append_bytes(self, data: bytes) -> None:
        n: cython.Py_ssize_t = len(data)
        if n == 0:
            return
        if self._first is None:
            self._first = data
            self._off = 0
            self._len = n
            return
        self._len += n
        rest = self._rest
        last: Any = self._first if rest is None or self._ri == len(rest) else rest[-1]
        if n <= _SMALL and len(last) + n <= _TAIL_MAX:
            if type(last) is bytearray:
                last += data
                return
            if len(last) <= _SMALL:
                tail = bytearray(last)
                tail += data
                if rest is None or self._ri == len(rest):
                    self._first = tail
                else:
                    rest[len(rest) - 1] = tail
                return
        if rest is None:
            self._rest = [data]
            self._ri = 0
        else:
            rest.append(data)

    @cython.cfunc
    def _append_rest(self, data: bytes, start: cython.Py_ssize_t) -> None:
        # data[start:] at the end: by reference (with an offset) into an empty buffer.
        if start == 0:
            self._append_bytes(data)
        elif self._first is None:
            if start < len(data):
                self._first = data
                self._off = start
                self._len = len(data) - start
        else:
            with memoryview(data) as view:
                self._append_bytes(bytes(view[start:]))

    @cython.cfunc
    def _clear(self) -> None:
        self._first = None
        self._rest = None
        self._ri = 0
        self._off = 0
        self._len = 0

    @cython.cfunc
    def _consume(self, n: cython.Py_ssize_t) -> None:
        # Drop n bytes (n <= len) from the front.
        size: cython.Py_ssize_t
        self._len -= n
        while n > 0:
            size = len(self._first) - self._off
            if n < size:
                self._off += n
                return
            n -= size
            self._next_chunk()

    @cython.cfunc
    def _next_chunk(self) -> None:
        # The first chunk is used up: the next one (if any) takes its place.
        rest = self._rest
        self._off = 0
        if rest is None:
            self._first = None
            return
        ri: cython.int = self._ri
        if ri == len(rest):
            self._first = None
            self._rest = None
            self._ri = 0
            return
        self._first = rest[ri]
        rest[ri] = None
        ri += 1
        if ri == len(rest):
            self._rest = None
            ri = 0
        elif ri > _COMPACT and ri * 2 > len(rest):
            del rest[:ri]
            ri = 0
        self._ri = ri

    @cython.cfunc
    def _take(self, n: cython.Py_ssize_t, consume: cython.bint) -> bytes:
        # The first n bytes (n <= len) as bytes, removed if consume.
        if n == 0:
            return b""
        first = self._first
        if self._off == 0 and type(first) is bytes:
            whole: bytes = first
            if n == len(whole):
                # The whole first chunk: hand out the object itself.
                if consume:
                    self._len -= n
                    self._next_chunk()
                return whole
        out = self._gather(n)
        if consume:
            self._consume(n)
        return out

    @cython.cfunc
    def _gather(self, n: cython.Py_ssize_t) -> bytes:
        # A copy of the first n bytes (n <= len), possibly spanning chunks.
        first = self._first
        size: cython.Py_ssize_t = len(first) - self._off
        if n <= size:
            with memoryview(first) as view:
                return bytes(view[self._off : self._off + n])
        pieces = []
        with memoryview(first) as view:
            pieces.append(bytes(view[self._off :]))
        left: cython.Py_ssize_t = n - size
        rest = self._rest
        i: cython.Py_ssize_t = self._ri
        while left > 0:
            chunk = rest[i]  # type: ignore[index]
            i += 1
            size = len(chunk)
            if size <= left:
                pieces.append(chunk)
                left -= size
            else:
                with memoryview(chunk) as view:
                    pieces.append(bytes(view[:left]))
                left = 0
        return b"".join(pieces)

    @cython.cfunc
    def _coalesce(self) -> None:
        # Make the live bytes one chunk (for searching); O(len) once, nothing if already so.
        rest = self._rest
        if rest is None or self._ri == len(rest):
            return
        whole = self._gather(self._len)
        self._first = whole
        self._off = 0
        self._rest = None
        self._ri = 0


@cython.ccall
def _to_bytes(data: object) -> bytes:
    """A copy of any bytes-like object as bytes; TypeError for anything else."""
    return _bytes_arg("data", data)


@cython.cfunc
def _bytes_arg(name: str, value: object) -> bytes:
    # The argument called name as bytes: itself if bytes, else a copy; TypeError naming it.
    if type(value) is bytes:
        return value
    if isinstance(value, str):
        raise _bytes_error(name, value)
    try:
        with memoryview(value) as view:  # type: ignore[arg-type]
            return view.tobytes()
    except TypeError:
        raise _bytes_error(name, value) from None


@cython.cfunc
@cython.exceptval(-1, check=True)
def _size_arg(name: str, value: object) -> cython.Py_ssize_t:
    if type(value) is not int and (isinstance(value, bool) or not isinstance(value, int)):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    if value > _SSIZE_MAX:
        return _SSIZE_MAX
    k: cython.Py_ssize_t = value
    return k
