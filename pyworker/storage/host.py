"""The state directory of one dev server (or command) and the databases open in it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pyworker.storage.sqlite import Database, Setup
from pyworker.storage.state import StateDir


def _silent(line: str) -> None:
    pass


class Storage:
    """Hands out one :class:`Database` per file, so every worker binding a namespace shares it.

    Created by the dev server (or a command) and passed down; databases stay open across
    reloads and config edits, and close with :meth:`close`. ``create=False`` (read-only
    commands) never makes a file: a namespace without one reads as empty. ``notice`` prints
    one-off lines (a migration of older pyworker data).
    """

    def __init__(self, state: StateDir, create: bool = True, notice: Callable[[str], None] = _silent) -> None:
        self.state = state
        self.create = create
        self.notice = notice
        self.migrated: set[Path] = set()
        self._open: dict[Path, Database] = {}
        self._closers: list[Callable[[], None]] = []

    def on_close(self, close: Callable[[], None]) -> None:
        """Run ``close`` with :meth:`close` (stores that keep their own connections: Durable Objects)."""
        self._closers.append(close)

    def database(self, path: Path, label: str, schema: Setup | None = None, configure: Setup | None = None) -> Database:
        database = self._open.get(path)
        if database is None:
            database = self._open[path] = Database(path, label, schema, configure, self.create)
        return database

    def close(self) -> None:
        for database in self._open.values():
            database.close()
        self._open.clear()
        for close in self._closers:
            close()
        self._closers.clear()
