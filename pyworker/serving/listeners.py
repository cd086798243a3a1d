"""Port policy: which socket each exposed worker gets, at start-up and when a config edit moves it."""

from __future__ import annotations

import errno
import socket
from collections.abc import Sequence
from dataclasses import dataclass

from pyworker.config.model import WorkerConfig
from pyworker.errors import ServeError
from pyworker.options import DevOptions
from pyworker.serving.port_holder import holder_note

DEFAULT_PORT = 8787
DEFAULT_IP = "127.0.0.1"


@dataclass
class Listener:
    """A bound, listening socket that serves one worker."""

    worker: str
    ip: str
    sock: socket.socket
    port: int  # kept: the socket cannot tell it once closed
    instead_of: int | None = None  # the default port, when it was busy and this one was taken instead

    @property
    def url(self) -> str:
        host = f"[{self.ip}]" if ":" in self.ip else self.ip
        return f"http://{host}:{self.port}"


def bind(worker: str, ip: str, port: int, look: bool = True) -> Listener:
    """Bind ``ip:port`` for ``worker``; a port in use is a :class:`PortInUse` naming both (and, with
    ``look``, the process holding it)."""
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
            held = holder_note(port) if look else ""
            raise PortInUse(
                f"Port {port} on {ip} is already in use (wanted by worker {worker}).{held} "
                "Stop whatever is using it, or pick another with --port or [dev] port."
            ) from exc
        raise ServeError(f"Cannot listen on {ip}:{port} for worker {worker}: {exc.strerror}.") from exc
    sock.setblocking(False)
    return Listener(worker, ip, sock, int(sock.getsockname()[1]))


class PortInUse(ServeError):
    """The port wanted is taken."""


def bind_next_free(worker: str, ip: str, start: int, taken: set[int]) -> Listener:
    """Bind the first free port from ``start`` upward (or any free port when ``start`` is 0)."""
    if start == 0:
        return bind(worker, ip, 0)
    for port in range(start, 65536):
        if port in taken:
            continue
        try:
            return bind(worker, ip, port, look=False)
        except ServeError:
            continue
    raise ServeError(f"No free port above {start} on {ip} for worker {worker}.")


def ip_for(config: WorkerConfig, options: DevOptions) -> str:
    return options.ip or config.dev.ip or DEFAULT_IP


def bind_workers(configs: Sequence[WorkerConfig], options: DevOptions) -> list[Listener]:
    """A socket for each exposed worker, in order; internal workers get none.

    The first exposed worker gets ``--port`` (else its ``[dev] port``, else 8787); the rest
    get their ``[dev] port``, else the next free port (any free port with ``--port 0``).
    """
    listeners: list[Listener] = []
    try:
        for config in configs:
            if config.internal:
                continue
            if not listeners:
                listeners.append(bind_first(config, options))
            else:
                listeners.append(bind_other(config, options, {listener.port for listener in listeners}))
    except BaseException:
        for listener in listeners:
            listener.sock.close()
        raise
    return listeners


def bind_first(config: WorkerConfig, options: DevOptions) -> Listener:
    """The first exposed worker: ``--port``, else its ``[dev] port``, else 8787 or, as wrangler does when
    8787 is busy, the next free port (``instead_of`` says so); an explicit port that is busy is an error."""
    ip = ip_for(config, options)
    explicit = options.port if options.port is not None else config.dev.port
    if explicit is not None:
        return bind(config.name, ip, explicit)
    try:
        return bind(config.name, ip, DEFAULT_PORT, look=False)
    except PortInUse:
        listener = bind_next_free(config.name, ip, DEFAULT_PORT + 1, set())
        listener.instead_of = DEFAULT_PORT
        return listener


def bind_other(config: WorkerConfig, options: DevOptions, taken: set[int]) -> Listener:
    """Any exposed worker but the first: its ``[dev] port``, else the next free port."""
    ip = ip_for(config, options)
    if config.dev.port is not None:
        return bind(config.name, ip, config.dev.port)
    start = 0 if options.port == 0 else max(taken, default=options.port or DEFAULT_PORT) + 1
    return bind_next_free(config.name, ip, start, taken)


def moves(old: WorkerConfig, new: WorkerConfig, current: Listener | None) -> bool:
    """Whether a config edit moves the worker: only a change to ``[dev] port`` or to being internal does,
    so a port chosen at start-up (``--port``, the next free one) stays while the config leaves those alone."""
    if (old.internal, old.dev.port) == (new.internal, new.dev.port):
        return False
    if current is None:
        return not new.internal
    return new.internal or new.dev.port not in (None, current.port)
