"""The dev registry as the dev server uses it: its directory of workers, its entries, its watch.

With ``DevOptions.registry`` set (the CLI's default), bindings look names up in a
:class:`~pyworker.interop.peers.Peers`, and every worker of this process is registered once
the server is ready, again after a reload that changes its entrypoints or Durable Object
classes, and unregistered when the server stops. How other processes are reached is plugged
in through :class:`Interop` (the transport's target and endpoint, wrangler's target and debug
port), so this module holds only the registry's side.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

from pyworker.bindings.durable_objects.config import object_bindings
from pyworker.bindings.workflows.provider import declarations
from pyworker.errors import ConfigError, RegistryError
from pyworker.interop.entries import Entry, render
from pyworker.interop.peers import Binding, Peers
from pyworker.interop.registry import DevRegistry
from pyworker.interop.secret import registry_secret
from pyworker.interop.wrangler.plug import wrangler_parts
from pyworker.loading.code import DEFAULT_ENTRYPOINT
from pyworker.options import DevOptions
from pyworker.printer import Printer, escape
from pyworker.registry import WorkerRegistry
from pyworker.types import Directory, Target
from pyworker.worker import Worker

# Serves this process's workers to other processes (given the directory and the registry's secret)
# and yields the address ("127.0.0.1:PORT") that goes into the entries.
Starter = Callable[[Directory, bytes], AbstractAsyncContextManager[str]]


@dataclass(frozen=True)
class Interop:
    """How other processes are reached: each part is plugged in by the slice that builds it."""

    remote: Callable[[Entry, bytes], Target] | None = None  # a pyworker entry's target, given the secret
    wrangler: Callable[[Entry], Target | None] | None = None  # a wrangler dev entry's target
    endpoint: Starter | None = None  # pyworker's endpoint: the entries' "pyworker.address"
    debug_port: Starter | None = None  # a workerd debug port: the entries' "debugPortAddress"


def default_interop(printer: Printer) -> Interop:
    """What ``pyworker dev`` plugs in; each part imports its modules when it is first used, not at start-up."""
    remote: list[Callable[[Entry, bytes], Target]] = []  # built on the first entry of another pyworker

    def remote_target(entry: Entry, secret: bytes) -> Target:
        if not remote:
            from pyworker.interop.remote import remote_targets

            remote.append(remote_targets(printer))
        return remote[0](entry, secret)

    @contextlib.asynccontextmanager
    async def endpoint(local: Directory, secret: bytes) -> AsyncIterator[str]:
        from pyworker.interop.endpoint import serving

        async with serving(printer)(local, secret) as address:
            yield address

    wrangler, debug_port = wrangler_parts(printer)
    return Interop(remote=remote_target, endpoint=endpoint, wrangler=wrangler, debug_port=debug_port)


class Peering:
    """The registry side of one dev server (nothing at all when the registry is off).

    :attr:`interop` is read when it is used, so a test may plug its own in before serving.
    """

    def __init__(
        self, options: DevOptions, printer: Printer, local: WorkerRegistry[Worker], interop: Interop | None = None
    ) -> None:
        self.local = local
        self.printer = printer
        self.interop = interop if interop is not None else default_interop(printer)
        self.registry: DevRegistry | None = None
        self.peers: Peers | None = None
        self.secret = b""
        self.address: str | None = None
        self.debug_port: str | None = None
        if options.registry is None:
            return
        try:
            self.secret = registry_secret(options.registry)
        except RegistryError as exc:
            printer.write(escape(f"{exc} The dev registry is off for this run."), "warn")
            return
        self.registry = DevRegistry(options.registry, printer)
        self.peers = Peers(
            local, self.registry, self._remote, self._wrangler, printer, lambda: list(bindings_elsewhere(self.local))
        )

    def _remote(self, entry: Entry) -> Target | None:
        remote = self.interop.remote
        return remote(entry, self.secret) if remote is not None else None

    def _wrangler(self, entry: Entry) -> Target | None:
        return self.interop.wrangler(entry) if self.interop.wrangler is not None else None

    @property
    def directory(self) -> Directory:
        return self.peers if self.peers is not None else self.local

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """While serving: this process's endpoints up, the registry watched; its entries removed after."""
        if self.registry is None:
            yield
            return
        registry, stop = self.registry, asyncio.Event()
        async with contextlib.AsyncExitStack() as stack:
            if self.interop.endpoint is not None:
                self.address = await stack.enter_async_context(self.interop.endpoint(self.local, self.secret))
            if self.interop.debug_port is not None:
                self.debug_port = await stack.enter_async_context(self.interop.debug_port(self.local, self.secret))
            registry.reserved.update(worker.name for worker in self.local)  # their files are about to be ours
            registry.refresh()  # the start-up table shows who runs elsewhere already
            task = asyncio.ensure_future(registry.watch(stop))
            task.add_done_callback(self._watch_done)
            try:
                yield
            finally:
                registry.close()
                stop.set()
                task.cancel()

    def sync(self, *_: object) -> None:
        """Register every worker of this process as it is now; a worker no longer here is unregistered."""
        if self.registry is None or self.peers is None:
            return
        self.peers.telling = True
        names = set()
        for worker in self.local:
            names.add(worker.name)
            code = worker.code
            entrypoints = sorted(name for name in code.entrypoints if name != DEFAULT_ENTRYPOINT) if code else []
            objects = sorted(code.objects) if code else []
            text = render(worker.name, self.registry.pid, entrypoints, objects, self.address, self.debug_port)
            self.registry.register(worker.name, text)
        for name in self.registry.registered():
            if name not in names:
                self.registry.unregister(name)

    def _watch_done(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and (exc := task.exception()) is not None:
            where = self.registry.path if self.registry is not None else ""
            message = (
                f"registry: watching {where} stopped ({type(exc).__name__}: {exc}); restart pyworker dev to resume."
            )
            self.printer.write(escape(message), "error")


def bindings_elsewhere(workers: WorkerRegistry[Worker]) -> Iterator[Binding]:
    """``(caller, binding, worker)`` for each binding that names a worker, to print its (dis)connection."""
    for worker in workers:
        config = worker.config
        for service in config.services:
            yield config.name, service.binding, service.service
        with contextlib.suppress(ConfigError):  # reported when the worker's env was built
            for durable in object_bindings(config):
                if not durable.local:
                    yield config.name, durable.binding, durable.script
            for binding, _name, _class, script in declarations(config):
                if script != config.name:
                    yield config.name, binding, script
