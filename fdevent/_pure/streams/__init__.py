"""The streams layer: buffers, streams (with TLS and connect), the listener.

A stream's public face and state are ``stream.py``; what it does is its driver's,
``driver.py``, which sits above it (a Cython class keeps its methods in its own module, and
two modules cannot import each other). This is the one place that sees both: it hands the
stream module its driver, before anything can make a stream.
"""

from . import driver, stream

stream.use_driver(driver.SocketDriver())
