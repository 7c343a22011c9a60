"""Buffer (libevent's evbuffer), on both cores: every method of DESIGN.md, against a model."""

from __future__ import annotations

import array
import time
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st


def test_empty(core: ModuleType) -> None:
    buf = core.Buffer()
    assert len(buf) == 0
    assert buf.read() == b""
    assert buf.peek() == b""
    assert buf.readline() == b""
    assert buf.readexactly(0) == b""
    assert buf.readexactly(1) == b""
    assert buf.find(b"x") == -1
    assert buf.find(b"") == 0
    buf.drain(5)
    assert len(buf) == 0
    assert repr(buf) == "<Buffer len=0>"


def test_add_takes_any_bytes_like(core: ModuleType) -> None:
    buf = core.Buffer()
    buf.add(b"ab")
    buf.add(bytearray(b"cd"))
    buf.add(memoryview(b"xefx")[1:3])
    buf.add(array.array("B", [0x67]))
    assert len(buf) == 7
    assert buf.read() == b"abcdefg"
    assert type(buf.read()) is bytes


@pytest.mark.parametrize("bad", ["text", 5, None, [1, 2], 3.0, True])
def test_add_other_types_is_type_error(core: ModuleType, bad: Any) -> None:
    buf = core.Buffer()
    buf.add(b"keep")
    with pytest.raises(TypeError, match="bytes-like"):
        buf.add(bad)
    assert buf.read() == b"keep"


def test_add_copies_mutable_data(core: ModuleType) -> None:
    buf = core.Buffer()
    src = bytearray(b"hello")
    buf.add(src)
    src[:] = b"HELLO"
    assert buf.read() == b"hello"


def test_read_and_peek(core: ModuleType) -> None:
    buf = core.Buffer()
    for piece in (b"abc", b"defgh" * 200, b"ij"):
        buf.add(piece)
    total = b"abc" + b"defgh" * 200 + b"ij"
    assert buf.peek(2) == b"ab"
    assert buf.peek() == total
    assert len(buf) == len(total)
    assert buf.read(2) == b"ab"
    assert buf.read(5) == b"cdefg"  # spans chunks
    assert buf.read(0) == b""
    rest = total[7:]
    assert buf.read(10**6) == rest  # past the end: what is there
    assert len(buf) == 0


def test_read_whole_chunk_is_not_copied(core: ModuleType) -> None:
    buf = core.Buffer()
    data = b"x" * 4096
    buf.add(data)
    assert buf.read() is data


@pytest.mark.parametrize("method", ["read", "peek"])
def test_read_bad_n(core: ModuleType, method: str) -> None:
    buf = core.Buffer()
    buf.add(b"abc")
    with pytest.raises(ValueError, match="-1"):
        getattr(buf, method)(-2)
    for bad in (1.0, "1", None, True):
        with pytest.raises(TypeError, match="n must be an int"):
            getattr(buf, method)(bad)
    assert buf.peek() == b"abc"


def test_readexactly(core: ModuleType) -> None:
    buf = core.Buffer()
    buf.add(b"abc")
    assert buf.readexactly(4) == b""
    assert len(buf) == 3
    buf.add(b"de")
    assert buf.readexactly(4) == b"abcd"
    assert buf.readexactly(1) == b"e"
    with pytest.raises(ValueError, match=">= 0"):
        buf.readexactly(-1)
    with pytest.raises(TypeError):
        buf.readexactly("1")


def test_drain(core: ModuleType) -> None:
    buf = core.Buffer()
    buf.add(b"abcdef")
    buf.drain(2)
    assert buf.peek() == b"cdef"
    buf.drain(100)
    assert len(buf) == 0
    buf.add(b"x")
    buf.drain(10**30)
    assert len(buf) == 0
    with pytest.raises(ValueError):
        buf.drain(-1)
    with pytest.raises(TypeError):
        buf.drain(None)


def test_find(core: ModuleType) -> None:
    buf = core.Buffer()
    buf.add(b"hello ")
    buf.add(b"wor" * 300)
    buf.add(b"ld")
    assert buf.find(b"lo w") == 3  # across chunks
    assert buf.find(b"ld") == len(buf) - 2
    assert buf.find(b"zzz") == -1
    buf.read(4)
    assert buf.find(b"o") == 0  # relative to the front
    assert buf.find(bytearray(b" w")) == 1
    with pytest.raises(TypeError):
        buf.find("o")


def test_readline(core: ModuleType) -> None:
    buf = core.Buffer()
    buf.add(b"first li")
    assert buf.readline() == b""
    assert len(buf) == 8
    buf.add(b"ne\nsecond\r")
    assert buf.readline() == b"first line\n"
    assert buf.readline(b"\r\n") == b""
    buf.add(b"\nthird")
    assert buf.readline(b"\r\n") == b"second\r\n"
    assert buf.readline() == b""
    assert buf.read() == b"third"


def test_readline_limit(core: ModuleType) -> None:
    buf = core.Buffer()
    buf.add(b"0123456789\n")
    with pytest.raises(ValueError, match="limit"):
        buf.readline(limit=9)
    assert len(buf) == 11  # unchanged
    assert buf.readline(limit=10) == b"0123456789\n"
    buf.add(b"abcdefghijk")  # no eol yet, already longer than the limit
    with pytest.raises(ValueError, match="limit"):
        buf.readline(limit=5)
    assert buf.peek() == b"abcdefghijk"
    buf2 = core.Buffer()
    buf2.add(b"abcde")
    assert buf2.readline(limit=5) == b""  # not yet over: the eol may still come
    buf2.add(b"\r\n")
    assert buf2.readline(b"\r\n", limit=5) == b"abcde\r\n"


def test_readline_bad_arguments(core: ModuleType) -> None:
    buf = core.Buffer()
    buf.add(b"a\n")
    with pytest.raises(ValueError, match="empty"):
        buf.readline(b"")
    with pytest.raises(TypeError):
        buf.readline("\n")
    with pytest.raises(TypeError):
        buf.readline(limit=1.5)
    with pytest.raises(ValueError):
        buf.readline(limit=-1)
    assert buf.read() == b"a\n"


def test_every_error_names_the_parameter(core: ModuleType) -> None:
    # Each message names the argument as the signature does, so the mistake is found at once.
    buf = core.Buffer()
    buf.add(b"hello\n")
    calls: list[tuple[Any, type[Exception], str]] = [
        (lambda: buf.add("x"), TypeError, "data must be a bytes-like object, not str"),
        (lambda: buf.find("o"), TypeError, "sub must be a bytes-like object, not str"),
        (lambda: buf.find(5), TypeError, "sub must be a bytes-like object, not int"),
        (lambda: buf.readline(eol="\n"), TypeError, "eol must be a bytes-like object, not str"),
        (lambda: buf.readline(None), TypeError, "eol must be a bytes-like object, not NoneType"),
        (lambda: buf.readline(b""), ValueError, "eol must not be empty"),
        (lambda: buf.readline(limit=1.5), TypeError, "limit must be an int, not float"),
        (lambda: buf.readline(limit=-1), ValueError, "limit must be >= 0, got -1"),
        (lambda: buf.read("1"), TypeError, "n must be an int, not str"),
        (lambda: buf.read(-2), ValueError, "n must be >= 0 or -1 (all), got -2"),
        (lambda: buf.peek(True), TypeError, "n must be an int, not bool"),
        (lambda: buf.readexactly(-1), ValueError, "n must be >= 0, got -1"),
        (lambda: buf.drain(None), TypeError, "n must be an int, not NoneType"),
    ]
    for call, kind, message in calls:
        with pytest.raises(kind) as info:
            call()
        assert str(info.value) == message
    assert buf.read() == b"hello\n"  # nothing was taken by a refused call


def test_many_small_adds_keep_order(core: ModuleType) -> None:
    buf = core.Buffer()
    expected = bytearray()
    for i in range(20000):
        piece = bytes([i % 251]) * (1 + i % 7)
        buf.add(piece)
        expected += piece
    assert len(buf) == len(expected)
    assert buf.read(12345) == expected[:12345]
    assert buf.read() == expected[12345:]


def test_reading_the_front_costs_what_it_takes(core: ModuleType) -> None:
    # 4 MiB in one chunk and 1,000 more: 50,000 reads of 1 byte each. O(buffer) per read
    # would copy tens of gigabytes; O(taken) runs in well under a second.
    buf = core.Buffer()
    buf.add(b"a" * (4 << 20))
    for _ in range(1000):
        buf.add(b"b" * 4096)
    start = time.perf_counter()
    for _ in range(50000):
        buf.read(1)
    for _ in range(500):
        buf.read(4096 + 3)
    elapsed = time.perf_counter() - start
    assert len(buf) == (4 << 20) + 1000 * 4096 - 50000 - 500 * 4099
    assert elapsed < 5.0


OPS = st.one_of(
    st.tuples(st.just("add"), st.binary(max_size=700)),
    st.tuples(st.just("add_ba"), st.binary(max_size=50)),
    st.tuples(st.just("read"), st.integers(-1, 900)),
    st.tuples(st.just("peek"), st.integers(-1, 900)),
    st.tuples(st.just("drain"), st.integers(0, 900)),
    st.tuples(st.just("readexactly"), st.integers(0, 900)),
    st.tuples(st.just("readline"), st.sampled_from([b"\n", b"ab", b"\x00\x01"])),
    st.tuples(st.just("find"), st.binary(min_size=1, max_size=3)),
)


@settings(max_examples=300, deadline=None)
@given(ops=st.lists(OPS, max_size=60))
def test_matches_a_bytearray_model(core: ModuleType, ops: list[tuple[str, Any]]) -> None:
    buf = core.Buffer()
    model = bytearray()
    for op, arg in ops:
        if op == "add":
            buf.add(arg)
            model += arg
        elif op == "add_ba":
            buf.add(bytearray(arg))
            model += arg
        elif op in ("read", "peek"):
            n = len(model) if arg == -1 else min(arg, len(model))
            assert getattr(buf, op)(arg) == model[:n]
            if op == "read":
                del model[:n]
        elif op == "drain":
            buf.drain(arg)
            del model[:arg]
        elif op == "readexactly":
            got = buf.readexactly(arg)
            if arg <= len(model):
                assert got == model[:arg]
                del model[:arg]
            else:
                assert got == b""
        elif op == "readline":
            at = model.find(arg)
            got = buf.readline(arg)
            if at < 0:
                assert got == b""
            else:
                assert got == model[: at + len(arg)]
                del model[: at + len(arg)]
        else:
            assert buf.find(arg) == model.find(arg)
        assert len(buf) == len(model)
    assert buf.read() == model
