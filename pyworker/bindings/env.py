"""``self.env``: a worker's vars, secrets and bindings, each kind asked of its provider."""

from __future__ import annotations

import importlib
from typing import Any

from pyworker.bindings.provider import BindingHost, Provider
from pyworker.config.model import WorkerConfig
from pyworker.runtime.jsobject import js_value
from pyworker.runtime.wrappers import _EnvWrapper


class _Kind:
    """One binding kind: its provider module, imported the first time a worker's config has its key.

    ``pyworker dev`` on workers without KV, D1, R2, Durable Objects, Workflows, queues or assets
    starts without importing their modules (and SQLite, the asset server...).
    """

    __slots__ = ("KEY", "_always", "_module")

    def __init__(self, key: str, module: str, always: bool = False) -> None:
        self.KEY = key
        self._module = module
        self._always = always  # its bindings do not come from one key (placeholders, services)

    def provider(self) -> Provider:
        module: Provider = importlib.import_module(self._module)
        return module

    def declared(self, config: WorkerConfig) -> bool:
        return self._always or config.extra.get(self.KEY) is not None

    def build(self, config: WorkerConfig, host: BindingHost) -> dict[str, Any]:
        return self.provider().build(config, host) if self.declared(config) else {}

    def describe(self, config: WorkerConfig, host: BindingHost) -> list[str]:
        return self.provider().describe(config, host) if self.declared(config) else []


# Every binding kind pyworker emulates. A new kind is a module like `service` and one entry here.
PROVIDERS: tuple[_Kind, ...] = (
    _Kind("placeholders", "pyworker.bindings.placeholders", always=True),
    _Kind("services", "pyworker.bindings.service", always=True),
    _Kind("kv_namespaces", "pyworker.bindings.kv"),
    _Kind("d1_databases", "pyworker.bindings.d1"),
    _Kind("r2_buckets", "pyworker.bindings.r2"),
    _Kind("workflows", "pyworker.bindings.workflows.provider"),
    _Kind("durable_objects", "pyworker.bindings.durable_objects.provider"),
    _Kind("assets", "pyworker.bindings.assets"),
    _Kind("queues", "pyworker.bindings.queues"),
    _Kind("triggers", "pyworker.bindings.triggers"),
)


_GETATTR = (
    'Read bindings and vars as attributes: self.env.X, or getattr(self.env, "X", None) for one that may be missing.'
)


class Env(_EnvWrapper):
    """The worker's ``env``: only what its own config declares.

    Values are attributes (``env.API_KEY``, ``env.WORKER_B``); ``getattr`` reaches
    names that are not identifiers. As the SDK's ``_EnvWrapper``, it is not subscriptable,
    iterable or sized (the same ``TypeError``, with one sentence added). ``repr`` lists names
    only, never secret values.
    """

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)

    def __contains__(self, name: object) -> bool:
        raise TypeError(f"argument of type '_EnvWrapper' is not iterable. {_GETATTR}")

    def __getitem__(self, name: str) -> Any:
        raise TypeError(f"'_EnvWrapper' object is not subscriptable. {_GETATTR}")

    def __iter__(self) -> Any:
        raise TypeError(f"'_EnvWrapper' object is not iterable. {_GETATTR}")

    def __len__(self) -> int:
        raise TypeError(f"object of type '_EnvWrapper' has no len(). {_GETATTR}")

    def __bool__(self) -> bool:
        return True

    def __repr__(self) -> str:
        return f"Env({', '.join(sorted(self.__dict__))})"


def build_env(config: WorkerConfig, host: BindingHost) -> Env:
    """Vars and secrets, then every provider's bindings (a binding wins over a same-named var)."""
    # A JSON var (a table in wrangler.toml) is a JavaScript object on Cloudflare: env.CONFIG.region.
    values: dict[str, Any] = {name: js_value(value) for name, value in config.env_values().items()}
    for provider in PROVIDERS:
        values.update(provider.build(config, host))
    return Env(values)


def describe_bindings(config: WorkerConfig, host: BindingHost) -> list[str]:
    """One line per binding, for the start-up table."""
    return [line for provider in PROVIDERS for line in provider.describe(config, host)]
