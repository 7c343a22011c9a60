# Loop is a Python class (it subclasses asyncio's loop); the base it runs on is typed, so
# time() reads the base's clock with a C call, and handles are made and run with C calls.
from ..core.base cimport EventBase
from .handles cimport is_cancelled, new_handle, new_timer_handle, run
