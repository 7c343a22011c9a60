"""TLS over streams (ssl.MemoryBIO): handshakes both ways, plaintext I/O, close_notify, failures.

Certificates are made at run time with trustme: a throwaway CA, a server certificate for
localhost and 127.0.0.1.
"""

from __future__ import annotations

import socket
import ssl
from types import ModuleType
from typing import Any

import pytest
import trustme
from support.sockets import open_fds
from support.streams import Events, run_for, run_until

from fdevent import BEV_CONNECTED, BEV_EOF, BEV_ERROR, BEV_READING, BEV_TIMEOUT


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="session")
def server_ctx(ca: trustme.CA) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost", "127.0.0.1").configure_cert(ctx)
    return ctx


@pytest.fixture(scope="session")
def client_ctx(ca: trustme.CA) -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ca.configure_trust(ctx)
    return ctx


class TLSServer:
    """A Listener whose streams run TLS and echo; records each stream's events."""

    def __init__(self, core: ModuleType, base: Any, ctx: ssl.SSLContext, echo: bool = True):
        self.streams: list[Any] = []
        self.events: list[int] = []
        self.received = bytearray()

        def on_read(stream: Any, arg: Any) -> None:
            data = stream.input.read()
            self.received += data
            if echo:
                stream.write(data)

        def on_event(stream: Any, what: int, arg: Any) -> None:
            self.events.append(what)
            if what & (BEV_EOF | BEV_ERROR):
                stream.close()

        def on_accept(listener: Any, sock: Any, addr: Any, arg: Any) -> None:
            self.streams.append(
                core.Stream(
                    base, sock, on_read=on_read, on_event=on_event, ssl=ctx, server_side=True
                )
            )

        self.listener = core.Listener(base, on_accept, ("127.0.0.1", 0))
        self.address = self.listener.address


def test_tls_echo_both_sides_connected(
    core: ModuleType, base: Any, server_ctx: ssl.SSLContext, client_ctx: ssl.SSLContext
) -> None:
    srv = TLSServer(core, base, server_ctx)
    ev = Events()
    client = core.connect(base, srv.address, **ev.kwargs(), ssl=client_ctx, timeout=10)
    payload = bytes(range(256)) * 4096  # 1 MiB, written before the handshake is done
    client.write(payload)
    run_until(base, lambda: len(ev.data) == len(payload))
    assert bytes(ev.data) == payload
    assert ev.events == [BEV_CONNECTED]
    assert srv.events == [BEV_CONNECTED]
    assert client.ssl_object.version() in ("TLSv1.2", "TLSv1.3")
    assert client.ssl_object.getpeercert()["subjectAltName"]
    client.close()  # close_notify: the server sees the end of its input
    run_until(base, lambda: len(srv.events) == 2)
    assert srv.events[1] == BEV_EOF | BEV_READING
    srv.listener.close()


def test_tls_server_hostname(
    core: ModuleType, base: Any, server_ctx: ssl.SSLContext, client_ctx: ssl.SSLContext
) -> None:
    srv = TLSServer(core, base, server_ctx)
    ev = Events()
    good = core.connect(
        base, srv.address, **ev.kwargs(), ssl=client_ctx, server_hostname="localhost"
    )
    run_until(base, lambda: ev.events)
    assert ev.events == [BEV_CONNECTED]
    good.close()
    bad_ev = Events()
    bad = core.connect(
        base, srv.address, **bad_ev.kwargs(), ssl=client_ctx, server_hostname="example.org"
    )
    run_until(base, lambda: bad_ev.events)
    assert bad_ev.events == [BEV_ERROR | BEV_READING]
    assert isinstance(bad.error, ssl.SSLCertVerificationError)
    bad.close()
    srv.listener.close()


def test_untrusted_certificate_fails_the_handshake(
    core: ModuleType, base: Any, server_ctx: ssl.SSLContext
) -> None:
    before = open_fds()
    srv = TLSServer(core, base, server_ctx)
    ev = Events()
    client = core.connect(base, srv.address, **ev.kwargs(), ssl=ssl.create_default_context())
    run_until(base, lambda: ev.events and srv.events)
    run_for(base, 0.05)
    assert ev.events == [BEV_ERROR | BEV_READING]
    assert isinstance(client.error, ssl.SSLError)
    assert len(srv.events) == 1 and srv.events[0] & (BEV_ERROR | BEV_EOF)
    client.close()
    srv.listener.close()
    assert open_fds() == before


def test_garbage_is_one_error(core: ModuleType, base: Any, server_ctx: ssl.SSLContext) -> None:
    before = open_fds()
    srv = TLSServer(core, base, server_ctx)
    with socket.create_connection(srv.address) as raw:
        raw.sendall(b"GET / HTTP/1.0\r\n\r\n" + bytes(range(256)) * 8)
        run_until(base, lambda: srv.events)
        run_for(base, 0.05)
    assert srv.events == [BEV_ERROR | BEV_READING]
    assert isinstance(srv.streams[0].error, ssl.SSLError)
    srv.listener.close()
    assert open_fds() == before


def test_peer_gone_during_handshake(
    core: ModuleType, base: Any, server_ctx: ssl.SSLContext
) -> None:
    srv = TLSServer(core, base, server_ctx)
    with socket.create_connection(srv.address):
        run_until(base, lambda: srv.streams)
    run_until(base, lambda: srv.events)
    assert srv.events == [BEV_ERROR | BEV_READING]
    assert isinstance(srv.streams[0].error, ssl.SSLError)
    srv.listener.close()


def test_handshake_timeout(core: ModuleType, base: Any, client_ctx: ssl.SSLContext) -> None:
    with socket.create_server(("127.0.0.1", 0)) as mute:  # accepts, never answers
        ev = Events()
        client = core.connect(base, mute.getsockname(), **ev.kwargs(), ssl=client_ctx, timeout=0.3)
        run_until(base, lambda: ev.events)
        assert ev.events == [BEV_TIMEOUT | BEV_READING]
        client.close()


def test_tls_write_eof_half_closes(
    core: ModuleType, base: Any, server_ctx: ssl.SSLContext, client_ctx: ssl.SSLContext
) -> None:
    srv = TLSServer(core, base, server_ctx, echo=False)
    ev = Events()
    client = core.connect(base, srv.address, **ev.kwargs(), ssl=client_ctx)
    client.write(b"request")
    client.write_eof()
    run_until(base, lambda: len(srv.events) == 2)
    assert bytes(srv.received) == b"request"
    assert srv.events == [BEV_CONNECTED, BEV_EOF | BEV_READING]
    client.close()
    srv.listener.close()


def test_tls_stream_on_accepted_socket_client_side(
    core: ModuleType, base: Any, server_ctx: ssl.SSLContext, client_ctx: ssl.SSLContext
) -> None:
    # Stream(ssl=...) on an already-connected socket, client side: handshake at once.
    srv = TLSServer(core, base, server_ctx)
    sock = socket.create_connection(srv.address)
    ev = Events()
    s = core.Stream(base, sock, **ev.kwargs(), ssl=client_ctx, server_hostname="localhost")
    s.write(b"ping")
    run_until(base, lambda: ev.data)
    assert ev.events == [BEV_CONNECTED] and bytes(ev.data) == b"ping"
    s.close()
    srv.listener.close()


def test_tls_arguments(core: ModuleType, base: Any, client_ctx: ssl.SSLContext) -> None:
    a, b = socket.socketpair()
    with a, b:
        with pytest.raises(ValueError):
            core.Stream(base, a, ssl=client_ctx)  # check_hostname needs a server_hostname
        with pytest.raises(TypeError, match="server_hostname"):
            core.Stream(base, a, ssl=client_ctx, server_hostname=5)
        with pytest.raises(ValueError, match="client side"):
            core.Stream(base, a, ssl=client_ctx, server_side=True, server_hostname="x")
        assert a.getblocking()
    base.dispatch()


def test_a_server_context_without_server_side_says_so(
    core: ModuleType, base: Any, server_ctx: ssl.SSLContext
) -> None:
    a, b = socket.socketpair()
    with a, b:
        with pytest.raises(ValueError, match=r"server context .*pass server_side=True"):
            core.Stream(base, a, ssl=server_ctx)
        with pytest.raises(ValueError, match="server_side=True"):  # a checking client context
            core.Stream(base, a, ssl=ssl.create_default_context())
        client_only = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        with pytest.raises(ValueError, match="client context"):
            core.Stream(base, a, ssl=client_only, server_side=True)
        assert a.getblocking()  # refused before anything was made


def test_a_forgotten_server_side_on_an_accepted_socket_says_so(
    core: ModuleType, base: Any, server_ctx: ssl.SSLContext, client_ctx: ssl.SSLContext
) -> None:
    # A context that can be either side, used for an accepted socket without server_side:
    # the peer's ClientHello meets a client. The error says what to pass.
    either = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    either.check_hostname = False
    either.verify_mode = ssl.CERT_NONE
    ev = Events()
    accepted: list[Any] = []

    def on_accept(listener: Any, sock: Any, addr: Any, arg: Any) -> None:
        accepted.append(core.Stream(base, sock, **ev.kwargs(), ssl=either))

    listener = core.Listener(base, on_accept, ("127.0.0.1", 0))
    client_ev = Events()
    client = core.connect(base, listener.address, **client_ev.kwargs(), ssl=client_ctx)
    run_until(base, lambda: ev.events)
    assert ev.events == [BEV_ERROR | BEV_READING]
    error = accepted[0].error
    assert isinstance(error, ssl.SSLError) and "pass server_side=True" in str(error)
    accepted[0].close()
    client.close()
    listener.close()
