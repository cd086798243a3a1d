"""Hot reload: apply each batch of file changes to the one worker it belongs to, and say what changed.

A worker reloads alone: its code is imported afresh under new module names (a new
generation) and swapped in at once, so requests already running finish on the old
code and the next one, direct or through a binding, meets the new. Other workers are
not touched, module-level state included. Broken code or config never stops the
server: the worker answers 500 with the error (or keeps its last good config) until
the next good save.

The reloader never calls the server: :meth:`Reloader.changes` yields a
:class:`Reloaded` per worker, and the server decides what to re-wire (ports, watched folders).
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from pyworker.bindings.env import build_env
from pyworker.bindings.provider import BindingHost
from pyworker.config import WorkerConfig, reread
from pyworker.config.files import display_path
from pyworker.errors import ConfigError, WorkerLoadError
from pyworker.options import DevOptions
from pyworker.printer import Printer
from pyworker.registry import WorkerRegistry
from pyworker.reload.watch import Batch, code_changes
from pyworker.worker import Worker

_SETTINGS = re.compile(r"^(wrangler\.(toml|json|jsonc)|\.(dev\.vars|env)(\..+)?)$")


@dataclass(frozen=True)
class Reloaded:
    """What one reload did: ``old`` and ``new`` are the same object unless the config was re-read."""

    worker: str
    ok: bool
    old: WorkerConfig
    new: WorkerConfig

    @property
    def config_changed(self) -> bool:
        return self.old is not self.new


class Reloader:
    """Reloads workers as batches of changes arrive, re-reading configs with the server's options."""

    def __init__(
        self,
        registry: WorkerRegistry[Worker],
        printer: Printer,
        options: DevOptions | None = None,
        host: BindingHost | None = None,
    ) -> None:
        self.registry = registry
        self.printer = printer
        self.options = options or DevOptions()
        self.host = host or BindingHost(registry, printer)
        self.reloads = 0  # completed reload attempts, for tests and benchmarks

    async def changes(self, batches: AsyncIterator[Batch]) -> AsyncIterator[Reloaded]:
        """Reload the workers each batch names; yield what each reload did."""
        async for batch in batches:
            seen = time.time()
            for name, paths in batch.items():
                worker = self.registry.get(name)
                if worker is not None and (paths := code_changes(worker.config, paths)):
                    yield await self.reload(worker, paths, seen)

    async def run(self, batches: AsyncIterator[Batch]) -> None:
        """Apply every batch, ignoring what changed (tests, and servers without ports to move)."""
        async for _ in self.changes(batches):
            pass

    async def reload(self, worker: Worker, paths: set[Path], seen: float | None = None) -> Reloaded:
        """Re-read ``worker``'s config if a settings file changed, then re-import its code.

        ``seen`` (``time.time()``) is when the watcher reported the change: at ``--log-level debug``
        the reload says how long after the save that was (by the files' modification times).
        """
        started = time.perf_counter()
        old = worker.config
        try:
            if any(_SETTINGS.match(path.name) for path in paths):
                self._reconfigure(worker)
            await worker.load_in_thread()  # other workers keep serving while it imports
        except (ConfigError, WorkerLoadError) as exc:
            self.printer.worker(worker.name, str(exc), "error")
            return Reloaded(worker.name, False, old, worker.config)
        finally:
            self.reloads += 1
        millis = (time.perf_counter() - started) * 1000
        if seen is not None and (saved := _saved(paths)) is not None:
            after = max(0.0, (seen - saved) * 1000)
            text = f"the watcher reported the save {after:.1f} ms after it; the reload took {millis:.1f} ms"
            self.printer.worker(worker.name, text, "debug")
        self.printer.worker(worker.name, f"reloaded in {millis:.0f}ms ({_describe(worker, paths)})")
        return Reloaded(worker.name, True, old, worker.config)

    def _reconfigure(self, worker: Worker) -> None:
        config = reread(worker.config, self.options)
        env = build_env(config, self.host)
        for warning in config.warnings:
            self.printer.warning(warning)
        worker.reconfigure(config, env)


def _saved(paths: set[Path]) -> float | None:
    """When the newest of ``paths`` was written (``time.time()`` scale), or ``None`` if none is left."""
    times = []
    for path in paths:
        try:
            times.append(path.stat().st_mtime)
        except OSError:
            continue
    return max(times, default=None)


def _describe(worker: Worker, paths: set[Path]) -> str:
    """``src/entry.py, wrangler.toml``: the changed files, relative to the worker's directory."""
    root = worker.config.directory.resolve()
    names = sorted(str(path.relative_to(root)) if path.is_relative_to(root) else display_path(path) for path in paths)
    return ", ".join(names) if len(names) <= 3 else f"{', '.join(names[:3])} and {len(names) - 3} more"
