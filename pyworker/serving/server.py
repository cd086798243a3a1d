"""The dev server: every worker in one process and one event loop, served by one uvicorn server."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import threading
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import uvicorn

from pyworker.config import WorkerConfig, load_config
from pyworker.config.files import display_path, worker_paths
from pyworker.errors import ConfigError, ServeError, WorkerLoadError
from pyworker.printer import Printer
from pyworker.registry import WorkerRegistry
from pyworker.reload.reloader import Reloader
from pyworker.reload.watch import FileWatcher
from pyworker.serving.adapter import WorkerApp
from pyworker.serving.listeners import DEFAULT_IP, DEFAULT_PORT, Listener, bind, bind_next_free
from pyworker.types import Receive, Scope, Send
from pyworker.worker import Worker, WorkerState


@dataclass
class DevOptions:
    """What ``pyworker dev`` was asked to do; the CLI only builds this."""

    paths: Sequence[Path] = (Path("."),)
    port: int | None = None
    ip: str | None = None
    env: str | None = None
    vars: dict[str, str] = field(default_factory=dict)
    log_level: str = "info"
    reload: bool = True


def load_configs(options: DevOptions) -> list[WorkerConfig]:
    """Read every worker's config; two workers with one name is an error."""
    configs: list[WorkerConfig] = []
    seen: dict[str, WorkerConfig] = {}
    for path in [worker for given in options.paths for worker in worker_paths(given)]:
        config = load_config(path, options.env, options.vars)
        if config.name in seen:
            first = seen[config.name]
            if first.config_path == config.config_path:
                continue  # the same worker given twice
            raise ConfigError(
                f'Two workers are named "{config.name}": {display_path(first.config_path)} and '
                f"{display_path(config.config_path)}. Give each worker a unique name."
            )
        seen[config.name] = config
        configs.append(config)
    return configs


class _PortDispatch:
    """One ASGI app for all sockets: the local port says which worker a request is for."""

    def __init__(self, apps: dict[int, WorkerApp]) -> None:
        self.apps = apps

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        server = scope.get("server")
        app = self.apps.get(server[1]) if server else None
        if app is None:
            return
        await app(scope, receive, send)


class _UvicornServer(uvicorn.Server):
    """uvicorn's server, minus its signal handling: the dev server owns Ctrl-C."""

    def __init__(self, config: uvicorn.Config, dev: DevServer) -> None:
        super().__init__(config)
        self._dev = dev

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if not self.should_exit:
            self._dev.announce()

    async def listen(self, sock: socket.socket) -> None:
        """Serve one more socket while running (a worker's port changed on reload), as startup does."""
        config = self.config

        def protocol() -> asyncio.Protocol:
            return config.http_protocol_class(  # type: ignore[call-arg]
                config=config, server_state=self.server_state, app_state=self.lifespan.state
            )

        loop = asyncio.get_running_loop()
        self.servers.append(await loop.create_server(protocol, sock=sock, backlog=config.backlog))

    def unlisten(self, sock: socket.socket) -> None:
        """Stop accepting on ``sock``; connections already open finish."""
        for server in list(self.servers):
            if any(s.fileno() == sock.fileno() for s in server.sockets):
                server.close()
                self.servers.remove(server)


class DevServer:
    """Runs a set of workers: loads them, binds their ports, serves them until stopped."""

    def __init__(
        self,
        configs: Sequence[WorkerConfig],
        printer: Printer,
        port: int | None = None,
        ip: str | None = None,
        reload: bool = False,
        env_name: str | None = None,
        var_overrides: dict[str, str] | None = None,
    ) -> None:
        self.printer = printer
        self.registry = WorkerRegistry()
        for config in configs:
            self.registry.add(Worker(config, self.registry, printer))
        self.port = port
        self.ip = ip
        self.listeners: list[Listener] = []
        self.ready = threading.Event()  # set once every worker listens (tests wait on it)
        self.reloader = Reloader(self.registry, printer, env_name, var_overrides, self._rewire) if reload else None
        self._uvicorn: _UvicornServer | None = None
        self._apps: dict[int, WorkerApp] = {}

    @property
    def workers(self) -> list[Worker]:
        return list(self.registry)

    def worker(self, name: str) -> Worker:
        worker = self.registry.get(name)
        if worker is None:
            raise KeyError(name)
        return worker

    def app(self, name: str) -> WorkerApp:
        """The ASGI app serving worker ``name`` (used by the server and by in-process tests)."""
        return WorkerApp(self.worker(name), self.printer)

    # -- start-up -------------------------------------------------------------------
    def load(self) -> None:
        """Print config warnings and import every worker; a broken one is reported, not fatal."""
        for worker in self.workers:
            for warning in worker.config.warnings:
                self.printer.warning(warning)
            try:
                worker.load()
            except WorkerLoadError as exc:
                self.printer.worker(worker.name, str(exc), "error")

    def _ip(self, config: WorkerConfig) -> str:
        return self.ip or config.dev.ip or DEFAULT_IP

    def bind(self) -> None:
        """Bind a socket for each exposed worker; internal workers get none."""
        taken: set[int] = set()
        first = True
        try:
            for worker in self.workers:
                config = worker.config
                if config.internal:
                    continue
                if first:
                    port = self.port if self.port is not None else config.dev.port or DEFAULT_PORT
                    listener = bind(worker.name, self._ip(config), port)
                    first = False
                else:
                    listener = self._bind_other(worker, taken)
                taken.add(listener.port)
                self.listeners.append(listener)
        except BaseException:
            self.close_sockets()
            raise

    def _bind_other(self, worker: Worker, taken: set[int]) -> Listener:
        """Any exposed worker but the first: its ``[dev] port``, else the next free port."""
        config = worker.config
        if config.dev.port is not None:
            return bind(worker.name, self._ip(config), config.dev.port)
        start = 0 if self.port == 0 else max(taken, default=self.port or DEFAULT_PORT) + 1
        return bind_next_free(worker.name, self._ip(config), start, taken)

    def close_sockets(self) -> None:
        for listener in self.listeners:
            listener.sock.close()

    def announce(self) -> None:
        """The start-up table, then ``Ready on ...`` once every worker listens."""
        urls = {listener.worker: listener.url for listener in self.listeners}
        rows: list[list[str]] = []
        for worker in self.workers:
            url = urls.get(worker.name, "internal")
            if worker.state is WorkerState.FAILED:
                url += " (failed to load)"
            bindings = [self._describe_binding(worker, i) for i in range(len(worker.config.services))]
            rows.append([worker.name, url, bindings[0] if bindings else ""])
            rows.extend(["", "", more] for more in bindings[1:])
        self.printer.table(["worker", "url", "bindings"], rows)
        if self.listeners:
            self.printer.write(f"Ready on {self.listeners[0].url}")
        else:
            self.printer.write("Ready (every worker is internal: none has a URL)")
        self.ready.set()

    def _describe_binding(self, worker: Worker, index: int) -> str:
        binding = worker.config.services[index]
        target = binding.service + (f"#{binding.entrypoint}" if binding.entrypoint else "")
        callee = self.registry.get(binding.service)
        if callee is None:
            status = "not connected"
        elif binding.entrypoint and not callee.exports(binding.entrypoint):
            status = f'no entrypoint "{binding.entrypoint}"'
        else:
            status = "connected"
        return f"{binding.binding} -> {target} ({status})"

    # -- serving --------------------------------------------------------------------
    async def serve(self) -> None:
        """Serve until :meth:`stop`; then finish in-flight requests and ``wait_until`` work."""
        self._apps = {listener.port: self.app(listener.worker) for listener in self.listeners}
        config = uvicorn.Config(
            _PortDispatch(self._apps),
            lifespan="off",
            log_config=None,
            log_level="warning",  # uvicorn traces per connection when its loggers are left at NOTSET
            access_log=False,
            proxy_headers=False,
            server_header=False,
            timeout_graceful_shutdown=5,
        )
        self._uvicorn = _UvicornServer(config, self)
        with _uvicorn_logs_to(self.printer), self._signals(), self._watching():
            await self._uvicorn.serve(sockets=[listener.sock for listener in self.listeners])
        for worker in self.workers:
            await worker.stop()

    @contextlib.contextmanager
    def _watching(self) -> Generator[None, None, None]:
        """Watch the workers' files and reload them while serving (unless ``--no-reload``)."""
        if self.reloader is None:
            yield
            return
        stop = asyncio.Event()
        watcher = FileWatcher(lambda: [worker.config for worker in self.workers])
        task = asyncio.get_running_loop().create_task(self.reloader.run(watcher.batches(stop)))
        task.add_done_callback(self._watcher_done)
        try:
            yield
        finally:
            stop.set()
            task.cancel()

    def _watcher_done(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and (exc := task.exception()) is not None:
            message = f"Hot reload stopped: {type(exc).__name__}: {exc}. Restart pyworker dev to resume."
            self.printer.write(message, "error")

    async def _rewire(self, worker: Worker, old: WorkerConfig) -> None:
        """After a config reload: move the worker to a new port, or take its port away, if its config says so.

        Only a change to ``[dev] port`` or to being internal moves it: a port chosen at start-up
        (``--port``, the next free one) stays while the config leaves those alone.
        """
        config, server = worker.config, self._uvicorn
        if server is None or (old.internal, old.dev.port) == (config.internal, config.dev.port):
            return
        current = next((listener for listener in self.listeners if listener.worker == worker.name), None)
        if current is None and config.internal:
            return
        if current is not None and not config.internal and config.dev.port in (None, current.port):
            return  # still exposed, on the same port
        listener = None
        if not config.internal:
            try:
                listener = self._bind_other(worker, {listener.port for listener in self.listeners})
            except ServeError as exc:
                self.printer.worker(worker.name, f"{exc} Keeping its current address.", "error")
                return
        if current is not None:
            server.unlisten(current.sock)
            del self._apps[current.port]
            self.listeners.remove(current)
            self.printer.worker(worker.name, f"no longer listens on {current.url}")
        if listener is not None:
            self.listeners.append(listener)
            self._apps[listener.port] = self.app(worker.name)
            await server.listen(listener.sock)
            self.printer.worker(worker.name, f"now listens on {listener.url}")

    def stop(self) -> None:
        """Ask the server to shut down; a second call forces it."""
        if self._uvicorn is None:
            return
        if self._uvicorn.should_exit:
            self._uvicorn.force_exit = True
        else:
            self.printer.write("Shutting down...")
            self._uvicorn.should_exit = True

    @contextlib.contextmanager
    def _signals(self) -> Generator[None, None, None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        loop = asyncio.get_running_loop()
        handled = (signal.SIGINT, signal.SIGTERM)
        for sig in handled:
            loop.add_signal_handler(sig, self.stop)
        try:
            yield
        finally:
            for sig in handled:
                loop.remove_signal_handler(sig)


class _PrinterHandler(logging.Handler):
    def __init__(self, printer: Printer) -> None:
        super().__init__(logging.WARNING)
        self.printer = printer

    def emit(self, record: logging.LogRecord) -> None:
        level = "error" if record.levelno >= logging.ERROR else "warn"
        self.printer.write(f"[uvicorn] {record.getMessage()}", level)


@contextlib.contextmanager
def _uvicorn_logs_to(printer: Printer) -> Generator[None, None, None]:
    """Route uvicorn's own warnings (malformed requests...) through the printer."""
    logger = logging.getLogger("uvicorn")
    handler = _PrinterHandler(printer)
    logger.addHandler(handler)
    propagate, logger.propagate = logger.propagate, False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def run(options: DevOptions, printer: Printer) -> None:
    """Load, bind and serve; returns after a clean shutdown. Raises :class:`PyworkerError` on bad input."""
    configs = load_configs(options)
    server = DevServer(
        configs,
        printer,
        port=options.port,
        ip=options.ip,
        reload=options.reload,
        env_name=options.env,
        var_overrides=options.vars,
    )
    server.bind()
    try:
        asyncio.run(_main(server))
    finally:
        server.close_sockets()


async def _main(server: DevServer) -> None:
    server.load()
    await server.serve()
