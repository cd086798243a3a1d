"""What every data command starts from: the configs, the state directory, and a way to run async work."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pyworker.config import WorkerConfig, load_workers
from pyworker.config.files import describe, project_directory
from pyworker.errors import CommandError
from pyworker.options import DevOptions
from pyworker.printer import Printer
from pyworker.runtime.jsvalues import JsException
from pyworker.storage.host import Storage
from pyworker.storage.state import StateDir

T = TypeVar("T")


@dataclass
class Project:
    """The workers named by ``-c`` (and ``-e``), their state directory, and the printer for messages."""

    configs: Sequence[Path] = (Path("."),)
    env: str | None = None
    persist_to: Path | None = None
    printer: Printer = field(default_factory=lambda: Printer(sys.stderr, level="info"))
    remote: bool = False
    writes: bool = True  # False for read-only commands: they never create a state file

    def workers(self) -> list[WorkerConfig]:
        if self.remote:
            raise CommandError("pyworker works on local data only; use wrangler for --remote.")
        return load_workers(DevOptions(paths=list(self.configs) or [Path(".")], env=self.env))

    def where(self, workers: list[WorkerConfig]) -> str:
        """``wrangler.toml in api`` (or the first of several), for messages."""
        return describe(workers[0].config_path) if workers else "the configs given"

    def run(self, work: Callable[[Storage, list[WorkerConfig]], Coroutine[Any, Any, T]]) -> T:
        """Run ``work(storage, workers)`` on the project's state directory; JavaScript-style errors become one line."""
        workers = self.workers()
        project = project_directory(list(self.configs) or [Path(".")], [worker.directory for worker in workers])
        storage = Storage(
            StateDir.for_project(project, self.persist_to), create=self.writes, notice=self.printer.warning
        )

        async def main() -> T:
            try:
                return await work(storage, workers)
            finally:
                storage.close()

        try:
            return asyncio.run(main())
        except JsException as exc:  # one "Error:" only: the command line adds it
            raise CommandError(exc.message if exc.name == "Error" else str(exc)) from None
