"""Sockets for the exposed workers: the first gets ``--port``, the rest their own or the next free one."""

from __future__ import annotations

import errno
import socket
from dataclasses import dataclass

from pyworker.errors import ServeError

DEFAULT_PORT = 8787
DEFAULT_IP = "127.0.0.1"


@dataclass
class Listener:
    """A bound, listening socket that serves one worker."""

    worker: str
    ip: str
    sock: socket.socket
    port: int  # kept: the socket cannot tell it once closed

    @property
    def url(self) -> str:
        host = f"[{self.ip}]" if ":" in self.ip else self.ip
        return f"http://{host}:{self.port}"


def bind(worker: str, ip: str, port: int) -> Listener:
    """Bind ``ip:port`` for ``worker``; a port in use is a :class:`ServeError` naming both."""
    family = socket.AF_INET6 if ":" in ip else socket.AF_INET
    # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets whose
    # proto says TCP, and without it Nagle + delayed ACK add ~40 ms to every response.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((ip, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise ServeError(
                f"Port {port} on {ip} is already in use (wanted by worker {worker}). "
                "Stop whatever is using it, or pick another with --port or [dev] port."
            ) from exc
        raise ServeError(f"Cannot listen on {ip}:{port} for worker {worker}: {exc.strerror}.") from exc
    sock.setblocking(False)
    return Listener(worker, ip, sock, int(sock.getsockname()[1]))


def bind_next_free(worker: str, ip: str, start: int, taken: set[int]) -> Listener:
    """Bind the first free port from ``start`` upward (or any free port when ``start`` is 0)."""
    if start == 0:
        return bind(worker, ip, 0)
    for port in range(start, 65536):
        if port in taken:
            continue
        try:
            return bind(worker, ip, port)
        except ServeError:
            continue
    raise ServeError(f"No free port above {start} on {ip} for worker {worker}.")
