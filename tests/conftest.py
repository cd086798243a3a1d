from __future__ import annotations

import io
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from pyworker.config import load_config
from pyworker.options import DevOptions
from pyworker.printer import Printer
from pyworker.serving.server import DevServer

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"

WriteWorker = Callable[..., Path]


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


class Output(io.StringIO):
    def lines(self) -> list[str]:
        return self.getvalue().splitlines()


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
