"""``fdevent.aio``'s Unix parts: signals through fdevent's registry, pidfd-watched children,
native sendfile, and the datagram calls (3.10 included), on both cores and every backend.

Errors are checked against the stock loop, so a difference shows up as a failing pair.
"""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import socket
import sys
import tempfile
import threading
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest

#: Generous ceiling for "it did happen" on a slow CI machine (real time).
LATE = 5.0


@pytest.fixture
def loop(core: ModuleType, backend: str) -> Iterator[Any]:
    """A Loop of ``core`` on a fresh base of ``backend``; the loop owns it."""
    aio = __import__(f"{core.__name__}.aio", fromlist=["Loop"])
    lp = aio.Loop(core.EventBase(backend=backend))
    try:
        yield lp
    finally:
        lp.close()


@pytest.fixture
def usr1() -> Iterator[Any]:
    """SIGUSR1 with a Python handler of the test's own installed, put back afterwards."""
    seen: list[int] = []

    def previous(signum: int, frame: object) -> None:
        seen.append(signum)

    old = signal.signal(signal.SIGUSR1, previous)
    try:
        yield previous
    finally:
        signal.signal(signal.SIGUSR1, old)


def _fd_count() -> int:
    return len(os.listdir("/proc/self/fd"))


# -- signals ---------------------------------------------------------------------------------


def test_signal_handler_runs_without_wakeup_fd_and_restores_exactly(loop: Any, usr1: Any) -> None:
    got: list[tuple[str, int]] = []

    async def main() -> None:
        done = asyncio.Event()

        def handler(tag: str) -> None:
            got.append((tag, threading.get_ident()))
            done.set()

        loop.add_signal_handler(signal.SIGUSR1, handler, "usr1")
        # No wakeup fd: the process's one wakeup fd stays free for others.
        old = signal.set_wakeup_fd(-1)
        signal.set_wakeup_fd(old)
        assert old == -1
        assert signal.getsignal(signal.SIGUSR1) is not usr1
        os.kill(os.getpid(), signal.SIGUSR1)
        await asyncio.wait_for(done.wait(), LATE)

    loop.run_until_complete(main())
    assert got == [("usr1", threading.get_ident())]
    assert loop.remove_signal_handler(signal.SIGUSR1) is True
    assert signal.getsignal(signal.SIGUSR1) is usr1  # the previous handler, exactly
    assert loop.remove_signal_handler(signal.SIGUSR1) is False


def test_signal_reaches_asyncio_handler_and_fdevent_signal_on_one_base(
    loop: Any, core: ModuleType, usr1: Any
) -> None:
    got: list[str] = []
    sig = core.Signal(loop.base, signal.SIGUSR1, lambda s, e, a: got.append("fdevent"))
    sig.attach()

    async def main() -> None:
        done = asyncio.Event()
        loop.add_signal_handler(signal.SIGUSR1, lambda: (got.append("asyncio"), done.set()))
        os.kill(os.getpid(), signal.SIGUSR1)
        await asyncio.wait_for(done.wait(), LATE)
        await asyncio.sleep(0)

    loop.run_until_complete(main())
    assert sorted(got) == ["asyncio", "fdevent"]
    loop.remove_signal_handler(signal.SIGUSR1)
    assert signal.getsignal(signal.SIGUSR1) is not usr1  # the fdevent Signal still watches
    sig.detach()
    assert signal.getsignal(signal.SIGUSR1) is usr1


def test_replacing_a_signal_handler_keeps_one_registration(loop: Any, usr1: Any) -> None:
    got: list[str] = []

    async def main() -> None:
        done = asyncio.Event()
        loop.add_signal_handler(signal.SIGUSR1, got.append, "first")
        loop.add_signal_handler(signal.SIGUSR1, lambda: (got.append("second"), done.set()))
        os.kill(os.getpid(), signal.SIGUSR1)
        await asyncio.wait_for(done.wait(), LATE)

    loop.run_until_complete(main())
    assert got == ["second"]
    assert loop.remove_signal_handler(signal.SIGUSR1) is True
    assert signal.getsignal(signal.SIGUSR1) is usr1


def test_close_removes_signal_handlers(core: ModuleType, backend: str, usr1: Any) -> None:
    aio = __import__(f"{core.__name__}.aio", fromlist=["Loop"])
    lp = aio.Loop(core.EventBase(backend=backend))
    lp.add_signal_handler(signal.SIGUSR1, lambda: None)
    assert signal.getsignal(signal.SIGUSR1) is not usr1
    lp.close()
    assert signal.getsignal(signal.SIGUSR1) is usr1


async def _coro() -> None:
    pass


@pytest.mark.parametrize(
    ("sig", "callback", "exc"),
    [
        ("USR1", lambda: None, TypeError),
        (0, lambda: None, ValueError),
        (10_000, lambda: None, ValueError),
        (signal.SIGKILL, lambda: None, RuntimeError),
        (signal.SIGSTOP, lambda: None, RuntimeError),
        (signal.SIGUSR1, _coro, TypeError),
    ],
)
def test_add_signal_handler_bad_input_as_stdlib(
    loop: Any, sig: Any, callback: Any, exc: type[Exception], usr1: Any
) -> None:
    stock = asyncio.SelectorEventLoop()
    try:
        with pytest.raises(exc):
            stock.add_signal_handler(sig, callback)
    finally:
        stock.close()
    with pytest.raises(exc):
        loop.add_signal_handler(sig, callback)
    assert signal.getsignal(signal.SIGUSR1) is usr1  # nothing changed


def test_add_signal_handler_on_closed_loop_or_other_thread(
    core: ModuleType, backend: str, usr1: Any
) -> None:
    aio = __import__(f"{core.__name__}.aio", fromlist=["Loop"])
    lp = aio.Loop(core.EventBase(backend=backend))
    errors: list[BaseException] = []

    def other() -> None:
        try:
            lp.add_signal_handler(signal.SIGUSR1, lambda: None)
        except BaseException as exc:  # inspected below
            errors.append(exc)

    t = threading.Thread(target=other)
    t.start()
    t.join()
    assert len(errors) == 1 and isinstance(errors[0], RuntimeError), errors
    assert signal.getsignal(signal.SIGUSR1) is usr1
    lp.close()
    with pytest.raises(RuntimeError):
        lp.add_signal_handler(signal.SIGUSR1, lambda: None)
    with pytest.raises(TypeError):
        lp.remove_signal_handler("USR1")


# -- child processes -------------------------------------------------------------------------


def test_subprocess_watched_without_threads_or_sigchld(loop: Any) -> None:
    sigchld = signal.getsignal(signal.SIGCHLD)

    async def main() -> tuple[bytes, int, int, int]:
        threads = threading.active_count()
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", "import sys; print('hi'); sys.exit(3)",
            stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        during = threading.active_count()
        out, _ = await asyncio.wait_for(proc.communicate(), LATE * 4)
        return out, await proc.wait(), threads, during

    out, rc, before, during = loop.run_until_complete(main())
    assert (out, rc) == (b"hi\n", 3)
    assert during == before  # no watcher thread (3.10 and 3.11's default starts one)
    assert signal.getsignal(signal.SIGCHLD) == sigchld


def test_subprocess_killed_and_shell(loop: Any) -> None:
    async def main() -> tuple[int, int, bytes]:
        sleeper = await asyncio.create_subprocess_exec("sleep", "30")
        sleeper.kill()
        killed = await asyncio.wait_for(sleeper.wait(), LATE * 4)
        sh = await asyncio.create_subprocess_shell(
            "echo $((6 * 7)); exit 5", stdout=asyncio.subprocess.PIPE
        )
        out, _ = await asyncio.wait_for(sh.communicate(), LATE * 4)
        return killed, await sh.wait(), out

    assert loop.run_until_complete(main()) == (-signal.SIGKILL, 5, b"42\n")


def test_closing_loop_with_a_running_child_releases_its_fds(core: ModuleType, backend: str) -> None:
    aio = __import__(f"{core.__name__}.aio", fromlist=["Loop"])
    gc.collect()  # earlier tests' garbage closes its fds now, not during the count
    before = _fd_count()
    base = core.EventBase(backend=backend)
    lp = aio.Loop(base)

    async def start() -> Any:
        return await asyncio.create_subprocess_exec("sleep", "30")

    proc = lp.run_until_complete(start())
    try:
        assert _fd_count() > before
    finally:
        proc.kill()
        os.waitpid(proc.pid, 0)  # reaped here: the loop is never run again
        with pytest.warns(ResourceWarning):
            proc._transport.__del__()  # what the stdlib warns of an unclosed transport
        proc._transport.close()
        lp.close()
        base.close()  # given to the loop, so not the loop's to close
    assert _fd_count() == before


# -- sendfile --------------------------------------------------------------------------------


def test_sendfile_is_native(loop: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = os.sendfile

    def counting(out_fd: int, in_fd: int, offset: Any, count: int) -> int:
        calls.append(count)
        return real(out_fd, in_fd, offset, count)

    monkeypatch.setattr(os, "sendfile", counting)
    payload = os.urandom(300_000)

    async def main() -> tuple[bytes, int, int]:
        got = bytearray()
        closed = asyncio.Event()

        class Sink(asyncio.Protocol):
            def data_received(self, data: bytes) -> None:
                got.extend(data)

            def connection_lost(self, exc: BaseException | None) -> None:
                closed.set()

        server = await asyncio.get_running_loop().create_server(Sink, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        with tempfile.TemporaryFile() as f:
            f.write(payload)
            f.flush()
            tr, _ = await loop.create_connection(asyncio.Protocol, "127.0.0.1", port)
            sent = await loop.sendfile(tr, f)
            tr.close()
            await asyncio.wait_for(closed.wait(), LATE)
            a, b = socket.socketpair()
            a.setblocking(False)
            try:
                f.seek(0)
                sock_sent = await loop.sock_sendfile(a, f, 0, 1000)
                assert b.recv(2000) == payload[:1000]
            finally:
                a.close()
                b.close()
        server.close()
        await server.wait_closed()
        return bytes(got), sent, sock_sent

    got, sent, sock_sent = loop.run_until_complete(main())
    assert got == payload and sent == len(payload) and sock_sent == 1000
    assert sum(calls) >= len(payload) + 1000


# -- datagrams -------------------------------------------------------------------------------


def test_datagram_socket_calls(loop: Any) -> None:
    async def main() -> tuple[Any, ...]:
        a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for s in (a, b):
            s.setblocking(False)
            s.bind(("127.0.0.1", 0))
        try:
            # recvfrom first: it has to wait on the base for the datagram.
            pending = asyncio.ensure_future(loop.sock_recvfrom(b, 100))
            await asyncio.sleep(0.01)
            assert not pending.done()
            n = await loop.sock_sendto(a, b"one", b.getsockname())
            data, addr = await asyncio.wait_for(pending, LATE)
            buf = bytearray(10)
            await loop.sock_sendto(a, b"two", b.getsockname())
            got = await asyncio.wait_for(loop.sock_recvfrom_into(b, buf, 2), LATE)
            return n, data, addr, a.getsockname(), got[0], bytes(buf[:2])
        finally:
            a.close()
            b.close()

    n, data, addr, a_addr, nbytes, start = loop.run_until_complete(main())
    assert (n, data, addr) == (3, b"one", a_addr)
    assert (nbytes, start) == (2, b"tw")


def test_unix_datagram_endpoint(loop: Any, tmp_path: Any) -> None:
    path = str(tmp_path / "dgram.sock")

    async def main() -> list[bytes]:
        got: list[bytes] = []
        arrived = asyncio.Event()

        class Recv(asyncio.DatagramProtocol):
            def datagram_received(self, data: bytes, addr: Any) -> None:
                got.append(data)
                arrived.set()

        server, _ = await loop.create_datagram_endpoint(
            Recv, local_addr=path, family=socket.AF_UNIX
        )
        client, _ = await loop.create_datagram_endpoint(
            asyncio.DatagramProtocol, remote_addr=path, family=socket.AF_UNIX
        )
        assert isinstance(client, asyncio.DatagramTransport)
        client.sendto(b"over unix")
        await asyncio.wait_for(arrived.wait(), LATE)
        client.close()
        server.close()
        return got

    assert loop.run_until_complete(main()) == [b"over unix"]
