"""Which files belong to which worker, and the file watcher that reports changes to them.

Watching is kept apart from reloading (as uvicorn keeps its supervisors apart from
serving): this module only turns file-system events into ``{worker name: changed
files}`` batches. Tests feed batches of their own instead of touching the disk.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncIterator, Callable, Iterable
from pathlib import Path

import watchfiles

from pyworker.config.files import CONFIG_NAMES
from pyworker.config.model import WorkerConfig

Batch = dict[str, set[Path]]  # worker name -> files that changed

# Milliseconds: watchfiles' Rust loop looks for file events every STEP_MS and reports them once
# a step passes without a new one (an editor's write-rename-chmod, or writes that keep coming,
# make one reload), at most DEBOUNCE_MS after the first. So a save is reported 5-10 ms after it
# is written. The watcher thread takes the GIL once per step; 200 short wake-ups a second cost
# the serving thread nothing measurable (bench/README.md, "The file watcher").
STEP_MS = 5
DEBOUNCE_MS = 400
LOOK_EVERY = 100  # watcher steps (of STEP_MS, so half a second) between looks at whether a watched folder was replaced


class WorkerFilter(watchfiles.DefaultFilter):
    """Python sources, config files, ``.dev.vars*``, ``.env*`` and assets; never VCS, caches, venvs or swap files."""

    ignore_dirs = (*watchfiles.DefaultFilter.ignore_dirs, ".wrangler", "venv", ".ruff_cache")
    ignore_entity_patterns = (*watchfiles.DefaultFilter.ignore_entity_patterns, r"^4913$", r"\.tmp$", r"\.bak$")

    def __init__(
        self, assets: Iterable[Path] = (), roots: Iterable[Path] = (), gone: Callable[[Path], None] | None = None
    ) -> None:
        super().__init__()
        self.assets = tuple(str(path) for path in assets)
        self.roots = frozenset(str(path) for path in roots)
        self.gone = gone  # called when a watched folder itself is deleted: its watch died with it

    def __call__(self, change: watchfiles.Change, path: str) -> bool:
        if self.gone is not None and change == watchfiles.Change.deleted and path in self.roots:
            self.gone(Path(path))
        if not super().__call__(change, path):
            return False
        name = Path(path).name
        return (
            name.endswith(".py")
            or name in CONFIG_NAMES
            or _DEV_VARS.match(name) is not None
            or any(path.startswith(root) for root in self.assets)
        )


_DEV_VARS = re.compile(r"^\.(dev\.vars|env)(\..+)?$")  # .dev.vars* and .env* (wrangler reads both)


def watched_roots(config: WorkerConfig) -> list[Path]:
    """Directories to watch for ``config``'s worker: its config's, its code's, and its assets'."""
    roots = [config.directory.resolve(), config.import_root.resolve()]
    assets = assets_dir(config)
    if assets is not None:
        roots.append(assets)
    unique: list[Path] = []
    for root in roots:
        if not any(root == seen or root.is_relative_to(seen) for seen in unique):
            unique = [seen for seen in unique if not seen.is_relative_to(root)] + [root]
    return unique


def assets_dir(config: WorkerConfig) -> Path | None:
    assets = config.extra.get("assets")
    directory = assets.get("directory") if isinstance(assets, dict) else None
    return (config.directory / directory).resolve() if isinstance(directory, str) else None


def code_changes(config: WorkerConfig, paths: set[Path]) -> set[Path]:
    """The changed files that need a reload: an asset is served fresh on the next request without one."""
    assets = assets_dir(config)
    if assets is None:
        return paths
    return {path for path in paths if not path.is_relative_to(assets) or _is_code(path.name)}


def _is_code(name: str) -> bool:
    return name.endswith(".py") or name in CONFIG_NAMES or _DEV_VARS.match(name) is not None


def owners(configs: Iterable[WorkerConfig], path: Path) -> list[str]:
    """The workers a changed ``path`` belongs to: those whose watched directory holding it is
    the deepest (a worker nested in another's directory owns its own files), several when
    they share that directory."""
    best: list[str] = []
    depth = -1
    for config in configs:
        for root in watched_roots(config):
            if path != root and not path.is_relative_to(root):
                continue
            here = len(root.parts)
            if here > depth:
                best, depth = [config.name], here
            elif here == depth and config.name not in best:
                best.append(config.name)
    return best


Identity = dict[Path, tuple[int, int] | None]  # watched folder -> (device, inode), None while missing


def identities(roots: Iterable[Path]) -> Identity:
    """Which folder each path is now: a folder removed and made again (``git checkout``) is another one."""
    found: Identity = {}
    for root in roots:
        try:
            info = os.stat(root)
        except OSError:
            found[root] = None
        else:
            found[root] = (info.st_dev, info.st_ino)
    return found


class _Round:
    """Stops one ``awatch`` round: when the watch ends (``stop``), the folders changed (``refresh``),
    or a watched folder was removed, made again or appeared (every :data:`LOOK_EVERY` steps).

    watchfiles' Rust thread polls ``is_set()`` every step, so this needs no task of its own.
    """

    def __init__(self, stop: watchfiles.main.AnyEvent, folders: Identity | None = None) -> None:
        self._stop = stop
        self._over = False
        self.folders = folders or {}
        self.deleted: set[Path] = set()  # folders reported deleted (one may be back already, same inode)
        self._steps = 0
        self._replaced = False

    def folder_deleted(self, folder: Path) -> None:
        self.deleted.add(folder)
        self._over = True

    def is_set(self) -> bool:
        if self._over or self._stop.is_set():
            return True
        self._steps += 1
        if self._replaced:  # one step after a look found a folder replaced: the events of that are reported now
            self._over = True
        elif self._steps % LOOK_EVERY == 0 and identities(self.folders) != self.folders:
            # Stopping at once would drop the events the Rust loop holds (an `rm -rf` halfway through):
            # give it one more step, in which it reports them if they have stopped coming.
            self._replaced = True
        return self._over

    def set(self) -> None:
        self._over = True

    async def wait(self) -> None:  # pragma: no cover - part of watchfiles' AnyEvent protocol, not used by it
        raise NotImplementedError


class FileWatcher:
    """Yields :data:`Batch` es of changes under the workers' directories until ``stop`` is set.

    The folders come from the workers' configs, read again after each reload: when a
    config edit moves ``main`` or the assets directory, or a folder that did not exist
    appears, :meth:`refresh` restarts the watch on the new set.
    """

    def __init__(self, configs: Callable[[], list[WorkerConfig]]) -> None:
        self.configs = configs  # read on every batch: a reload may change a worker's config
        self._round: _Round | None = None
        self._roots: list[Path] = []

    def roots(self) -> list[Path]:
        """The existing folders the workers' configs name now."""
        found = {root for config in self.configs() for root in watched_roots(config)}
        return sorted(root for root in found if root.exists())

    def refresh(self) -> bool:
        """Watch the folders the configs name now; returns whether they changed."""
        if self._round is None or self.roots() == self._roots:
            return False
        self._round.set()
        return True

    async def batches(self, stop: watchfiles.main.AnyEvent) -> AsyncIterator[Batch]:
        while not stop.is_set():
            configs = self.configs()
            folders = identities({root for config in configs for root in watched_roots(config)})
            self._roots = sorted(root for root, seen in folders.items() if seen is not None)
            self._round = _Round(stop, folders)
            if not self._roots:  # every folder is gone for now: look until one comes back
                while not self._round.is_set():
                    await asyncio.sleep(STEP_MS / 1000)
            else:
                async for batch in self._round_batches(configs):
                    yield batch
            if not stop.is_set() and (reattached := _reattached(configs, folders, self._round.deleted)):
                yield reattached  # a folder made again: reload from its files, config included

    async def _round_batches(self, configs: list[WorkerConfig]) -> AsyncIterator[Batch]:
        assets = [a for a in (assets_dir(config) for config in configs) if a is not None]
        assert self._round is not None
        async for changes in watchfiles.awatch(
            *self._roots,
            watch_filter=WorkerFilter(assets, self._roots, self._round.folder_deleted),
            step=STEP_MS,
            debounce=DEBOUNCE_MS,
            stop_event=self._round,
            ignore_permission_denied=True,
        ):
            batch: Batch = {}
            for _, raw in changes:
                path = Path(raw)
                for name in owners(self.configs(), path):
                    batch.setdefault(name, set()).add(path)
            if batch:
                yield batch


def _reattached(configs: list[WorkerConfig], before: Identity, deleted: set[Path]) -> Batch:
    """The workers one of whose folders exists now as another folder than before (or again, after
    it was reported deleted), with their config file."""
    now = identities(before)
    batch: Batch = {}
    for config in configs:
        for root in watched_roots(config):
            if now.get(root) is not None and (root in deleted or now.get(root) != before.get(root)):
                batch.setdefault(config.name, set()).add(config.config_path.resolve())
    return batch
