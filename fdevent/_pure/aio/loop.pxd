# Loop is a Python class (it subclasses asyncio's loop); the base it runs on is typed, so
# time() reads the base's clock with a C call.
from ..core.base cimport EventBase
