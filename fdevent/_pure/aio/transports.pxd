# The transport's reads and writes are the streams' C calls (cimported: C calls, no Python).
from ..streams.sockio cimport recv_into, recv_some, send_bytes
