"""A stream's state bits (``_flags``), shared by the stream modules of both cores.

A plain module, not compiled: each stream module reads these names into C ints of its own
(its ``.pxd`` declares them), so the bits cost nothing on the hot path.
"""

_READING = 0x1  # the user wants input (enable/disable)
_WRITING = 0x2  # the user lets output go (enable/disable)
_PAUSED = 0x4  # input stands at the read high watermark
_EOF = 0x8  # the peer sent its end of file: nothing more to read
_DONE = 0x10  # BEV_EOF or BEV_ERROR was reported: neither is again
_FAILED = 0x20  # an error: no more I/O at all
_CLOSING = 0x40  # close(), abort() or the base's close(): no callback runs again
_CLOSED = 0x80  # the socket is closed
_SHUT = 0x100  # write_eof(): shut the write side once output is flushed
_SHUT_DONE = 0x200
_CONNECTING = 0x400  # connect() has not handed over a connected socket yet
_HANDSHAKE = 0x800  # the TLS layer's handshake has not finished
_UNREPORTED = 0x1000  # input holds bytes on_read was not told of (below read_low)
_ABOVE_LOW = 0x2000  # output stood above write_low since the last on_write
_REPORT = 0x4000  # an error met inside write() waits to be reported from the loop

#: Not a state: added to the direction given to the driver's ``failed()`` for an error met
#: inside ``write()``, which the loop reports (no stream callback runs inside a user's call).
_LATER = 0x10000
