"""Introspection shared by both cores: the compiled classes' signatures.

``inspect.signature(cls)`` reads a class's signature from its ``__init__``. A compiled class's
``__init__`` is a C slot that has none (``help()`` showed ``Event(*args, **kwargs)``), and the
type's ``__doc__`` cannot carry one without showing it in the pure core's docstring too. But a
compiled class is its pure twin's source compiled, so the twin's signature is its own:
``__signature__ = TwinSignature()`` in a class body hands it to ``inspect`` (which asks a class
for ``__signature__`` before anything else). On the pure core, and on instances, it is None,
and ``inspect`` goes on as usual.
"""

from __future__ import annotations

import importlib
import inspect


class TwinSignature:
    """A descriptor: on a class of ``fdevent._compiled``, the signature of the pure twin."""

    def __get__(self, obj: object, cls: type | None = None) -> inspect.Signature | None:
        if obj is not None or cls is None or "._compiled." not in cls.__module__:
            return None
        pure = importlib.import_module(cls.__module__.replace("._compiled.", "._pure.", 1))
        return inspect.signature(getattr(pure, cls.__name__))
