"""asyncio's handles, made and run without asyncio's Python-level code on the loop's hot path.

``call_soon`` returns an ``asyncio.Handle`` and ``call_at`` an ``asyncio.TimerHandle`` (a
subclass that knows its timer on the base): the stdlib's own classes, so ``isinstance``,
``repr``, ``cancel()`` and ``cancelled()`` are theirs. What changes is how they are made and
run outside debug mode, which is most of what a callback costs the loop:

- ``new_handle``/``new_timer_handle`` fill the slots directly (the stdlib's ``__init__`` runs
  as Python bytecode and calls ``loop.get_debug()``); in debug mode the stdlib's ``__init__``
  runs, for its source tracebacks.
- ``run`` calls the handle's callback in its context, with the exception report of the
  stdlib's ``Handle._run`` (the same message, context keys and handler) when it raises.
- ``TimerHandle.cancel`` detaches the handle's timer from the base at once (no cancelled
  entries left to sift out of a heap) and clears the handle as the stdlib's does.

Each is checked against the stdlib's behaviour on 3.10-3.13 (``tests/test_aio_handles.py``).
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import os
from asyncio import format_helpers
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

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..core.event import Event

#: 3.13's report names a callback with the loop's debug flag (``debug=``); earlier ones don't.
_FORMAT_TAKES_DEBUG = (
    "debug" in inspect.signature(format_helpers._format_callback_source).parameters
)

_Handle = asyncio.Handle
_copy_context = contextvars.copy_context


class TimerHandle(asyncio.TimerHandle):
    """A ``TimerHandle`` that knows the base's timer which will run it."""

    __slots__ = ("_event",)

    _event: Event | None

    def cancel(self) -> None:
        """Cancel the call: its timer leaves the base's heap now."""
        if self._cancelled:
            return
        loop: Any = self._loop  # type: ignore[attr-defined]
        loop._timer_handle_cancelled(self)
        self._cancelled = True
        if loop._debug:
            self._repr = repr(self)  # the stdlib's, for logs
        self._callback = None
        self._args = None  # type: ignore[assignment]


def slot_offsets(cls: type, names: tuple[str, ...]) -> tuple[int, ...]:
    """The offsets of ``cls``'s object slots ``names``, from its member descriptors (each
    checked by ``_slots.h``); zeros on the pure core, which reads them by name.

    Raises:
        AttributeError: ``cls`` has no attribute of one of the names.
        TypeError: one of them is not a writable object slot.
    """
    if not cython.compiled:
        return (0,) * len(names)
    return tuple(
        fdevent_slot_offset(getattr(cls, name))  # type: ignore[name-defined]  # noqa: F821
        for name in names
    )


def _offsets(cls: type) -> tuple[int, ...]:
    # Handle's slots; () where the compiled fill does not apply (the pure core, or a
    # Python whose Handle lacks one of them).
    if not cython.compiled:
        return ()
    try:
        return slot_offsets(cls, _SLOTS)
    except (AttributeError, TypeError):  # pragma: no cover - a Handle without these slots
        return ()


#: Handle's slots in the order _fill stores them.
_SLOTS = ("_context", "_loop", "_callback", "_args", "_cancelled", "_repr", "_source_traceback")
_OFFSETS = _offsets(asyncio.Handle)
_C_FILL: cython.bint = len(_OFFSETS) == len(_SLOTS)
if _C_FILL:
    _O_CONTEXT: cython.Py_ssize_t = _OFFSETS[0]
    _O_LOOP: cython.Py_ssize_t = _OFFSETS[1]
    _O_CALLBACK: cython.Py_ssize_t = _OFFSETS[2]
    _O_ARGS: cython.Py_ssize_t = _OFFSETS[3]
    _O_CANCELLED: cython.Py_ssize_t = _OFFSETS[4]
    _O_REPR: cython.Py_ssize_t = _OFFSETS[5]
    _O_TRACEBACK: cython.Py_ssize_t = _OFFSETS[6]


@cython.cfunc
def _fill(h: Any, callback: object, args: object, loop: object, context: object) -> None:
    # Handle.__init__'s slots, outside debug mode (no source traceback).
    if context is None:
        context = _copy_context()
    if cython.compiled and _C_FILL:
        fdevent_slot_set(h, _O_CONTEXT, context)  # type: ignore[name-defined]  # noqa: F821
        fdevent_slot_set(h, _O_LOOP, loop)  # type: ignore[name-defined]  # noqa: F821
        fdevent_slot_set(h, _O_CALLBACK, callback)  # type: ignore[name-defined]  # noqa: F821
        fdevent_slot_set(h, _O_ARGS, args)  # type: ignore[name-defined]  # noqa: F821
        fdevent_slot_set(h, _O_CANCELLED, False)  # type: ignore[name-defined]  # noqa: F821
        fdevent_slot_set(h, _O_REPR, None)  # type: ignore[name-defined]  # noqa: F821
        fdevent_slot_set(h, _O_TRACEBACK, None)  # type: ignore[name-defined]  # noqa: F821
        return
    h._context = context
    h._loop = loop
    h._callback = callback
    h._args = args
    h._cancelled = False
    h._repr = None
    h._source_traceback = None


@cython.cfunc
def _new(cls: type) -> Any:
    # object.__new__(cls), in C an allocation with every slot empty.
    if cython.compiled:
        return fdevent_slotted_new(cls)  # type: ignore[name-defined]  # noqa: F821
    return object.__new__(cls)


def is_cancelled(h: Any) -> cython.bint:
    """``h._cancelled`` of a handle (a slot read in C)."""
    if cython.compiled and _C_FILL:
        return fdevent_slot_is_true(h, _O_CANCELLED)  # type: ignore[name-defined, no-any-return]  # noqa: F821
    return bool(h._cancelled)


#: Frames in this package's files (the pure core's; the compiled core's functions have none).
_HERE = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _trim(h: Any) -> None:
    # Debug mode: the handle's source traceback ends where the program called the loop, as
    # the stdlib's does; drop the frames of this package's own calls from its end.
    tb = h._source_traceback
    while tb and tb[-1].filename.startswith(_HERE):
        tb.pop()


def new_handle(
    callback: Callable[..., object], args: Any, loop: Any, context: contextvars.Context | None
) -> asyncio.Handle:
    """An ``asyncio.Handle`` for ``callback(*args)``, made as the stdlib makes it."""
    if loop._debug:
        h = _Handle(callback, args, loop, context)
        _trim(h)
        return h
    fresh: asyncio.Handle = _new(_Handle)
    _fill(fresh, callback, args, loop, context)
    return fresh


@cython.annotation_typing(False)  # when stays what the caller gave (int or float), as there
def new_timer_handle(
    when: float,
    callback: Callable[..., object],
    args: Any,
    loop: Any,
    context: contextvars.Context | None,
) -> TimerHandle:
    """A ``TimerHandle`` for ``callback(*args)`` at ``when``, made as the stdlib makes it."""
    if loop._debug:
        th = TimerHandle(when, callback, args, loop, context)
        _trim(th)
    else:
        th = _new(TimerHandle)
        _fill(th, callback, args, loop, context)
        th._when = when
    th._scheduled = False  # type: ignore[attr-defined]
    th._event = None
    return th


def run(handle: asyncio.Handle) -> None:
    """Run ``handle`` as ``Handle._run`` does (its callback in its context, errors reported)."""
    try:
        if cython.compiled and _C_FILL:
            # The slots by their offsets and Context.run's enter-call-exit in C: no lookups.
            fdevent_context_run(  # type: ignore[name-defined]  # noqa: F821
                fdevent_slot_get(handle, _O_CONTEXT, "_context"),  # type: ignore[name-defined]  # noqa: F821
                fdevent_slot_get(handle, _O_CALLBACK, "_callback"),  # type: ignore[name-defined]  # noqa: F821
                fdevent_slot_get(handle, _O_ARGS, "_args"),  # type: ignore[name-defined]  # noqa: F821
            )
        else:
            handle._context.run(handle._callback, *handle._args)  # type: ignore[attr-defined]
    except (SystemExit, KeyboardInterrupt):
        raise
    except BaseException as exc:
        report(handle, exc)
    # No frame keeps the handle once it ran (the pure core's frames, on 3.12+, keep their
    # locals while a traceback holds a frame they called): see Loop._run_handle.
    del handle


@cython.annotation_typing(False)  # exc: any BaseException subclass instance
def report(handle: asyncio.Handle, exc: BaseException) -> None:
    """Tell the loop's exception handler what the stdlib's ``Handle._run`` tells it."""
    loop: Any = handle._loop  # type: ignore[attr-defined]
    callback = handle._callback  # type: ignore[attr-defined]
    args = handle._args
    if _FORMAT_TAKES_DEBUG:
        cb = format_helpers._format_callback_source(callback, args, debug=loop.get_debug())  # type: ignore[call-arg]
    else:
        cb = format_helpers._format_callback_source(callback, args)
    context: dict[str, Any] = {
        "message": f"Exception in callback {cb}",
        "exception": exc,
        "handle": handle,
    }
    if handle._source_traceback:  # type: ignore[attr-defined]
        context["source_traceback"] = handle._source_traceback  # type: ignore[attr-defined]
    loop.call_exception_handler(context)
