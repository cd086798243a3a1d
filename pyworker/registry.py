"""The set of workers one dev server runs, looked up by name."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyworker.worker import Worker


class WorkerRegistry:
    """Name -> running :class:`Worker`. Created by the dev server and passed down; never global.

    Bindings look their target up here on every call, so a reloaded worker is
    reached on the very next call without rewiring its callers.
    """

    def __init__(self) -> None:
        self._workers: dict[str, Worker] = {}

    def add(self, worker: Worker) -> None:
        self._workers[worker.name] = worker

    def get(self, name: str) -> Worker | None:
        return self._workers.get(name)

    def __iter__(self) -> Iterator[Worker]:
        return iter(list(self._workers.values()))

    def __contains__(self, name: object) -> bool:
        return name in self._workers
