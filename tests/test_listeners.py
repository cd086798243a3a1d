from __future__ import annotations

import socket

import pytest

from pyworker.errors import ServeError
from pyworker.serving.listeners import bind, bind_next_free


def test_sockets_are_tcp_so_asyncio_disables_nagle():
    # Without proto=IPPROTO_TCP asyncio skips TCP_NODELAY and every response waits ~40 ms.
    listener = bind("a", "127.0.0.1", 0)
    try:
        assert listener.sock.proto == socket.IPPROTO_TCP
        assert listener.url == f"http://127.0.0.1:{listener.port}"
    finally:
        listener.sock.close()


def test_port_in_use_names_port_and_worker():
    taken = bind("first", "127.0.0.1", 0)
    try:
        with pytest.raises(ServeError) as info:
            bind("second", "127.0.0.1", taken.port)
        assert str(info.value) == (
            f"Port {taken.port} on 127.0.0.1 is already in use (wanted by worker second). "
            "Stop whatever is using it, or pick another with --port or [dev] port."
        )
    finally:
        taken.sock.close()


def test_next_free_skips_taken_and_busy_ports():
    busy = bind("busy", "127.0.0.1", 0)
    try:
        start = busy.port
        listener = bind_next_free("w", "127.0.0.1", start, taken={start + 1})
        try:
            assert listener.port >= start + 2
        finally:
            listener.sock.close()
    finally:
        busy.sock.close()


def test_ipv6_urls_are_bracketed():
    try:
        listener = bind("v6", "::1", 0)
    except ServeError:
        pytest.skip("no IPv6 loopback here")
    try:
        assert listener.url == f"http://[::1]:{listener.port}"
    finally:
        listener.sock.close()


def test_a_busy_default_port_moves_the_first_worker_to_the_next_free_one(monkeypatch, write_worker):
    from pyworker.config import load_config
    from pyworker.options import DevOptions
    from pyworker.serving import listeners

    busy = bind("other", "127.0.0.1", 0)
    monkeypatch.setattr(listeners, "DEFAULT_PORT", busy.port)
    config = load_config(write_worker("w", {"src/entry.py": "x = 1\n"}))
    try:
        moved = listeners.bind_workers([config], DevOptions())
        try:
            assert moved[0].port > busy.port
            assert moved[0].instead_of == busy.port
        finally:
            moved[0].sock.close()
        with pytest.raises(ServeError, match=f"^Port {busy.port} on 127.0.0.1 is already in use"):
            listeners.bind_workers([config], DevOptions(port=busy.port))  # asked for: stays an error
    finally:
        busy.sock.close()


def test_the_server_says_which_port_it_took_instead(monkeypatch, write_worker, output):
    from pyworker.config import load_config
    from pyworker.options import DevOptions
    from pyworker.printer import Printer
    from pyworker.serving import listeners
    from pyworker.serving.server import DevServer

    busy = bind("other", "127.0.0.1", 0)
    monkeypatch.setattr(listeners, "DEFAULT_PORT", busy.port)
    config = load_config(write_worker("w", {"src/entry.py": "x = 1\n"}))
    server = DevServer(DevOptions(), Printer(output, colour=False), [config])
    try:
        server.bind()
        port = server.listeners[0].port
        assert output.lines() == [f"Warning: Port {busy.port} is in use: worker w listens on {port} instead."]
    finally:
        server.close_sockets()
        server.storage.close()
        busy.sock.close()
