"""What both cores share for looking inside a base: stats, the dump table, debug mode.

The base keeps only C counters on its hot path (``base.py``); everything a person reads is
built here, off the hot path, from the public ``Event`` attributes.

No ``from __future__ import annotations`` here: ``Stats`` is a NamedTuple, whose fields'
annotations are read at class creation, and string ones show as ``ForwardRef('int')`` in its
signature and ``help()``.
"""

import logging
import os
import sys
import warnings
from typing import IO, Any, NamedTuple

from ._flags import EV_SIGNAL, flags_repr

#: The only logger fdevent writes to. fdevent never prints.
logger = logging.getLogger("fdevent")


class Stats(NamedTuple):
    """A snapshot of a base's counters (``EventBase.stats()``).

    ``iterations`` of the loop; ``polls`` (iterations that asked the OS, however many
    syscalls that took); ``callbacks`` run; events ``attached`` and ``active`` now;
    ``timers`` (attached events with a deadline, I/O ones included; not a pending
    loopexit); ``fds`` watched; ``poll_time`` and ``callback_time``, seconds of real time
    (``time.perf_counter()``, whatever the base's clock) spent polling and running
    callbacks, summed per iteration. ``callbacks`` is added to once per priority level run,
    so called from a callback it does not yet count that level's callbacks of this iteration.
    """

    iterations: int
    polls: int
    callbacks: int
    attached: int
    active: int
    timers: int
    fds: int
    poll_time: float
    callback_time: float


def debug_from_env(debug: object) -> bool:
    """The debug flag of a new base: ``debug`` if given, else ``FDEVENT_DEBUG``.

    Raises:
        TypeError: ``debug`` is neither None nor a bool.
    """
    if debug is None:
        return os.environ.get("FDEVENT_DEBUG", "") not in ("", "0")
    if not isinstance(debug, bool):
        raise TypeError(f"debug must be a bool or None, not {type(debug).__name__}")
    return debug


def check_clock(clock: object) -> None:
    """Raises TypeError unless ``clock`` is None or callable."""
    if clock is not None and not callable(clock):
        raise TypeError(f"clock must be callable or None, not {type(clock).__name__}")


def qualname(obj: object) -> str:
    """A callable's qualified name, with its module when that is not ``__main__``."""
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    if name is None:
        return repr(obj)
    module = getattr(obj, "__module__", None)
    return f"{module}.{name}" if module and module != "__main__" else str(name)


def slow_callback(event: Any, seconds: float) -> None:
    """Debug mode: log a callback that ran longer than the base's slow_callback_duration."""
    logger.warning("slow callback: %s of %r took %.3f s", qualname(event.callback), event, seconds)


def unclosed(base: Any, attached: int) -> None:
    """Debug mode: a base is being collected with events attached.

    Reported twice: as a ``ResourceWarning`` (what ``-W error``, pytest and tracemalloc's
    ``source`` act on) and as a warning on the ``fdevent`` logger. Python's default filters
    ignore ResourceWarning outside ``-X dev``, and debug mode was asked for to be told: the
    log line shows by default (logging's last resort prints warnings to stderr), as the slow
    callback report does.
    """
    message = f"unclosed {base!r}: garbage-collected with {attached} event(s) attached"
    warnings.warn(message, ResourceWarning, stacklevel=2, source=base)
    logger.warning("%s", message)


def dump(rows: list[tuple[Any, float | None, bool]], header: str, file: IO[str] | None) -> None:
    """Write the table of ``EventBase.dump()``: ``rows`` are (event, seconds left, active)."""
    out = sys.stderr if file is None else file
    lines = [
        header,
        f"{'fd/sig':>7}  {'events':<24} {'pri':>3}  {'state':<15} {'left':>10}  callback(arg)",
    ]
    for ev, left, active in rows:
        num = f"sig {ev.fd}" if ev.events & EV_SIGNAL else str(ev.fd)
        state = "/".join(s for s, on in (("attached", ev.attached), ("active", active)) if on)
        when = "-" if left is None else f"{left:.6f}"
        lines.append(
            f"{num:>7}  {flags_repr(ev.events):<24} {ev.priority:>3}  {state:<15} {when:>10}  "
            f"{qualname(ev.callback)}({ev.arg!r})"
        )
    out.write("\n".join(lines) + "\n")
