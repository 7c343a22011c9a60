"""The two cores are one behaviour: same names, signatures, docstrings, reprs and errors, for
the event core (Event, Timer, Ticker, EventBase) and for the streams layer (Buffer, Stream,
Listener, connect).

The compiled core is the pure core's source compiled by Cython, so parity holds by
construction; these tests catch what compilation can still change (a typed argument that
Cython checks with its own message, a property that did not survive, a docstring lost).
"""

from __future__ import annotations

import inspect
import math
import os
import pydoc
import re
import socket
import sys
import tempfile
import traceback
import types
from collections.abc import Callable
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path
from typing import Any

import pytest
from support.recorder import noop
from support.sockets import is_open

import fdevent._compiled as compiled
import fdevent._pure as pure
from fdevent import EV_ET, EV_PERSIST, EV_READ, EV_SIGNAL, EV_TIMEOUT, EV_WRITE

CLASSES = ("Event", "Timer", "Ticker", "EventBase")


def _public(cls: type) -> list[str]:
    return sorted(name for name in dir(cls) if not name.startswith("_"))


def test_cores_are_what_they_say() -> None:
    assert pure.CORE == "pure"
    assert compiled.CORE == "compiled"
    # The compiled classes really are compiled: extension types from extension modules, whose
    # __init__ is a C slot and whose instances have no __dict__; the pure ones are classes.
    for name in CLASSES:
        c, p = getattr(compiled, name), getattr(pure, name)
        assert sys.modules[c.__module__].__file__.endswith(tuple(EXTENSION_SUFFIXES)), name
        assert sys.modules[p.__module__].__file__.endswith(".py"), name
        assert isinstance(c.__init__, types.WrapperDescriptorType), name
        assert isinstance(p.__init__, types.FunctionType), name
    with pure.EventBase() as pb, compiled.EventBase() as cb:
        assert hasattr(pure.Timer(pb, noop), "__dict__")
        assert not hasattr(compiled.Timer(cb, noop), "__dict__")


@pytest.mark.parametrize("name", CLASSES)
def test_same_public_names(name: str) -> None:
    assert _public(getattr(pure, name)) == _public(getattr(compiled, name))


@pytest.mark.parametrize("name", CLASSES)
def test_same_signatures_and_docstrings(name: str) -> None:
    p, c = getattr(pure, name), getattr(compiled, name)
    # Compared cleaned: CPython 3.13 dedents the docstrings of code it compiles, Cython not.
    assert inspect.getdoc(p) == inspect.getdoc(c)
    assert p.__doc__ and len(p.__doc__) > 40
    for attr in _public(p):
        pa, ca = getattr(p, attr), getattr(c, attr)
        assert inspect.getdoc(pa) == inspect.getdoc(ca), attr
        assert pa.__doc__, f"{name}.{attr} has no docstring"
        if callable(pa):
            assert inspect.signature(pa) == inspect.signature(ca), attr
        else:
            assert isinstance(pa, property) == (
                type(ca).__name__ in ("property", "getset_descriptor")
            ), attr


def _reprs(core: Any) -> list[str]:
    out = []
    base = core.EventBase(backend="poll")
    try:
        a, b = socket.socketpair()
        with a, b:
            ev = core.Event(base, a, EV_READ | EV_PERSIST, lambda *args: None, priority=0)
            out.append(repr(ev).replace(f"fd={a.fileno()}", "fd=N"))
            ev.attach()
            out.append(repr(ev).replace(f"fd={a.fileno()}", "fd=N"))
            t = core.Timer(base, lambda *args: None)
            t.activate(EV_TIMEOUT)
            out.append(repr(t))
            out.append(repr(core.Ticker(base, lambda *args: None)))
            out.append(repr(base).replace(f"core={core.CORE} ", "core=CORE "))
            ev.detach()
            t.detach()
    finally:
        base.close()
    out.append(repr(base).replace(f"core={core.CORE} ", "core=CORE "))
    return out


def test_same_reprs() -> None:
    assert _reprs(pure) == _reprs(compiled)


def _bad_calls(
    core: Any, fd: int, regular: int, closed: socket.socket, dead: int, bases: list[Any]
) -> list[Callable[[], object]]:
    base = core.EventBase(backend="epoll" if "epoll" in pure_backends() else "poll")
    on_poll = core.EventBase(backend="poll")
    closed = core.EventBase()
    closed.close()
    bases.extend((base, on_poll))
    timer = core.Timer(base, noop)
    ticker = core.Ticker(base, noop)
    reader = core.Event(base, fd, EV_READ, noop)
    nothing = core.Event(base, -1, EV_PERSIST, noop)
    return [
        lambda: core.EventBase(backend="nope"),
        lambda: core.EventBase(backend=3),
        lambda: core.EventBase(priorities=0),
        lambda: core.EventBase(priorities=257),
        lambda: core.EventBase(priorities=True),
        lambda: core.Event(None, fd, EV_READ, noop),
        lambda: core.Event(base, "x", EV_READ, noop),
        lambda: core.Event(base, True, EV_READ, noop),
        lambda: core.Event(base, -2, EV_READ, noop),
        lambda: core.Event(base, 2**40, EV_READ, noop),
        lambda: core.Event(base, fd, "r", noop),
        lambda: core.Event(base, fd, 0x400, noop),
        lambda: core.Event(base, 999, EV_SIGNAL, noop),
        lambda: core.Event(base, 9, EV_SIGNAL, noop),
        lambda: core.Event(base, 15, EV_SIGNAL | EV_READ, noop),
        lambda: core.Event(on_poll, fd, EV_READ, noop).attach() or base.closing("x"),
        lambda: closed.closing(fd),
        lambda: core.Event(base, -1, EV_READ, noop),
        lambda: core.Event(base, fd, EV_READ, 42),
        lambda: core.Event(base, fd, EV_READ, noop, None, 3),
        lambda: core.Event(base, fd, EV_READ, noop, None, 1.0),
        lambda: core.Event(closed, fd, EV_READ, noop),
        lambda: timer.attach(),
        lambda: timer.attach(-1),
        lambda: timer.attach(math.nan),
        lambda: timer.attach("1"),
        lambda: timer.attach(True),
        lambda: ticker.attach(0),
        lambda: ticker.attach(),
        lambda: nothing.attach(),
        lambda: reader.activate(0),
        lambda: reader.activate(EV_PERSIST),
        lambda: reader.activate("r"),
        lambda: setattr(reader, "priority", 9),
        lambda: setattr(reader, "priority", None),
        lambda: setattr(reader, "fd", 3),
        lambda: core.Event(base, regular, EV_READ, noop).attach(),
        lambda: core.Event(base, 10**6, EV_READ, noop).attach(),
        lambda: base.once(fd, EV_READ | EV_PERSIST, noop),
        lambda: base.loopexit(-1),
        lambda: base.set_exception_handler(3),
        lambda: closed.loop(),
        lambda: closed.loopexit(),
        lambda: core.Event(on_poll, fd, EV_READ | EV_ET, noop).attach(),
        lambda: (reader.attach(), reader.assign(base, fd, EV_WRITE, noop)),
        # A closed socket object; the number of a closed fd (the OS's error, with the fd).
        lambda: core.Event(base, closed, EV_READ, noop),
        lambda: core.Event(base, dead, EV_READ, noop).attach(),
        lambda: core.Event(on_poll, dead, EV_READ, noop).attach(),
        # Wrong numbers of arguments, unknown or repeated keywords: CPython's words on both.
        lambda: core.Event(base, fd, EV_READ, noop, None, 1, 7),
        lambda: core.Event(base, fd, EV_READ, noop, foo=1),
        lambda: core.Event(base, fd),
        lambda: core.Event(base, fd, callback=noop),
        lambda: core.Event(),
        lambda: core.Event(base, fd, EV_READ, noop, base=base),
        lambda: core.Timer(base, noop, None, 1, 2),
        lambda: core.Ticker(),
        lambda: core.EventBase("poll", 3, 4),
        lambda: core.EventBase(backnd="poll"),
        lambda: reader.attach(1, 2),
        lambda: reader.attach(timeot=1),
        lambda: reader.detach(1),
        lambda: reader.detach(x=1),
        lambda: reader.activate(),
        lambda: reader.activate(EV_READ, EV_WRITE),
        lambda: reader.assign(base),
        lambda: base.loop(True, False, 1),
        lambda: base.loop(onc=True),
        lambda: base.loopexit(1, 2),
        lambda: base.loopbreak(1),
        lambda: base.dispatch(1),
        lambda: base.once(fd),
        lambda: base.close(1),
        lambda: base.now(1),
        lambda: base.set_exception_handler(),
        lambda: base.__exit__(None),
    ]


def pure_backends() -> list[str]:
    import fdevent

    return fdevent.supported_backends()


def _outcomes(
    core: Any, fd: int, regular: int, closed: socket.socket, dead: int
) -> list[tuple[str, str]]:
    out = []
    bases: list[Any] = []
    try:
        for call in _bad_calls(core, fd, regular, closed, dead, bases):
            try:
                call()
            except AttributeError as exc:
                # Setting a read-only property: CPython and Cython word it differently.
                out.append(("AttributeError", "read-only" if str(exc) else ""))
            except Exception as exc:
                # CPython 3.13+ suggests a close keyword ("Did you mean 'backend'?"); Cython
                # does not. The rest of the message is the same.
                message = re.sub(r"\. Did you mean '\w+'\?$", "", str(exc))
                out.append((type(exc).__name__, message))
            else:
                out.append(("no error", ""))
    finally:
        for base in bases:
            base.close()
    return out


def test_same_exceptions_and_messages() -> None:
    a, b = socket.socketpair()
    closed = socket.socket()
    closed.close()
    with a, b, tempfile.TemporaryFile() as regular:
        # A number no file has (not one just closed: a base made meanwhile would take it).
        dead = next(n for n in range(900, 1000) if not is_open(n))
        p = _outcomes(pure, a.fileno(), regular.fileno(), closed, dead)
        c = _outcomes(compiled, a.fileno(), regular.fileno(), closed, dead)
    assert p == c
    # Every bad call was refused with a message.
    for kind, message in p:
        assert kind != "no error"
        assert message


@pytest.mark.parametrize("core", [pure, compiled], ids=["pure", "compiled"])
def test_clock_is_time_monotonic(core: Any) -> None:
    # The compiled core reads CLOCK_MONOTONIC in C; it must be time.monotonic()'s clock.
    import time

    base = core.EventBase()
    try:
        for _ in range(1000):
            before = time.monotonic()
            now = base.now()
            after = time.monotonic()
            assert before <= now <= after
    finally:
        base.close()


#: Every public class; test_every_public_class_is_checked keeps the list whole.
PUBLIC_CLASSES = (
    "Event",
    "Timer",
    "Ticker",
    "Signal",
    "EventBase",
    "Buffer",
    "Stream",
    "Listener",
)
#: What help() lists for a compiled class and not for its pure twin, and why it cannot be
#: hidden: ``dir()`` of a class (which help() lists) is its metaclass's business, and a
#: Cython extension type has none of its own. ``__new__`` is the C allocator of every
#: extension type; ``__pyx_vtable__`` is the table of a class's C methods, which the modules
#: that cimport the class read from the type's dict when they are imported.
COMPILED_ONLY = {"__new__", "__pyx_vtable__"}
#: And the other way round: a pure class's instance dict and its annotations.
PURE_ONLY = {"__dict__", "__weakref__", "__annotations__"}


def test_every_public_class_is_checked() -> None:
    import fdevent

    classes = {name for name in fdevent.__all__ if isinstance(getattr(fdevent, name), type)}
    assert classes == {*PUBLIC_CLASSES, "Stats"}


@pytest.mark.parametrize("name", PUBLIC_CLASSES)
def test_class_signatures(name: str) -> None:
    p, c = getattr(pure, name), getattr(compiled, name)
    # A compiled class's __init__ is a C slot without a signature; the class still has one.
    assert inspect.signature(c) == inspect.signature(p)
    assert str(inspect.signature(c)) == str(inspect.signature(p))
    assert list(inspect.signature(c).parameters)[:1] != ["args"]
    # The pure class's is what inspect reads from its __init__ (the descriptor changes nothing).
    init = inspect.signature(p.__init__)
    assert list(inspect.signature(p).parameters.values()) == list(init.parameters.values())[1:]


@pytest.mark.parametrize("core", [pure, compiled], ids=["pure", "compiled"])
def test_subclass_signatures(core: Any) -> None:
    # A user's subclass inherits the signature with the constructor, or has its own.
    class Plain(core.Timer):
        pass

    class Own(core.Timer):
        def __init__(self, base: Any, every: float = 1.0) -> None:
            super().__init__(base, noop)

    assert inspect.signature(Plain) == inspect.signature(pure.Timer)
    assert str(inspect.signature(Own)) == "(base: 'Any', every: 'float' = 1.0) -> 'None'"


@pytest.mark.parametrize("name", PUBLIC_CLASSES)
def test_class_help(name: str) -> None:
    p, c = getattr(pure, name), getattr(compiled, name)
    pure_help, compiled_help = _help(p), _help(c)
    # help() opens with the constructor's signature, and documents every public method and
    # property as the pure core does: same signature, same docstring.
    head = _squashed(f"{name}{inspect.signature(p)}")
    assert head in _squashed(pure_help)
    assert head in _squashed(compiled_help)
    pure_entries, compiled_entries = _entries(pure_help), _entries(compiled_help)
    for attr in _public(p):
        assert pure_entries[attr] == compiled_entries[attr], attr
    # A class compiled to a C type carries __signature__ (fdevent._introspect), listed by
    # name as a descriptor on both cores, never as a value cut at 70 characters. A plain
    # class (Listener) needs none: its compiled __init__ is a function with a signature.
    assert pure_entries.get("__signature__") == compiled_entries.get("__signature__")
    assert compiled_entries.get("__signature__", "__signature__") == "__signature__"
    for text in (pure_help, compiled_help):
        assert "__signature__ =" not in text
        assert "ForwardRef" not in text
    # The rest differs only by what a C type has and a Python class has not (and back).
    assert set(compiled_entries) - set(pure_entries) <= COMPILED_ONLY
    assert set(pure_entries) - set(compiled_entries) <= PURE_ONLY
    # No pickling machinery of Cython's among the methods.
    assert "__reduce_cython__" not in compiled_help
    assert "__setstate_cython__" not in compiled_help


def test_stats_help_and_annotation() -> None:
    import fdevent

    text = _help(fdevent.Stats)
    assert "ForwardRef" not in text
    assert "Stats(iterations:int,polls:int," in _squashed(text)
    # stats() is annotated with the public name, on both cores.
    for core in (pure, compiled):
        returns = inspect.signature(core.EventBase.stats).return_annotation
        assert returns in ("Stats", fdevent.Stats), returns


def _help(obj: object) -> str:
    # help()'s text, with the core's package name made the same for both cores.
    text = pydoc.render_doc(obj, renderer=pydoc.plaintext)
    return text.replace("fdevent._compiled.", "fdevent.CORE.").replace(
        "fdevent._pure.", "fdevent.CORE."
    )


def _entries(text: str) -> dict[str, str]:
    # help()'s text as {name: its entry, squashed}: an entry starts at a name in the first
    # column (after the " |  " gutter) and runs to the next one or the next section. From
    # Python 3.13 a long signature is wrapped, its ")" back in the first column.
    entries: dict[str, str] = {}
    name = None
    for line in text.splitlines():
        body = re.sub(r"^ \|  ?", "", line)
        m = re.match(r"(\w+)(?:\(|$| = )", body)
        if m and not body.endswith(":"):
            name = m.group(1)
            entries[name] = ""
        elif body.startswith("-") or (body and not body[0].isspace() and body[0] != ")"):
            name = None  # a rule or a section's title
        if name is not None:
            entries[name] += _squashed(body)
    return entries


def _squashed(text: str) -> str:
    # help()'s text without its " |" gutter and its whitespace: from Python 3.13 pydoc wraps
    # long signatures over several lines.
    return "".join(re.sub(r"^ \|", "", line) for line in text.splitlines()).replace(" ", "")


def _raise(fd: int, events: int, arg: Any) -> None:
    raise ValueError("boom")


def _on_path(filename: str) -> str | None:
    # Where linecache finds a traceback's file: as it is if absolute, else on sys.path.
    if os.path.isabs(filename):
        return filename if os.path.exists(filename) else None
    for folder in sys.path:
        path = os.path.join(folder or os.getcwd(), filename)
        if os.path.exists(path):
            return path
    return None


@pytest.mark.parametrize("core", [pure, compiled], ids=["pure", "compiled"])
def test_tracebacks_show_the_real_source(core: Any) -> None:
    with core.EventBase() as base:
        core.Timer(base, _raise).attach(0)
        with pytest.raises(ValueError) as info:
            base.dispatch()
    # The frames between the test and the callback: the base's (dispatch() to _run_one).
    frames = [f for f in traceback.extract_tb(info.value.__traceback__) if f.filename != __file__]
    assert len(frames) >= 2  # dispatch() down to the call of the callback
    sources = Path(pure.__file__).parent
    for frame in frames:
        # Never a build-tree path: a module of the pure core, which is the compiled one's source.
        assert "build" not in frame.filename.split(os.sep), frame.filename
        path = _on_path(frame.filename)
        assert path is not None, f"{frame.filename} is nowhere on sys.path"
        assert Path(path).resolve().is_relative_to(sources.resolve()), frame.filename
        lines = Path(path).read_text().splitlines()
        assert frame.lineno is not None and frame.line == lines[frame.lineno - 1].strip()


# -- the streams layer: Buffer, Stream, Listener, connect ----------------------------------------

STREAM_CLASSES = ("Buffer", "Stream", "Listener")


def test_stream_classes_are_compiled() -> None:
    assert type(compiled.Stream.write).__name__ != "function"
    assert type(compiled.Buffer.read).__name__ != "function"
    assert type(pure.Stream.write).__name__ == "function"


@pytest.mark.parametrize("name", STREAM_CLASSES)
def test_streams_same_public_names_signatures_docstrings(name: str) -> None:
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


def _stream_noop(*args: Any) -> None:
    pass


def _stream_bad_calls(core: Any, keep: list[Any]) -> list[Callable[[], object]]:
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
        lambda: core.Stream(base, a),  # a is the open stream's
        lambda: stream.write("x"),
        lambda: stream.enable(0x100),
        lambda: stream.disable("r"),
        lambda: stream.set_watermarks(read_low=-1),
        lambda: stream.set_watermarks(read_low=5, read_high=2),
        lambda: stream.set_watermarks(write_low=1.0),
        lambda: stream.set_watermarks(read_high=2**70),
        lambda: stream.set_watermarks(read_low=2**63),
        lambda: stream.set_watermarks(write_low=2**64 + 1),
        lambda: stream.enable(2**70),
        lambda: stream.set_timeouts(read=-1),
        lambda: stream.set_timeouts(write=math.nan),
        lambda: stream.set_timeouts(read="1"),
        lambda: (stream.write_eof(), stream.write(b"x")),
        lambda: (stream.close(), stream.write(b"x")),
        lambda: core.Listener(base, _stream_noop),
        lambda: core.Listener(base, 3, ("127.0.0.1", 0)),
        lambda: core.Listener(base, _stream_noop, ("127.0.0.1", 99999)),
        lambda: core.Listener(base, _stream_noop, 5),
        lambda: core.Listener(base, _stream_noop, sock=b),
        lambda: core.Listener(base, _stream_noop, ("127.0.0.1", 0), backlog=-1),
        lambda: core.connect(base, ("127.0.0.1",)),
        lambda: core.connect(base, ("127.0.0.1", "x")),
        lambda: core.connect(base, 7),
        lambda: core.connect(base, ("127.0.0.1", 1), timeout=-1),
        lambda: core.connect(closed, ("127.0.0.1", 1)),
        lambda: (base.close(), stream.write(b"x")),  # last: the base closes
    ]


def _stream_outcomes(core: Any) -> list[tuple[str, str]]:
    out = []
    keep: list[Any] = []
    try:
        for call in _stream_bad_calls(core, keep):
            try:
                call()
            except Exception as exc:
                # An fd number differs from one run to the next.
                out.append((type(exc).__name__, re.sub(r"fd \d+", "fd N", str(exc))))
            else:
                out.append(("no error", ""))
    finally:
        for obj in keep:
            obj.close()
    return out


def test_streams_same_exceptions_and_messages() -> None:
    p = _stream_outcomes(pure)
    c = _stream_outcomes(compiled)
    assert p == c
    for kind, message in p:
        assert kind != "no error"
        assert message


def test_streams_same_reprs() -> None:
    def reprs(core: Any) -> list[str]:
        base = core.EventBase(backend="poll")
        a, b = socket.socketpair()
        try:
            buf = core.Buffer()
            buf.add(b"abc")
            s = core.Stream(base, a)
            lst = core.Listener(base, _stream_noop, ("127.0.0.1", 0))
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
