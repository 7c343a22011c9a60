"""The streams layer is one behaviour on both cores: names, signatures, docstrings, reprs and
the exception (type and message) of every bad call."""

from __future__ import annotations

import inspect
import math
import socket
from collections.abc import Callable
from typing import Any

import pytest

import fdevent._compiled as compiled
import fdevent._pure as pure
from fdevent import EV_READ

CLASSES = ("Buffer", "Stream", "Listener")


def _public(cls: type) -> list[str]:
    return sorted(name for name in dir(cls) if not name.startswith("_"))


def test_stream_classes_are_compiled() -> None:
    assert type(compiled.Stream.write).__name__ != "function"
    assert type(compiled.Buffer.read).__name__ != "function"
    assert type(pure.Stream.write).__name__ == "function"


@pytest.mark.parametrize("name", CLASSES)
def test_same_public_names_signatures_docstrings(name: str) -> None:
    p, c = getattr(pure, name), getattr(compiled, name)
    assert _public(p) == _public(c)
    assert inspect.getdoc(p) == inspect.getdoc(c)
    assert p.__doc__ and len(p.__doc__) > 40
    for attr in _public(p):
        pa, ca = getattr(p, attr), getattr(c, attr)
        assert inspect.getdoc(pa) == inspect.getdoc(ca), attr
        assert pa.__doc__, f"{name}.{attr} has no docstring"
        if callable(pa):
            assert inspect.signature(pa) == inspect.signature(ca), attr


def test_connect_signature_and_docstring() -> None:
    assert inspect.signature(pure.connect) == inspect.signature(compiled.connect)
    assert inspect.getdoc(pure.connect) == inspect.getdoc(compiled.connect)
    assert "Raises" in (pure.connect.__doc__ or "")


def _noop(*args: Any) -> None:
    pass


def _bad_calls(core: Any, keep: list[Any]) -> list[Callable[[], object]]:
    base = core.EventBase(backend="poll")
    closed = core.EventBase()
    closed.close()
    a, b = socket.socketpair()
    keep.extend((base, a, b))
    buf = core.Buffer()
    buf.add(b"0123456789")
    stream = core.Stream(base, a)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    keep.append(udp)
    dead = socket.socket()
    dead.close()
    return [
        lambda: buf.add("str"),
        lambda: buf.add(5),
        lambda: buf.read(-2),
        lambda: buf.read("1"),
        lambda: buf.peek(True),
        lambda: buf.readexactly(-1),
        lambda: buf.drain(None),
        lambda: buf.find("x"),
        lambda: buf.readline(b""),
        lambda: buf.readline(limit=-1),
        lambda: buf.readline(limit=3),
        lambda: core.Stream(None, b),
        lambda: core.Stream(base, 3),
        lambda: core.Stream(base, dead),
        lambda: core.Stream(base, udp),
        lambda: core.Stream(base, b, on_read=1),
        lambda: core.Stream(base, b, priority=7),
        lambda: core.Stream(base, b, ssl=1),
        lambda: core.Stream(closed, b),
        lambda: stream.write("x"),
        lambda: stream.enable(0x100),
        lambda: stream.disable("r"),
        lambda: stream.set_watermarks(read_low=-1),
        lambda: stream.set_watermarks(read_low=5, read_high=2),
        lambda: stream.set_watermarks(write_low=1.0),
        lambda: stream.set_timeouts(read=-1),
        lambda: stream.set_timeouts(write=math.nan),
        lambda: stream.set_timeouts(read="1"),
        lambda: (stream.write_eof(), stream.write(b"x")),
        lambda: (stream.close(), stream.write(b"x")),
        lambda: core.Listener(base, _noop),
        lambda: core.Listener(base, 3, ("127.0.0.1", 0)),
        lambda: core.Listener(base, _noop, ("127.0.0.1", 99999)),
        lambda: core.Listener(base, _noop, 5),
        lambda: core.Listener(base, _noop, sock=b),
        lambda: core.Listener(base, _noop, ("127.0.0.1", 0), backlog=-1),
        lambda: core.connect(base, ("127.0.0.1",)),
        lambda: core.connect(base, ("127.0.0.1", "x")),
        lambda: core.connect(base, 7),
        lambda: core.connect(base, ("127.0.0.1", 1), timeout=-1),
        lambda: core.connect(closed, ("127.0.0.1", 1)),
    ]


def _outcomes(core: Any) -> list[tuple[str, str]]:
    out = []
    keep: list[Any] = []
    try:
        for call in _bad_calls(core, keep):
            try:
                call()
            except Exception as exc:
                out.append((type(exc).__name__, str(exc)))
            else:
                out.append(("no error", ""))
    finally:
        for obj in keep:
            obj.close()
    return out


def test_same_exceptions_and_messages() -> None:
    p = _outcomes(pure)
    c = _outcomes(compiled)
    assert p == c
    for kind, message in p:
        assert kind != "no error"
        assert message


def test_same_reprs() -> None:
    def reprs(core: Any) -> list[str]:
        base = core.EventBase(backend="poll")
        a, b = socket.socketpair()
        try:
            buf = core.Buffer()
            buf.add(b"abc")
            s = core.Stream(base, a)
            lst = core.Listener(base, _noop, ("127.0.0.1", 0))
            out = [repr(buf), repr(s).replace(f"fd={a.fileno()}", "fd=N")]
            out.append(repr(lst).replace(str(lst.address[1]), "P"))
            s.disable(EV_READ)
            s.abort()
            lst.close()
            out += [repr(s), repr(lst).replace(str(lst.address[1]), "P")]
            return out
        finally:
            b.close()
            base.close()

    assert reprs(pure) == reprs(compiled)
