from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import io
import json
import os
import re
import textwrap
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pyworker.config import load_config
from pyworker.interop.entries import process_alive
from pyworker.options import DevOptions
from pyworker.printer import Printer
from pyworker.serving.server import DevServer, serve_until_stopped
from pyworker.serving.stack import event_loop, loop_factory

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"

WriteWorker = Callable[..., Path]


@pytest.fixture(scope="session", autouse=True)
def test_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The dev registry of the whole session, so no ``pyworker dev`` of the suite touches the user's."""
    path = tmp_path_factory.mktemp("wrangler-registry") / "registry"
    saved = os.environ.get("WRANGLER_REGISTRY_PATH")
    os.environ["WRANGLER_REGISTRY_PATH"] = str(path)
    yield path
    if saved is None:
        del os.environ["WRANGLER_REGISTRY_PATH"]
    else:
        os.environ["WRANGLER_REGISTRY_PATH"] = saved


@pytest.fixture(autouse=True)
def _no_stale_entries(test_registry: Path) -> Iterator[None]:
    """After each test, the entries its killed ``pyworker dev`` processes left: so no later test reads them."""
    yield
    for path in test_registry.glob("*"):
        with contextlib.suppress(OSError, ValueError, LookupError, TypeError):
            pid = json.loads(path.read_text())["pyworker"]["pid"]
            if not process_alive(pid):
                path.unlink()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def write_worker(tmp_path: Path) -> WriteWorker:
    """Write a worker directory: ``write_worker("a", {"src/entry.py": code}, config="...toml...")``."""

    def write(name: str, files: dict[str, str], config: str | None = None, main: str = "src/entry.py") -> Path:
        directory = tmp_path / name
        directory.mkdir(parents=True, exist_ok=True)
        for relative, text in files.items():
            path = directory / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text))
        toml = config if config is not None else f'name = "{name}"\nmain = "{main}"\n'
        (directory / "wrangler.toml").write_text(textwrap.dedent(toml))
        return directory

    return write


DEADLINE = 10.0  # seconds any awaited event may take before a test fails
# The HTTP parsers the client limits and framing rules must hold on (serving/stack.py picks one).
PARSERS = [
    pytest.param(
        "httptools",
        marks=pytest.mark.skipif(importlib.util.find_spec("httptools") is None, reason="httptools is not installed"),
    ),
    "h11",
]


class Output(io.StringIO):
    """Collected output; a test may wait (on a condition, not a sleep) for a line the server prints."""

    def __init__(self) -> None:
        super().__init__()
        self._changed = threading.Condition()

    def write(self, text: str) -> int:
        with self._changed:
            written = super().write(text)
            self._changed.notify_all()
        return written

    def lines(self) -> list[str]:
        return self.getvalue().splitlines()

    def wait_for(self, pattern: str, timeout: float = DEADLINE) -> re.Match[str]:
        """The first line matching ``pattern``, waiting for it to be printed."""
        found: list[re.Match[str]] = []

        def search() -> bool:
            found[:] = [m for line in self.lines() if (m := re.search(pattern, line))][:1]
            return bool(found)

        with self._changed:
            if not self._changed.wait_for(search, timeout):
                raise AssertionError(f"no line matched {pattern!r}; output:\n{self.getvalue()}")
        return found[0]


@pytest.fixture
def output() -> Output:
    return Output()


@pytest.fixture
def make_server(output: Output) -> Callable[..., DevServer]:
    """A loaded DevServer for worker directories, printing into ``output``; no sockets."""
    servers: list[DevServer] = []

    def make(*paths: Path, env: str | None = None) -> DevServer:
        configs = [load_config(path, env) for path in paths]
        server = DevServer(DevOptions(env=env), Printer(output, level="debug", colour=False), configs)
        server.load()
        servers.append(server)
        return server

    yield make  # type: ignore[misc]
    for server in servers:
        for worker in server.workers:
            if worker.code is not None:
                worker.code.unload()
        server.storage.close()


class LiveServer:
    """A :class:`DevServer` serving real sockets on free ports, in a thread of this process."""

    def __init__(self, server: DevServer) -> None:
        self.server = server
        self.loop: asyncio.AbstractEventLoop | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.error: BaseException | None = None

    def _run(self) -> None:
        async def main() -> None:
            self.loop = asyncio.get_running_loop()
            await serve_until_stopped(self.server)

        factory = loop_factory(event_loop(self.server.options.loop))  # the loop `pyworker dev` would run on
        try:
            with asyncio.Runner(loop_factory=factory) as runner:
                runner.run(main())
        except BaseException as exc:  # shown by stop(): a test must not hang on a dead server
            self.error = exc
            self.server.ready.set()

    def start(self) -> LiveServer:
        self.server.bind()
        self.thread.start()
        assert self.server.ready.wait(DEADLINE), "the server never said Ready"
        assert self.error is None, self.error
        return self

    @property
    def url(self) -> str:
        return self.server.listeners[0].url

    @property
    def port(self) -> int:
        return self.server.listeners[0].port

    def call(self, function: Callable[[], object]) -> None:
        """Run ``function`` on the server's event loop."""
        assert self.loop is not None
        self.loop.call_soon_threadsafe(function)

    def stop(self) -> None:
        if self.thread.is_alive() and self.loop is not None:
            self.call(self.server.stop)
            self.thread.join(DEADLINE)
            if self.thread.is_alive():
                self.call(self.server.stop)  # the second stop forces
                self.thread.join(DEADLINE)
        self.server.close_sockets()
        for worker in self.server.workers:
            if worker.code is not None:
                worker.code.unload()
        assert self.error is None, self.error


def start_live(paths: tuple[Path, ...], output: Output, **options: object) -> LiveServer:
    """A started :class:`LiveServer` for worker directories, printing into ``output``."""
    configs = [load_config(path) for path in paths]
    dev_options = DevOptions(port=0, reload=False, **options)  # type: ignore[arg-type]
    server = DevServer(dev_options, Printer(output, level="debug", colour=False), configs)
    return LiveServer(server).start()


@pytest.fixture
def live(output: Output) -> Iterator[Callable[..., LiveServer]]:
    """``live(path, ..., request_timeout=1, limits=ClientLimits(...))``: a started :class:`LiveServer`."""
    started: list[LiveServer] = []

    def start(*paths: Path, **options: object) -> LiveServer:
        started.append(start_live(paths, output, **options))
        return started[-1]

    yield start
    for server in started:
        server.stop()


def write_worker_to(directory: Path, files: dict[str, str], config: str | None = None) -> Path:
    """What ``write_worker`` does, into ``directory`` (for fixtures wider than one test)."""
    for relative, text in files.items():
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    name = directory.name
    (directory / "wrangler.toml").write_text(config or f'name = "{name}"\nmain = "src/entry.py"\n')
    return directory
