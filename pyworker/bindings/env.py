"""``self.env``: a worker's vars, secrets and binding stubs, as attributes."""

from __future__ import annotations

from typing import Any

from pyworker.bindings.service import ServiceStub
from pyworker.config.model import WorkerConfig
from pyworker.printer import Printer
from pyworker.registry import WorkerRegistry


class Env:
    """The worker's ``env``: only what its own config declares.

    Values are attributes (``env.API_KEY``, ``env.WORKER_B``); ``getattr`` reaches
    names that are not identifiers. ``repr`` lists names only, never secret values.
    """

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)

    def __contains__(self, name: object) -> bool:
        return name in self.__dict__

    def __getitem__(self, name: str) -> Any:
        return self.__dict__[name]

    def __repr__(self) -> str:
        return f"Env({', '.join(sorted(self.__dict__))})"


def build_env(config: WorkerConfig, registry: WorkerRegistry, printer: Printer) -> Env:
    """Vars and secrets, then one stub per service binding (a binding wins over a same-named var)."""
    values: dict[str, Any] = config.env_values()
    for binding in config.services:
        values[binding.binding] = ServiceStub(binding, config.name, registry, printer)
    return Env(values)
