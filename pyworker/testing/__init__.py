"""``pyworker.testing``: workers loaded in this process for tests, no ports, no subprocess.

``async with pyworker.testing.dev(["worker_a", "worker_b"]) as dev:`` loads the workers as
``pyworker dev`` does (same config reading, bindings, storage and invocation frame), then
``await dev.fetch("worker_a", "/path")`` sends an HTTP request through the same ASGI app the
server runs (in memory, through httpx) and returns the ``httpx.Response``; ``dev.env("worker_a")``
is the worker's ``env`` for direct binding and storage calls. KV, D1 and R2 data go to a
temporary state directory removed on exit unless ``state=`` names one. Every worker is loaded in
this process, one of ``[dev] process = "own"`` too. The pytest fixture
``pyworker_dev`` (:mod:`pyworker.pytest_plugin`) wraps the same thing.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import sys
import tempfile
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

import httpx

from pyworker.config.model import WorkerConfig
from pyworker.config.workers import load_workers
from pyworker.errors import WorkerLoadError
from pyworker.events.scheduled import SCHEDULED, ScheduledController
from pyworker.options import DevOptions
from pyworker.printer import Printer
from pyworker.serving.server import DevServer
from pyworker.testing.events import QueueResult, deliver_batch, scheduled_time_ms
from pyworker.types import Route
from pyworker.worker import Worker

__all__ = ["DevSession", "ScheduledController", "dev"]

BASE_URL = "http://localhost:8787"  # what a worker sees as its URL when a test gives only a path


class DevSession:
    """The loaded workers of one :func:`dev` block; see the module docstring."""

    def __init__(self, server: DevServer) -> None:
        self.server = server
        self._clients: dict[str, httpx.AsyncClient] = {}

    def worker(self, name: str) -> Worker:
        """The running worker ``name``; an unknown name is an error listing the loaded ones."""
        worker = self.server.registry.get(name)
        if worker is None:
            loaded = ", ".join(w.name for w in self.server.workers) or "none"
            raise KeyError(f'No worker named "{name}" is loaded (loaded: {loaded}).')
        return worker

    def env(self, name: str) -> Any:
        """Worker ``name``'s ``env``: its vars, secrets and bindings, to call directly from the test."""
        return self.worker(name).env

    async def fetch(self, name: str, url: str = "/", *, method: str = "GET", **request: Any) -> httpx.Response:
        """An HTTP request to worker ``name`` (a path, or a full URL), as ``pyworker dev`` would serve it.

        ``request`` is passed to :meth:`httpx.AsyncClient.request`: ``headers``, ``content``,
        ``json``, ``data``, ``params``... Errors in the worker are responses (500, 503), as on the server.
        """
        client = self._clients.get(name)
        if client is None:
            self.worker(name)
            transport = httpx.ASGITransport(app=self.server.app(name))
            client = self._clients[name] = httpx.AsyncClient(transport=transport, base_url=BASE_URL)
        return await client.request(method, url, **request)

    async def call(self, name: str, method: str, *args: Any, entrypoint: str | None = None) -> Any:
        """RPC ``method`` on worker ``name``'s entrypoint, as an outside caller (no conversion of values)."""
        return await self.worker(name).call(entrypoint, method, args, {})

    async def scheduled(
        self,
        name: str,
        cron: str = "* * * * *",
        scheduled_time: float | datetime.datetime | None = None,
        entrypoint: str | None = None,
    ) -> ScheduledController:
        """Run worker ``name``'s ``scheduled`` handler once, as a Cron Trigger would; returns the controller."""
        controller = ScheduledController(cron, scheduled_time_ms(scheduled_time))
        route = SCHEDULED if entrypoint is None else Route("scheduled", "scheduled", entrypoint)
        await self.worker(name).invoke(route, (controller,), {})
        return controller

    async def queue(self, name: str, queue: str, messages: Sequence[Any], content_type: str = "v8") -> QueueResult:
        """Deliver one batch of ``messages`` (bodies) to worker ``name``'s ``queue(self, batch)`` handler, as the
        consumer of ``queue``; returns what the handler's calls settled (nothing is stored or retried)."""
        return await deliver_batch(self.worker(name), self.server.printer, queue, messages, content_type)

    async def settle(self) -> None:
        """Wait for the ``ctx.wait_until`` work of every worker's requests so far."""
        for worker in self.server.workers:
            await worker.settle()

    async def aclose(self) -> None:
        """Stop Workflow engines, wait for ``ctx.wait_until`` work, then unload the workers and close their storage."""
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()
        await self.server.host.workflows.stop()  # running Workflow instances stop, to resume next time
        for worker in self.server.workers:
            await worker.stop()
        self.server.storage.close()

    def close_now(self) -> None:
        """Unload the workers and close their storage at once, without an event loop (a fixture's teardown)."""
        for worker in self.server.workers:
            if worker.code is not None:
                worker.code.unload()
        self.server.storage.close()


def start(
    paths: Sequence[str | Path] | str | Path = (".",),
    *,
    state: str | Path,
    env: str | None = None,
    vars: Mapping[str, str] | None = None,
    output: TextIO | None = None,
    log_level: str = "info",
) -> DevSession:
    """Load the workers (imports run now, in this thread); a worker that fails to import is an error."""
    if isinstance(paths, str | Path):
        paths = [paths]  # one worker given alone, not a sequence of characters
    options = DevOptions(
        paths=[Path(p) for p in paths], env=env, vars=dict(vars or {}), reload=False, persist_to=Path(state),
        log_level=log_level,
    )  # fmt: skip
    printer = Printer(output if output is not None else sys.stderr, level=log_level, colour=False)
    server = DevServer(options, printer, [in_process(config) for config in load_workers(options)])
    server.load()
    session = DevSession(server)
    failed = [w.error for w in server.workers if w.error is not None]
    if failed:
        session.close_now()
        raise WorkerLoadError(" ".join(failed))
    return session


def in_process(config: WorkerConfig) -> WorkerConfig:
    """``config`` run in this process, whatever its ``[dev] process``: tests load every worker here."""
    if config.dev.process is None and config.dev.python is None:
        return config
    return dataclasses.replace(config, dev=dataclasses.replace(config.dev, process=None, python=None))


@contextlib.asynccontextmanager
async def dev(
    paths: Sequence[str | Path] | str | Path = (".",),
    *,
    state: str | Path | None = None,
    env: str | None = None,
    vars: Mapping[str, str] | None = None,
    output: TextIO | None = None,
    log_level: str = "info",
) -> AsyncIterator[DevSession]:
    """The workers in ``paths`` (directories or config files), loaded in-process; see the module docstring.

    ``state`` keeps KV, D1 and R2 data in ``state/v3`` (as ``--persist-to``); by default a
    temporary directory, removed on exit. ``env`` is ``-e``, ``vars`` is ``--var``, and the
    workers' output goes to ``output`` (default: stderr, where pytest captures it).
    """
    with contextlib.ExitStack() as stack:
        if state is None:
            state = stack.enter_context(tempfile.TemporaryDirectory(prefix="pyworker-state-"))
        session = start(paths, state=state, env=env, vars=vars, output=output, log_level=log_level)
        try:
            yield session
        finally:
            await session.aclose()
