"""Engines of binding kinds that outlive a request and a reload (Workflows): one set per dev server.

``env`` is rebuilt when a config changes, but a Workflow's running instances must not
notice: the provider finds its engine here by name. The server starts them once its loop
runs (unfinished work resumes) and stops them before it closes the state databases.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Protocol


class Engine(Protocol):
    @property
    def name(self) -> str: ...

    def ensure_started(self) -> None: ...

    async def stop(self) -> None: ...


class Engines:
    """Engines by name; ``scale`` multiplies the time Workflows sleep and wait (``--workflow-sleep-scale``)."""

    def __init__(self, scale: float = 1.0) -> None:
        self.scale = scale
        self._engines: dict[str, Engine] = {}

    def get(self, name: str) -> Engine | None:
        return self._engines.get(name)

    def add(self, engine: Engine) -> None:
        self._engines[engine.name] = engine

    def __iter__(self) -> Iterator[Engine]:
        return iter(list(self._engines.values()))

    def start(self) -> None:
        """On the running loop: each engine resumes its unfinished work."""
        for engine in self:
            engine.ensure_started()

    async def stop(self) -> None:
        await asyncio.gather(*(engine.stop() for engine in self), return_exceptions=True)
