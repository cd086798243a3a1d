"""The dev server's side of workers in a process of their own (:mod:`pyworker.interop.children`).

In a parent: which workers it serves itself, which sockets it hands to its children, and
how it answers a child's URL while that child is not running. In a child (``--child``):
the socket it inherited instead of binding one, and the parent's control on stdin.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import socket
from collections.abc import Awaitable, Callable, Generator, Sequence
from pathlib import Path

from pyworker.bindings.env import describe_bindings
from pyworker.bindings.provider import BindingHost
from pyworker.config.model import WorkerConfig
from pyworker.interop.children import Child, Children
from pyworker.interop.own import own_process_workers
from pyworker.interop.registry import DevRegistry
from pyworker.options import ChildSpec, DevOptions
from pyworker.printer import Printer
from pyworker.serving.dispatch import PortDispatch
from pyworker.serving.listeners import Listener, bind_workers
from pyworker.serving.uvicorn_server import UvicornServer
from pyworker.types import ASGIApp, Directory, Target


def inherited_listeners(spec: ChildSpec) -> list[Listener]:
    """The listening socket the parent handed down, as this worker's listener (none if it is internal)."""
    if spec.socket is None:
        return []
    sock = socket.socket(fileno=spec.socket)
    sock.setblocking(False)
    ip, port = sock.getsockname()[:2]
    return [Listener(spec.worker, ip, sock, port)]


class Processes:
    """Built by :class:`~pyworker.serving.server.DevServer` from every worker's config."""

    def __init__(
        self,
        configs: Sequence[WorkerConfig],
        options: DevOptions,
        printer: Printer,
        persist_to: Path,
        local: Directory,
        registry: DevRegistry | None = None,
    ) -> None:
        self.options = options
        self.printer = printer
        self.children = Children(own_process_workers(configs, options), options, printer, persist_to)
        self.workers = local  # this process's own workers
        self._registry = registry is not None
        if registry is not None:  # a child that serves is registered: read its entry now, for the table
            self.children.on_ready.append(registry.refresh)
        self._server: UvicornServer | None = None
        self._dispatch: PortDispatch | None = None
        self._serving: dict[str, socket.socket] = {}  # worker -> the copy of its socket this process serves

    def configs(self) -> list[WorkerConfig]:
        """The configs of the workers in a process of their own."""
        return [child.config for child in self.children]

    def local(self, configs: Sequence[WorkerConfig]) -> list[WorkerConfig]:
        """The workers this process runs itself."""
        return [config for config in configs if config.name not in self.children]

    def bind(self, configs: Sequence[WorkerConfig]) -> list[Listener]:
        """A socket for each exposed worker, its children's included; in a child, the one it inherited."""
        if self.options.child is not None:
            return inherited_listeners(self.options.child)
        return bind_workers(configs, self.options)

    def served(self, listeners: Sequence[Listener]) -> list[Listener]:
        """The listeners this process accepts on (its children accept on theirs)."""
        return [listener for listener in listeners if listener.worker not in self.children]

    async def start(self, listeners: Sequence[Listener], server: UvicornServer, dispatch: PortDispatch) -> None:
        """Start the children, each on its worker's socket."""
        self._server, self._dispatch = server, dispatch
        sockets = {listener.worker: listener.sock for listener in listeners if listener.worker in self.children}
        await self.children.start(sockets, self)

    async def serve(self, worker: str, sock: socket.socket, app: ASGIApp) -> None:
        """Accept on ``worker``'s socket here, answering with ``app`` (its process is not running)."""
        assert self._server is not None and self._dispatch is not None
        await self._server.listening.wait()
        self._dispatch.add(int(sock.getsockname()[1]), app)
        self._serving[worker] = copy = sock.dup()  # the server closes what it stops serving: a copy
        await self._server.listen(copy)

    def unserve(self, worker: str) -> None:
        """Stop accepting on ``worker``'s socket here: its process takes it back."""
        copy = self._serving.pop(worker, None)
        if copy is not None and self._server is not None:
            self._server.unlisten(copy)

    def serving(self) -> None:
        """In a child: tell the parent it serves (the parent shows the table)."""
        if self.options.child is not None:
            from pyworker.interop.child_side import announce_ready  # here: only a child imports its side

            announce_ready(self.printer)

    def rows(self, url_of: Callable[[str], str | None], host: BindingHost) -> list[tuple[str, str, str, list[str]]]:
        """Each child's name, URL, state and bindings, for the start-up table and the ``l`` key; its
        bindings as it sees them, from its own process."""
        seen = dataclasses.replace(host, directory=SeenFromChild(host.directory, self.workers, self._registry))
        return [
            (child.name, url_of(child.name) or "internal", status(child), describe_bindings(child.config, seen))
            for child in self.children
        ]

    @contextlib.contextmanager
    def controlled(
        self, stop: Callable[[], None], reload: Callable[[], Awaitable[None]]
    ) -> Generator[None, None, None]:
        """In a child, while serving: the parent's commands on stdin."""
        if self.options.child is None:
            yield
            return
        from pyworker.interop.child_side import parent_control

        with parent_control(stop, reload):
            yield


def status(child: Child) -> str:
    """``own process, pid 1234``, ``own process, starting``, ``not running: process exited with code 1``."""
    if child.down is not None:
        return f"not running: {child.down}"
    return f"own process, pid {child.pid}" if child.ready.is_set() else "own process, starting"


class SeenFromChild:
    """The directory a child's bindings see: this process's workers are another process's (this one's,
    reached through the registry, so not at all when it is off)."""

    def __init__(self, directory: Directory, local: Directory, registry: bool) -> None:
        self.directory = directory
        self.local = local
        self.registry = registry

    def get(self, name: str) -> Target | None:
        return self.directory.get(name)

    def status(self, name: str) -> str:
        if self.local.get(name) is None:
            return self.directory.status(name)
        return f"connected, pid {os.getpid()}" if self.registry else "not running"
