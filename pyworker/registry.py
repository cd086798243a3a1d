"""The set of workers one dev server runs, looked up by name."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from pyworker.types import Target

T = TypeVar("T", bound=Target)


class WorkerRegistry(Generic[T]):
    """Name -> running worker. Created by the dev server and passed down; never global.

    Bindings look their target up here on every call, so a reloaded worker is
    reached on the very next call without rewiring its callers. Typed by the
    :class:`~pyworker.types.Target` protocol, so nothing here knows the concrete worker.
    """

    def __init__(self) -> None:
        self._workers: dict[str, T] = {}
        # Name -> worker or None: the dict's own lookup, since every binding call makes one.
        self.get: Callable[[str], T | None] = self._workers.get

    def add(self, worker: T) -> None:
        self._workers[worker.name] = worker

    def status(self, name: str) -> str:
        return "connected" if name in self._workers else "not running"

    def __iter__(self) -> Iterator[T]:
        return iter(list(self._workers.values()))

    def __contains__(self, name: object) -> bool:
        return name in self._workers
