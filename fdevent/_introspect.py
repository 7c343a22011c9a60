"""Introspection shared by both cores: a class's signature, the same on both.

``inspect.signature(cls)`` (and the first line of ``help(cls)``) asks the class for
``__signature__`` first, and only then reads ``__init__``. A compiled class's ``__init__`` is a
C slot with no signature (``inspect`` raised ValueError for a class without help, and
``help()`` showed none), and a Cython extension type can neither take attributes after it is
made nor have a metaclass, so the only way in is a class attribute:
``__signature__ = TwinSignature()`` in the class body. Each public ``@cython.cclass`` of the one
source has that line, subclasses inherit it, and the parity test checks every public class of
both cores. (A plain class, as ``Listener``, needs none: compiled, its ``__init__`` is a
function with a signature.) Sphinx takes a class's ``__signature__`` as it is, annotations
still strings, so an alias in a constructor's annotations (``Callback``) needs its entry in
``docs/conf.py``'s ``ANNOTATION_LABELS``.

- On a compiled class it is the signature of its pure twin, the class it is compiled from: the
  same parameters, defaults and annotations. The twin is imported when a signature is first
  asked for (never by ``import fdevent``), and the answer is kept per class.
- On a pure class (and a compiled one whose ``__init__`` is a function) it is what ``inspect``
  reads from that ``__init__``.
- On a subclass made outside fdevent with a constructor of its own it is None, and ``inspect``
  reads that constructor as usual.

What it returns is a :class:`ClassSignature`, an ``inspect.Signature`` that is also a read-only
data descriptor: ``help()`` lists a class's data attributes with their ``repr()`` cut at 70
characters, but a data descriptor by its name only, so ``__signature__`` shows as one line
among the descriptors on both cores.

What ``help()`` of a compiled class still shows that the pure one does not: ``__new__`` (the C
allocator of every extension type), Cython's ``__pyx_vtable__`` in a class with C methods
(the modules that cimport the class read it from the type's dict, so it must stay there, and
``dir()`` of a class, which is what ``help()`` lists, is its metaclass's business), and
``__init__(self, /, *args, **kwargs)``, the C slot's own words ("See help(type(self)) for
accurate signature": the class's first line, which is now there).
"""

from __future__ import annotations

import importlib
import inspect
import types
import weakref
from typing import Any, NoReturn

#: The packages of the two cores: classes made there are fdevent's own.
_CORES = ("fdevent._pure.", "fdevent._compiled.")


class ClassSignature(inspect.Signature):
    """A class's call signature (its ``__init__``'s without ``self``), the same on both cores.

    An ``inspect.Signature`` in every way, and a read-only data descriptor only so that
    ``help()`` names it instead of printing it cut short.
    """

    __slots__ = ()

    def __get__(self, obj: object, cls: type | None = None) -> ClassSignature:
        return self

    def __set__(self, obj: object, value: object) -> NoReturn:
        raise AttributeError("__signature__ is read-only")


class TwinSignature:
    """The ``__signature__`` of fdevent's public classes: see the module's docstring."""

    __slots__ = ("_known",)

    def __init__(self) -> None:
        self._known: weakref.WeakKeyDictionary[type, ClassSignature | None] = (
            weakref.WeakKeyDictionary()
        )

    def __get__(self, obj: object, cls: type | None = None) -> ClassSignature | None:
        if obj is not None or cls is None:
            return None  # an instance: inspect asks the class (or the instance's __call__)
        try:
            return self._known[cls]
        except KeyError:
            pass
        sig = _class_signature(cls)
        self._known[cls] = sig
        return sig


def _class_signature(cls: type) -> ClassSignature | None:
    # The class whose constructor makes cls's instances: the first in its MRO that defines
    # __init__, or __new__ in Python (every extension type has a C __new__ of its own).
    maker: type = object
    for klass in cls.__mro__:
        own = vars(klass)
        if "__init__" in own or (
            "__new__" in own and not isinstance(own["__new__"], types.BuiltinFunctionType)
        ):
            maker = klass
            break
    if not maker.__module__.startswith(_CORES):
        return None
    init: Any = vars(maker).get("__init__")
    if init is None:
        return None  # not one of ours: fdevent's classes define __init__
    if isinstance(init, types.WrapperDescriptorType):
        # A C slot: the twin's signature, the source this class is compiled from.
        twin_module = maker.__module__.replace("._compiled.", "._pure.", 1)
        twin = getattr(importlib.import_module(twin_module), maker.__qualname__)
        sig = inspect.signature(twin)
        params = list(sig.parameters.values())
    else:
        sig = inspect.signature(init)
        params = list(sig.parameters.values())[1:]  # self
    return ClassSignature(
        params, return_annotation=sig.return_annotation, __validate_parameters__=False
    )
