"""``self.env``: a worker's vars, secrets and bindings, each kind asked of its provider."""

from __future__ import annotations

from typing import Any

from pyworker.bindings import d1, kv, r2, service
from pyworker.bindings.durable_objects import provider as durable_objects
from pyworker.bindings.provider import BindingHost, Provider
from pyworker.config.model import WorkerConfig
from pyworker.runtime.wrappers import _EnvWrapper

# Every binding kind pyworker emulates. A new kind is a module like `service` and one entry here.
PROVIDERS: tuple[Provider, ...] = (service, kv, d1, r2, durable_objects)  # type: ignore[assignment]


class Env(_EnvWrapper):
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


def build_env(config: WorkerConfig, host: BindingHost) -> Env:
    """Vars and secrets, then every provider's bindings (a binding wins over a same-named var)."""
    values: dict[str, Any] = config.env_values()
    for provider in PROVIDERS:
        values.update(provider.build(config, host))
    return Env(values)


def describe_bindings(config: WorkerConfig, host: BindingHost) -> list[str]:
    """One line per binding, for the start-up table."""
    return [line for provider in PROVIDERS for line in provider.describe(config, host)]
