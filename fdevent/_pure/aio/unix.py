"""The Unix parts of ``Loop`` that go through the base: signals, child processes, datagrams.

- **Signals.** ``add_signal_handler`` attaches an fdevent ``Signal`` on the loop's base, so
  the handler is installed by fdevent's process-wide registry (``fdevent/_process.py``): no
  ``signal.set_wakeup_fd`` (the stdlib loop takes the process's one wakeup fd, so two loops,
  or asyncio and another library, cannot both have signals), several loops and bases may
  watch one signal, and removing the last handler restores the handler that was there before
  exactly (the stdlib puts back ``SIG_DFL``, or ``default_int_handler`` for SIGINT, whatever
  was there). The asyncio handler runs as the stdlib's does: a handle in the ready queue.
- **Child processes.** A subprocess is watched by a pidfd (``os.pidfd_open``, Linux 5.3+)
  read by an event on the base: no SIGCHLD handler and no watcher thread, whatever child
  watcher the running Python defaults to (3.10 and 3.11 start a thread per process). When the
  pidfd is readable the child is a zombie; ``waitpid`` reaps it and its transport learns the
  exit status one iteration later, after its pipes have been read (the stdlib's order).
  Where pidfds are missing the stdlib's child watcher is used.
- **Datagrams on 3.10 and 3.11.** ``sock_recvfrom``, ``sock_recvfrom_into`` and
  ``sock_sendto`` came to the stdlib loop in 3.11, and its datagram transport became an
  ``asyncio.DatagramTransport`` in 3.12; ``Loop`` has both on every version.
"""

from __future__ import annotations

import asyncio
import functools
import os
import signal
import sys
from asyncio import selector_events, unix_events
from asyncio.log import logger
from typing import TYPE_CHECKING, Any

from ..._flags import EV_READ
from ..core.event import Event, Signal

if TYPE_CHECKING:
    import socket
    from collections.abc import Callable

    from ..core.base import EventBase


def _pidfds_work() -> bool:
    # Asked once: os.pidfd_open exists on Linux builds of 3.9+, and the kernel may still lack it.
    if not hasattr(os, "pidfd_open"):
        return False
    try:
        fd = os.pidfd_open(os.getpid())
    except OSError:
        return False
    os.close(fd)
    return True


_PIDFD = _pidfds_work()


class UnixParts(asyncio.SelectorEventLoop):
    """Signals through fdevent's registry, subprocesses by pidfd, 3.10's datagram calls."""

    _base: EventBase
    _signal_handlers: dict[int, asyncio.Handle]

    def __init__(self, selector: Any) -> None:
        #: signum -> the fdevent Signal that feeds this loop's handler for it.
        self._sig_events: dict[int, Event] = {}
        #: pid -> (its pidfd, the event waiting on it).
        self._child_fds: dict[int, tuple[int, Event]] = {}
        super().__init__(selector)

    # -- signals ---------------------------------------------------------------------------

    def add_signal_handler(  # type: ignore[override]  # typeshed's TypeVarTuple form
        self, sig: int, callback: Callable[..., object], *args: Any
    ) -> None:
        """Run ``callback(*args)`` in the loop whenever signal ``sig`` arrives.

        The handler is fdevent's (the process registry's), shared with every fdevent
        ``Signal`` and every other loop watching ``sig``; the previous handler comes back
        exactly when the last of them is removed.

        Raises:
            TypeError: ``callback`` is a coroutine or coroutine function, or ``sig`` is not
                an int.
            ValueError: ``sig`` is not a signal number.
            RuntimeError: the loop is closed, this is not the main thread and the signal is
                not handled yet, or ``sig`` cannot be caught (SIGKILL, SIGSTOP).
        """
        if asyncio.iscoroutine(callback) or asyncio.iscoroutinefunction(callback):
            raise TypeError("coroutines cannot be used with add_signal_handler()")
        self._check_signal(sig)  # type: ignore[attr-defined]
        self._check_closed()  # type: ignore[attr-defined]
        handle = asyncio.Handle(callback, args, self, None)
        watchers = self._sig_events
        if sig not in watchers:
            if sig in _UNCATCHABLE:  # the stdlib's error: its signal.signal() says EINVAL
                raise RuntimeError(f"sig {sig} cannot be caught")
            ev = Signal(self._base, sig, self._signal_fired)
            try:
                ev.attach()
            except ValueError as exc:  # the first handler for sig, outside the main thread
                raise RuntimeError(str(exc)) from None
            watchers[sig] = ev
        self._signal_handlers[sig] = handle

    def remove_signal_handler(self, sig: int) -> bool:
        """Remove the handler for ``sig``; returns whether there was one.

        Raises:
            TypeError: ``sig`` is not an int.
            ValueError: ``sig`` is not a signal number.
        """
        self._check_signal(sig)  # type: ignore[attr-defined]
        if self._signal_handlers.pop(sig, None) is None:
            return False
        ev = self._sig_events.pop(sig, None)
        if ev is not None and not self._base.closed:
            ev.detach()
        return True

    def _signal_fired(self, signum: int, events: int, arg: object) -> None:
        handle = self._signal_handlers.get(signum)
        if handle is not None and not handle._cancelled:
            self._add_callback(handle)  # type: ignore[attr-defined]

    # -- child processes -------------------------------------------------------------------

    async def _make_subprocess_transport(
        self,
        protocol: asyncio.BaseProtocol,
        args: Any,
        shell: bool,
        stdin: Any,
        stdout: Any,
        stderr: Any,
        bufsize: int,
        extra: Any = None,
        **kwargs: Any,
    ) -> asyncio.SubprocessTransport:
        if not _PIDFD:
            return await super()._make_subprocess_transport(  # type: ignore[misc, no-any-return]
                protocol, args, shell, stdin, stdout, stderr, bufsize, extra=extra, **kwargs
            )
        waiter = self.create_future()
        transp = unix_events._UnixSubprocessTransport(  # type: ignore[attr-defined]
            self, protocol, args, shell, stdin, stdout, stderr, bufsize,
            waiter=waiter, extra=extra, **kwargs,
        )  # fmt: skip
        self._watch_child(transp)
        try:
            await waiter
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException:
            transp.close()
            await transp._wait()
            raise
        return transp  # type: ignore[no-any-return]

    def _watch_child(self, transp: Any) -> None:
        pid = transp.get_pid()
        pidfd = os.pidfd_open(pid)
        ev = Event(self._base, pidfd, EV_READ, self._child_exited, transp)
        try:
            ev.attach()
        except BaseException:
            os.close(pidfd)
            raise
        self._child_fds[pid] = (pidfd, ev)

    def _child_exited(self, pidfd: int, events: int, transp: Any) -> None:
        pid = transp.get_pid()
        self._child_fds.pop(pid, None)
        os.close(pidfd)  # the one-shot event is done with it
        try:
            waited, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            # Someone else reaped it (a SIGCHLD handler of their own): the stdlib's answer.
            logger.warning("child process pid %d exit status already read: "
                           "will report returncode 255", pid)  # fmt: skip
            returncode = 255
        else:
            if waited == 0:  # pragma: no cover - a readable pidfd is an exited child
                return
            returncode = os.waitstatus_to_exitcode(status)
        # One iteration later, as the stdlib: the last output in the pipes is read first.
        self.call_soon(transp._process_exited, returncode)

    def _release_children(self) -> None:
        # The loop is closing: stop watching (the transports warn about running children).
        children = self._child_fds
        for pidfd, ev in children.values():
            if not self._base.closed:
                ev.detach()
            os.close(pidfd)
        children.clear()


_UNCATCHABLE = frozenset({signal.SIGKILL, signal.SIGSTOP})


# -- 3.10: the datagram calls 3.11 added ------------------------------------------------------


async def _sock_call(
    loop: Any, sock: socket.socket, writing: bool, op: Callable[..., Any], *args: Any
) -> Any:
    # Try at once; if the socket would block, retry on readiness until done or cancelled.
    if isinstance(sock, _SSLSocket):
        raise TypeError("Socket cannot be of type SSLSocket")
    if loop._debug and sock.gettimeout() != 0:
        raise ValueError("the socket must be non-blocking")
    try:
        return op(*args)
    except (BlockingIOError, InterruptedError):
        pass
    fut = loop.create_future()
    fd = sock.fileno()
    loop._ensure_fd_no_transport(fd)
    add, done = (
        (loop._add_writer, loop._sock_write_done) if writing
        else (loop._add_reader, loop._sock_read_done)
    )  # fmt: skip
    handle = add(fd, _retry, fut, op, args)
    fut.add_done_callback(functools.partial(done, fd, handle=handle))
    return await fut


def _retry(fut: asyncio.Future[Any], op: Callable[..., Any], args: tuple[Any, ...]) -> None:
    if fut.done():
        return
    try:
        result = op(*args)
    except (BlockingIOError, InterruptedError):
        return
    except (SystemExit, KeyboardInterrupt):
        raise
    except BaseException as exc:
        fut.set_exception(exc)
    else:
        fut.set_result(result)


async def sock_recvfrom(self: Any, sock: socket.socket, bufsize: int) -> tuple[bytes, Any]:
    """Receive a datagram of at most ``bufsize`` bytes: ``(data, address)``."""
    return await _sock_call(self, sock, False, sock.recvfrom, bufsize)  # type: ignore[no-any-return]


async def sock_recvfrom_into(
    self: Any, sock: socket.socket, buf: Any, nbytes: int = 0
) -> tuple[int, Any]:
    """Receive a datagram into ``buf`` (at most ``nbytes`` bytes, 0: its size)."""
    if not nbytes:
        nbytes = len(buf)
    return await _sock_call(self, sock, False, sock.recvfrom_into, buf, nbytes)  # type: ignore[no-any-return]


async def sock_sendto(self: Any, sock: socket.socket, data: Any, address: Any) -> int:
    """Send the datagram ``data`` to ``address``; returns the bytes sent."""
    return await _sock_call(self, sock, True, sock.sendto, data, address)  # type: ignore[no-any-return]


try:
    from ssl import SSLSocket as _SSLSocket
except ImportError:  # pragma: no cover - a Python without ssl

    class _SSLSocket:  # type: ignore[no-redef]
        pass


if sys.version_info < (3, 12):
    # 3.10 and 3.11's datagram transport is not a DatagramTransport (3.12 made it one).

    class _DatagramTransport(
        selector_events._SelectorDatagramTransport,  # type: ignore[name-defined, misc]
        asyncio.DatagramTransport,
    ):
        """The stdlib's datagram transport, declared an ``asyncio.DatagramTransport``."""

    def _make_datagram_transport(
        self: Any, sock: Any, protocol: Any, address: Any = None, waiter: Any = None,
        extra: Any = None,
    ) -> Any:  # fmt: skip
        return _DatagramTransport(self, sock, protocol, address, waiter, extra)  # type: ignore[call-arg]

    UnixParts._make_datagram_transport = _make_datagram_transport  # type: ignore[attr-defined]

if sys.version_info < (3, 11):
    UnixParts.sock_recvfrom = sock_recvfrom  # type: ignore[attr-defined]
    UnixParts.sock_recvfrom_into = sock_recvfrom_into  # type: ignore[attr-defined]
    UnixParts.sock_sendto = sock_sendto  # type: ignore[attr-defined]
