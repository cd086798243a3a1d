"""``self.env``: a worker's vars, secrets and bindings, each kind asked of its provider."""

from __future__ import annotations

from typing import Any

from pyworker.bindings import assets, d1, kv, placeholders, queues, r2, service, triggers
from pyworker.bindings.durable_objects import provider as durable_objects
from pyworker.bindings.provider import BindingHost, Provider
from pyworker.bindings.workflows import provider as workflows
from pyworker.config.model import WorkerConfig
from pyworker.runtime.jsobject import js_value
from pyworker.runtime.wrappers import _EnvWrapper

# Every binding kind pyworker emulates. A new kind is a module like `service` and one entry here.
PROVIDERS: tuple[Provider, ...] = (
    placeholders,
    service,
    kv,
    d1,
    r2,
    workflows,
    durable_objects,
    assets,
    queues,
    triggers,
)  # type: ignore[assignment]


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
