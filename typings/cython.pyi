# mypy reads this instead of Cython's untyped Shadow module: the core uses only the names the
# shim provides, with the shim's (no-op) types. A star import in a stub re-exports them all.
from fdevent._pure._cython_shim import *  # noqa: F403
