"""A user program with exactly three mistakes mypy --strict must report against an installed
fdevent, one error each (``.ci/run`` counts them): a callback of the wrong arity, a timeout
given as a str, an exception handler of the wrong signature. Never run.
"""

from __future__ import annotations

import fdevent


def two_args(fd: int, events: int) -> None:
    print(fd, events)


def handler(exc: Exception) -> None:
    print(exc)


def main() -> None:
    base = fdevent.EventBase()
    timer = fdevent.Timer(base, two_args)  # mistake 1: callbacks take (fd, events, arg)
    timer.attach("1")  # mistake 2: a timeout is a number of seconds or a timedelta
    base.set_exception_handler(handler)  # mistake 3: handlers take (event, exc)
    base.dispatch()


if __name__ == "__main__":
    main()
