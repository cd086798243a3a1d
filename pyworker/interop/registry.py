"""The dev registry directory shared with wrangler: this process's entries, and the live ones of others.

As Miniflare's ``DevRegistry``: one file per worker (see :mod:`pyworker.interop.entries`),
touched every 30 s, removed on exit. Unlike it, a file is written atomically (a temporary
file renamed over it, so a reader never sees half of one), removed only while it is still
this process's (another may have registered the same worker since: the last to register
wins, as in wrangler), and another process's file is read with suspicion: a stale, corrupt
or newer-format one is ignored with one line, once. The directory is watched (watchfiles), so
an entry that appears or leaves is seen at once; :meth:`DevRegistry.refresh` reads it whole.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pyworker.interop.entries import HEARTBEAT, Entry, Stale, parse, process_alive, shown
from pyworker.printer import Printer, escape

Listener = Callable[[dict[str, Entry], dict[str, Entry]], None]  # (before, after) on every change
STEP_MS = 50  # the watcher groups changes until none comes for this long
DEBOUNCE_MS = 400


@dataclass
class _Own:
    """A file this process wrote: its text, and the inode it got (another writer's rename changes it)."""

    text: str
    inode: int


class DevRegistry:
    """One registry directory. Own entries: :meth:`register`, :meth:`heartbeat`, :meth:`close`.
    Others' live entries: :attr:`entries`, kept current by :meth:`watch` (or :meth:`refresh`)."""

    def __init__(
        self,
        path: Path,
        printer: Printer,
        pid: int | None = None,
        clock: Callable[[], float] = time.time,
        alive: Callable[[int], bool] = process_alive,
        home: Path | None = None,
    ) -> None:
        self.path = path
        self.printer = printer
        self.pid = os.getpid() if pid is None else pid
        self.clock = clock
        self.alive = alive
        self.home = Path.home() if home is None else home
        self.entries: dict[str, Entry] = {}  # live entries of other processes, by worker name
        self.watching = threading.Event()  # set once the watcher sees every change (tests wait on it)
        self.reserved: set[str] = set()  # names this process runs: others' files of these names are not read
        self._own: dict[str, _Own] = {}
        self._yielded: dict[str, str] = {}  # own entries another process took over: name -> our text
        self._reported: dict[str, tuple[int, int]] = {}  # file -> (mtime_ns, size) when it was reported
        self._listeners: list[Listener] = []

    def on_change(self, listener: Listener) -> None:
        """Call ``listener(before, after)`` whenever :attr:`entries` changes."""
        self._listeners.append(listener)

    def shown(self, name: str) -> str:
        return shown(self.path / name, self.home)

    # -- this process's entries ------------------------------------------------------
    def register(self, name: str, text: str) -> None:
        """Write (or rewrite) this process's entry ``name``; says so when another process had it."""
        if name in self._yielded:  # another process took it over: it keeps it while it runs
            self._yielded[name] = text
            return
        own = self._own.get(name)
        if own is not None and own.text == text and self._mine(name):
            return
        if own is None and (other := self._live_other(name)) is not None:
            holder = "wrangler dev" if other.wrangler else f"process {other.pid}"
            self._say(
                f"registry: worker {name} is also registered by {holder}; other processes now reach the one in "
                "this process (the last to register wins, as in wrangler)."
            )
        temporary = self.path / f".{name}.{self.pid}.tmp"  # a dot file: readers skip it
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            temporary.write_text(text)
            os.replace(temporary, self.path / name)
        except OSError as exc:
            with contextlib.suppress(OSError):
                temporary.unlink()
            self._say(f"registry: cannot write {self.shown(name)} ({exc.strerror}): other processes do not see {name}.")
            return
        self._own[name] = _Own(text, self._inode(name) or 0)

    def unregister(self, name: str) -> None:
        """Remove entry ``name`` if the file is still the one this process wrote."""
        self._yielded.pop(name, None)
        if name in self._own and self._mine(name):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path / name)
        self._own.pop(name, None)

    def registered(self) -> list[str]:
        """The names this process registered (including those another process took over meanwhile)."""
        return sorted({*self._own, *self._yielded})

    def close(self) -> None:
        """Remove every entry of this process (on exit)."""
        for name in list(self._own):
            self.unregister(name)

    def heartbeat(self) -> None:
        """Touch each own file, so readers see it live; write again one that was deleted meanwhile."""
        now = self.clock()
        for name, own in list(self._own.items()):
            mine = self._mine(name)
            if mine is None:
                self._own.pop(name)
                self.register(name, own.text)
            elif not mine:
                self._lost(name)
            else:
                with contextlib.suppress(OSError):  # gone or unwritable since: the next beat sees it
                    os.utime(self.path / name, (now, now))

    def _lost(self, name: str) -> None:
        own = self._own.pop(name, None)
        if own is not None:
            self._yielded[name] = own.text
        taker = self._live_other(name)
        holder = "wrangler dev" if taker is not None and taker.wrangler else "another process"
        if taker is not None and taker.pid is not None:
            holder = f"process {taker.pid}"
        self._say(
            f"registry: {holder} registered worker {name} after this process; other processes now reach that one."
        )

    def _inode(self, name: str) -> int | None:
        try:
            return os.stat(self.path / name).st_ino
        except FileNotFoundError:
            return None

    def _mine(self, name: str) -> bool | None:
        """Whether file ``name`` is still the one this process wrote (None: there is none). wrangler
        rewrites a file in place, so the same inode is not enough: the text must be ours too."""
        own, path = self._own.get(name), self.path / name
        try:
            return own is not None and os.stat(path).st_ino == own.inode and path.read_text() == own.text
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            return False

    # -- others' entries ---------------------------------------------------------------
    def refresh(self) -> None:
        """Read the directory again; tell the listeners if the live entries changed."""
        found: dict[str, Entry] = {}
        seen: set[str] = set()
        for name in self._names():
            seen.add(name)
            own = self._own.get(name)
            if (own is not None and self._mine(name)) or (
                own is None and name in self.reserved and name not in self._yielded
            ):
                continue
            entry = self._read(name)
            if entry is not None and entry.pid != self.pid:
                found[name] = entry
        for name in list(self._own):
            if name in found or (name in seen and self._mine(name) is False):
                self._lost(name)
        for name in [name for name in self._yielded if name not in found]:
            self.register(name, self._yielded.pop(name))  # whoever took it over is gone: ours again
            self._say(f"registry: worker {name} is registered by this process again.")
        self._reported = {name: seen_as for name, seen_as in self._reported.items() if name in seen}
        before, self.entries = self.entries, found
        if before != found:
            for listener in list(self._listeners):
                listener(before, found)

    def _names(self) -> list[str]:
        try:
            return sorted(item.name for item in os.scandir(self.path) if not item.name.startswith("."))
        except (FileNotFoundError, NotADirectoryError):
            return []

    def _read(self, name: str, report: bool = True) -> Entry | None:
        path = self.path / name
        try:
            info = path.stat()
        except OSError:
            return None  # removed while the directory was read
        if not path.is_file():
            return None
        try:
            found: Entry | Stale = parse(name, path.read_text(), self.clock() - info.st_mtime, self.alive)
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:  # unreadable, or not UTF-8
            found = Stale(name, f"cannot be read ({getattr(exc, 'strerror', None) or exc}).")
        if isinstance(found, Stale):
            if report and self._reported.get(name) != (info.st_mtime_ns, info.st_size):  # once per version
                self._reported[name] = (info.st_mtime_ns, info.st_size)
                self._say(f"registry: ignoring {self.shown(name)}: {found.reason}")
            return None
        return found

    def _live_other(self, name: str) -> Entry | None:
        entry = self._read(name, report=False)
        return entry if entry is not None and entry.pid != self.pid else None

    def _say(self, line: str) -> None:
        self.printer.write(escape(line), "warn")

    # -- running -------------------------------------------------------------------------
    async def watch(self, stop: asyncio.Event) -> None:
        """Keep :attr:`entries` current until ``stop``: on every change in the directory, and on each heartbeat."""
        import watchfiles  # here, not with the module: the first response does not wait for it

        self.path.mkdir(parents=True, exist_ok=True)
        loop = asyncio.get_running_loop()
        signal = _Signal(stop, lambda: loop.call_soon_threadsafe(self._watching))
        beats = asyncio.ensure_future(self._beat(stop))
        try:
            async for _changes in watchfiles.awatch(
                self.path, stop_event=signal, step=STEP_MS, debounce=DEBOUNCE_MS, recursive=False, watch_filter=None
            ):
                self.refresh()
        finally:
            beats.cancel()

    def _watching(self) -> None:
        self.refresh()  # what changed before the watch began
        self.watching.set()

    async def _beat(self, stop: asyncio.Event, interval: float = HEARTBEAT) -> None:
        while not stop.is_set():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)
            if not stop.is_set():
                self.heartbeat()
                self.refresh()  # an entry aged out, or its process died, without a change to see


class _Signal:
    """watchfiles' stop event: ``is_set`` is first called from the watch thread once the watch is on."""

    def __init__(self, stop: asyncio.Event, started: Callable[[], object]) -> None:
        self._stop = stop
        self._started: Callable[[], object] | None = started
        self._set = False

    def is_set(self) -> bool:
        if self._started is not None:
            started, self._started = self._started, None
            started()
        return self._set or self._stop.is_set()

    def set(self) -> None:
        self._set = True

    async def wait(self) -> None:  # pragma: no cover - part of watchfiles' AnyEvent protocol, not used by it
        raise NotImplementedError
