"""Hot reload: apply each batch of file changes to the one worker it belongs to.

A worker reloads alone: its code is imported afresh under new module names (a new
generation) and swapped in at once, so requests already running finish on the old
code and the next one, direct or through a binding, meets the new. Other workers are
not touched, module-level state included. Broken code or config never stops the
server: the worker answers 500 with the error (or keeps its last good config) until
the next good save.
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from pyworker.config import WorkerConfig, load_config
from pyworker.config.files import display_path
from pyworker.errors import ConfigError, WorkerLoadError
from pyworker.printer import Printer
from pyworker.reload.watch import Batch
from pyworker.worker import Worker

if TYPE_CHECKING:
    from pyworker.registry import WorkerRegistry

_SETTINGS = re.compile(r"^(wrangler\.(toml|json|jsonc)|\.dev\.vars(\..+)?)$")


class Reloader:
    """Reloads workers as batches of changes arrive; ``on_config`` re-wires a worker's port."""

    def __init__(
        self,
        registry: WorkerRegistry,
        printer: Printer,
        env_name: str | None = None,
        var_overrides: Mapping[str, str] | None = None,
        on_config: Callable[[Worker, WorkerConfig], Awaitable[None]] | None = None,
    ) -> None:
        self.registry = registry
        self.printer = printer
        self.env_name = env_name
        self.var_overrides = dict(var_overrides or {})
        self.on_config = on_config
        self.reloads = 0  # completed reload attempts, for tests and benchmarks

    async def run(self, batches: AsyncIterator[Batch]) -> None:
        async for batch in batches:
            for name, paths in batch.items():
                worker = self.registry.get(name)
                if worker is not None:
                    await self.reload(worker, paths)

    async def reload(self, worker: Worker, paths: set[Path]) -> bool:
        """Re-read ``worker``'s config if a settings file changed, then re-import its code."""
        started = time.perf_counter()
        try:
            if any(_SETTINGS.match(path.name) for path in paths):
                await self._reconfigure(worker)
            worker.load()
        except (ConfigError, WorkerLoadError) as exc:
            self.printer.worker(worker.name, str(exc), "error")
            return False
        finally:
            self.reloads += 1
        millis = (time.perf_counter() - started) * 1000
        self.printer.worker(worker.name, f"reloaded in {millis:.0f}ms ({_describe(worker, paths)})")
        return True

    async def _reconfigure(self, worker: Worker) -> None:
        old = worker.config
        try:
            config = load_config(old.config_path, self.env_name, self.var_overrides)
        except ConfigError as exc:
            raise ConfigError(f"{exc} Keeping the last good config until it is fixed.") from exc
        if config.name != old.name:
            raise ConfigError(
                f'{display_path(old.config_path)} renames worker "{old.name}" to "{config.name}": '
                "other workers bind to it by name, so restart pyworker dev to rename it. Keeping the last good config."
            )
        for warning in config.warnings:
            self.printer.warning(warning)
        worker.reconfigure(config)
        if self.on_config is not None:
            await self.on_config(worker, old)


def _describe(worker: Worker, paths: set[Path]) -> str:
    """``src/entry.py, wrangler.toml``: the changed files, relative to the worker's directory."""
    root = worker.config.directory.resolve()
    names = sorted(str(path.relative_to(root)) if path.is_relative_to(root) else display_path(path) for path in paths)
    return ", ".join(names) if len(names) <= 3 else f"{', '.join(names[:3])} and {len(names) - 3} more"
