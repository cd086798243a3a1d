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
