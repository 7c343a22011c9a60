"""A small correct user program: mypy --strict must accept it against an installed fdevent.

Not collected by pytest (the file name does not start with ``test_``); ``.ci/run`` type-checks
it against a wheel installed in a fresh venv outside the source tree.
"""

from __future__ import annotations

import datetime
import socket

import fdevent
from fdevent import EV_PERSIST, EV_READ


def on_read(fd: int, events: int, sock: socket.socket) -> None:
    data = sock.recv(4096)
    if not data:
        sock.close()


def on_tick(fd: int, events: int, arg: object) -> None:
    print("tick", fd, events, arg)


def on_error(event: fdevent.Event, exc: Exception) -> None:
    print(f"{event!r} raised {exc!r}")


def main() -> None:
    a, b = socket.socketpair()
    with fdevent.EventBase(backend=None, priorities=3) as base:
        base.set_exception_handler(on_error)
        ev = fdevent.Event(base, a, EV_READ | EV_PERSIST, on_read, a)
        ev.attach(timeout=datetime.timedelta(seconds=1))
        ev.priority = fdevent.PRIORITY_HIGH
        ticker = fdevent.Ticker(base, on_tick, "ticker")
        ticker.attach(0.25)
        fdevent.Timer(base, lambda fd, events, arg: base.loopexit()).attach(1)
        base.once(b, fdevent.EV_WRITE, on_tick, timeout=5)
        b.send(b"x")
        base.loop(once=True)
        timeout: float | None = ev.timeout
        fd: int = ev.fd
        backend: str = base.backend
        print(timeout, fd, backend, fdevent.CORE, fdevent.supported_backends())
        ev.detach()
        ticker.detach()
    b.close()


if __name__ == "__main__":
    main()
