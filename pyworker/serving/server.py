"""The dev server: every worker in one process and one event loop, served by one uvicorn server."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from pyworker.bindings.engines import Engines
from pyworker.bindings.env import build_env
from pyworker.bindings.provider import BindingHost
from pyworker.config import WorkerConfig, load_workers
from pyworker.config.files import project_directory
from pyworker.errors import WorkerLoadError
from pyworker.events.crons import firing_crons
from pyworker.loading.dependencies import unmet_dependencies
from pyworker.loading.python_version import python_warnings
from pyworker.loading.shared import shared_state_conflicts
from pyworker.options import DevOptions
from pyworker.printer import Printer
from pyworker.queues.broker import QueueBroker
from pyworker.queues.config import Consumer, consumer_map
from pyworker.registry import WorkerRegistry
from pyworker.runtime.tasks import containing_tasks
from pyworker.serving.adapter import WorkerApp
from pyworker.serving.banner import announce
from pyworker.serving.dispatch import PortDispatch
from pyworker.serving.front import Front
from pyworker.serving.listeners import Listener
from pyworker.serving.live_reload import LiveReload
from pyworker.serving.loopguard import guarding_loop
from pyworker.serving.peers import Peering
from pyworker.serving.processes import Processes
from pyworker.serving.rewire import rewire
from pyworker.serving.shutdown import ExitDeadline, finish_background_work
from pyworker.serving.signals import refusing_worker_signals, shutdown_signals
from pyworker.serving.stack import event_loop, http_parser, loop_factory
from pyworker.serving.startup import StartupLoads
from pyworker.serving.uvicorn_server import UvicornServer, uvicorn_config, uvicorn_logs_to
from pyworker.serving.watchdog import LoopWatchdog
from pyworker.serving.watching import watching
from pyworker.session.run import dev_session
from pyworker.storage.host import Storage
from pyworker.storage.state import StateDir
from pyworker.worker import Worker, WorkerState

if TYPE_CHECKING:
    from pyworker.reload.reloader import Reloaded, Reloader

# Seconds the Ready line waits for a worker's first import; one still importing after that is listed as loading.
STILL_LOADING_AFTER = 1.0
CHILD_STARTS_WITHIN = 5.0  # the same for a worker in a process of its own: an interpreter to start first


class DevServer:
    """Runs a set of workers: loads them, binds their ports, serves them until stopped.

    Built from one :class:`DevOptions`; ``configs`` defaults to the workers its paths name.
    Local storage (KV, D1, R2) lives in one state directory for all of them: ``--persist-to``,
    else the first worker's ``.wrangler/state``, as with ``wrangler dev -c a -c b``.
    """

    def __init__(self, options: DevOptions, printer: Printer, configs: Sequence[WorkerConfig] | None = None) -> None:
        self.options = options
        self.printer = printer
        self.registry: WorkerRegistry[Worker] = WorkerRegistry()
        given = options.paths if configs is None else ()  # configs handed in: their own directories decide
        configs = list(load_workers(options) if configs is None else configs)
        project = project_directory(given, [config.directory for config in configs])
        self.storage = Storage(StateDir.for_project(project, options.persist_to), notice=printer.warning)
        self.queues = QueueBroker(self.storage, self.registry, printer, self._consumers)
        self.peers = Peering(options, printer, self.registry)  # the dev registry shared with wrangler
        engines = Engines(options.workflow_sleep_scale)
        self.host = BindingHost(self.peers.directory, printer, self.storage, workflows=engines, queues=self.queues)
        consumer_map(configs, strict=True)
        self.configs, state = configs, self.storage.state.root.parent
        self.processes = Processes(configs, options, printer, state, self.registry, self.peers.registry)
        for config in self.processes.local(configs):  # the others run in a process of their own
            self.registry.add(Worker(config, build_env(config, self.host), printer))
        printer.known([config.name for config in configs])
        self.listeners: list[Listener] = []
        self.ready = threading.Event()  # set once every worker listens (tests wait on it)
        self.dispatch = PortDispatch()
        self.live = LiveReload() if options.live_reload else None
        self._uvicorn: UvicornServer | None = None
        self._loads: StartupLoads | None = None
        self.announced: list[Callable[[], None]] = [self.peers.sync]  # once every worker listens (+ the hotkey bar)
        self.reloaded: list[Callable[[str], None]] = [self.peers.sync, *([self.live.reloaded] if self.live else [])]
        self._forced = asyncio.Event()  # a second Ctrl-C: stop waiting for anything

    @property
    def workers(self) -> list[Worker]:
        return list(self.registry)

    def worker(self, name: str) -> Worker:
        worker = self.registry.get(name)
        if worker is None:
            raise KeyError(name)
        return worker

    def _consumers(self) -> dict[str, tuple[str, Consumer]]:
        """Each consumed queue and its consumer (checked at start-up; after a reload the last one wins)."""
        return consumer_map([worker.config for worker in self.workers])

    def app(self, name: str) -> WorkerApp:
        """The ASGI app serving worker ``name`` (used by the server and by in-process tests)."""
        worker = self.worker(name)
        return WorkerApp(
            worker, self.printer, self.options, Front(worker, self.printer, lambda: worker.assets), self.live
        )

    # -- start-up -------------------------------------------------------------------
    def load(self) -> None:
        """Print config and dependency warnings and import every worker; a broken one is reported, not fatal.

        Then one warning per process-wide singleton two workers configure differently (Django's settings).
        """
        self._warn_before_loading(self.workers)
        for worker in self.workers:
            try:
                worker.load()
            except WorkerLoadError as exc:
                self.printer.worker(worker.name, str(exc), "error")
        self.shared_state_warnings()

    def start_loading(self) -> None:
        """Import every worker not loaded yet, each in a thread; :meth:`serve` says Ready once they settle."""
        loading = [w for w in self.workers if w.state is WorkerState.LOADING]
        self._warn_before_loading(loading)
        self._loads = StartupLoads(loading, self.printer)

    def _warn_before_loading(self, workers: Sequence[Worker]) -> None:
        """Each worker's config warnings and unmet ``pyproject.toml`` dependencies, before its import."""
        for worker in workers:
            for warning in worker.config.warnings:
                self.printer.warning(warning)
            for unmet in unmet_dependencies(worker.config):
                self.printer.warning(unmet.line())

    def shared_state_warnings(self) -> None:
        """One warning per process-wide singleton two loaded workers configure differently (Django's settings)."""
        loaded = [worker.code.modules for worker in self.workers if worker.code is not None]
        for line in shared_state_conflicts(loaded, {worker.name: worker.config.config_path for worker in self.workers}):
            self.printer.warning(line)

    def bind(self) -> None:
        """Bind a socket for each exposed worker; internal workers get none."""
        self.listeners = self.processes.bind(self.configs)
        for listener in self.listeners:
            if listener.instead_of is not None:
                busy, name = listener.instead_of, listener.worker
                self.printer.warning(f"Port {busy} is in use: worker {name} listens on {listener.port} instead.")

    def close_sockets(self) -> None:
        for listener in self.listeners:
            listener.sock.close()

    def announce(self, loading: Sequence[str] = ()) -> None:
        """The start-up table, then ``Ready on ...`` once every worker listens, naming those still ``loading``."""
        if self.options.child is None:  # a child's parent shows its table
            own = self.processes.rows(self.url_of, self.host)
            announce(self.printer, self.workers, self.listeners, self.host, loading, own)
        for then in self.announced:
            then()
        self.ready.set()
        self.processes.serving()  # a child tells its parent, once its worker is in the registry

    def urls(self) -> list[str]:
        return [listener.url for listener in self.listeners]

    def url_of(self, worker: str) -> str | None:
        return next((listener.url for listener in self.listeners if listener.worker == worker), None)

    async def reload_all(self) -> None:
        """Re-read every worker's config and re-import its code (the ``r`` key)."""
        reloader = self._reloader()
        self.processes.children.reload()
        for worker in self.workers:
            change = await reloader.reload(worker, {worker.config.config_path})
            for then in self.reloaded:
                then(change.worker)
            if change.config_changed:
                await self._rewire(change)

    # -- serving --------------------------------------------------------------------
    async def serve(self) -> None:
        """Serve until :meth:`stop`; then finish in-flight requests and ``wait_until`` work."""
        served = self.processes.served(self.listeners)  # a child accepts on its own worker's socket
        for listener in served:
            self.dispatch.add(listener.port, self.app(listener.worker))
        config = uvicorn_config(self.dispatch, self.options.limits, http_parser(self.options.http))
        self._uvicorn = server = UvicornServer(config)
        await self.processes.start(self.listeners, server, self.dispatch)
        watchdog = LoopWatchdog(self.printer, self.options.blocked_loop_warning, self.options.request_timeout)
        signals = shutdown_signals(self.stop, watchdog)
        with uvicorn_logs_to(self.printer), containing_tasks(), guarding_loop(self.printer), watchdog, signals:
            # All registered before "Ready on", so edits and registry entries right after it are seen.
            crons = firing_crons(self.options.crons, lambda: [(w, w.crons) for w in self.workers], self.printer)
            async with self._watching(), crons, self.peers.running():
                serving = asyncio.ensure_future(server.serve(sockets=[listener.sock for listener in served]))
                listening = asyncio.ensure_future(server.listening.wait())
                await asyncio.wait([serving, listening], return_when=asyncio.FIRST_COMPLETED)
                listening.cancel()
                if server.listening.is_set():
                    loading = await self._loads.settle(STILL_LOADING_AFTER) if self._loads else []
                    loading += await self.processes.children.settle(CHILD_STARTS_WITHIN)
                    if self._loads is not None:
                        self.shared_state_warnings()
                    self.announce(loading)
                    self.host.workflows.start()  # unfinished Workflow instances resume
                    self.queues.start()
                    self.host.start_objects()  # Durable Object alarms stored before this start
                await serving
                await self.queues.stop()
                await self.processes.children.stopped()
            await self.host.stop_objects()
            if self._loads is not None:
                self._loads.cancel()
            await self.host.workflows.stop()  # runs stop here and resume from their last step next time
            await finish_background_work(self.workers, self.printer, self._forced)
        for worker in self.workers:
            await worker.stop(timeout=1.0)  # what was cancelled may take a moment to unwind
        self.storage.close()  # after wait_until work, which may still write

    def _watching(self) -> contextlib.AbstractAsyncContextManager[None]:
        """Watch the workers' files and reload them while serving (unless ``--no-reload``)."""
        if not self.options.reload:
            return contextlib.nullcontext()
        # Children's configs too: their files are theirs (their watcher reloads them), not an enclosing worker's.
        configs = lambda: [worker.config for worker in self.workers] + self.processes.configs()  # noqa: E731
        return watching(configs, self._reloader, self._reloaded, self.printer)

    def _reloader(self) -> Reloader:
        from pyworker.reload.reloader import Reloader  # with watchfiles: not needed before the first response

        return Reloader(self.registry, self.printer, self.options, self.host)

    async def _reloaded(self, change: Reloaded, refresh: Callable[[], object]) -> None:
        for then in self.reloaded:
            then(change.worker)
        if change.config_changed:
            await self._rewire(change)
            refresh()
            self.queues.start()

    async def _rewire(self, change: Reloaded) -> None:
        """After a config reload: move the worker to a new port, or take its port away, if its config says so."""
        if self._uvicorn is not None:
            await rewire(change, self._uvicorn, self.listeners, self.dispatch, self.options, self.printer, self.app)

    def stop(self) -> None:
        """Ask the server to shut down; a second call forces it."""
        if self._uvicorn is None:
            return
        if self.live is not None:
            self.live.close()  # pages' event streams end, so that none holds the shutdown up
        self.processes.children.stop(force=self._uvicorn.should_exit)
        if self._uvicorn.should_exit:
            self._uvicorn.force_exit = True
            self._forced.set()
        else:
            if self.options.child is None:  # the parent says it
                self.printer.write("Shutting down...")
            self._uvicorn.should_exit = True


def run(options: DevOptions, printer: Printer) -> None:
    """Load, bind and serve; returns after a clean shutdown. Raises :class:`PyworkerError` on bad input."""
    factory = loop_factory(event_loop(options.loop))
    http_parser(options.http)  # an --http that cannot be had is said before anything starts
    server = DevServer(options, printer)
    server.bind()
    for line in python_warnings([worker.config for worker in server.workers]):
        printer.warning(line)
    # What exists now lives as long as the process: out of the cycle collector, the collection after a
    # reload walks the workers' objects alone (1 ms, not 15); worker code, imported later, is collected.
    gc.freeze()
    try:
        with asyncio.Runner(loop_factory=factory) as runner:
            runner.run(serve_until_stopped(server, ExitDeadline(printer)))
    finally:
        server.close_sockets()


async def serve_until_stopped(server: DevServer, deadline: ExitDeadline | None = None) -> None:
    """Load the workers and serve until :meth:`DevServer.stop` (the CLI's run, and in-process tests).

    With a ``deadline`` (the CLI), the process ends within its grace once serving is over,
    whatever threads worker code left running.
    """
    controlled = server.processes.controlled(server.stop, server.reload_all)  # in a child: by its parent
    with dev_session(server, server.options), refusing_worker_signals(), controlled:  # from the first import on
        server.start_loading()
        await server.serve()
    if deadline is not None:
        deadline.arm()
