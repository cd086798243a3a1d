"""Bindings pyworker knows but does not emulate (AI, Vectorize, Browser...): an object on ``env`` whose use says so.

A worker declaring ``ai = { binding = "AI" }`` finds ``env.AI``; reading any attribute of it
or calling it raises :class:`~pyworker.errors.BindingNotEmulated`, one line naming the binding,
its kind, whether ``wrangler dev`` runs it locally or only against your Cloudflare account
(Cloudflare's "Supported bindings per development mode" table), and how to work without it.
Kinds that other modules emulate (services, KV, D1, R2, Workflows, and Durable Objects, queues and assets
where their modules are present) are not listed here.
"""

from __future__ import annotations

from typing import Any, NoReturn

from pyworker.bindings.provider import BindingHost
from pyworker.config.model import WorkerConfig
from pyworker.errors import BindingNotEmulated

KEY = "placeholders"

# config key -> (what Cloudflare calls it, the key naming the binding, remote-only under wrangler dev too)
KINDS: dict[str, tuple[str, str, bool]] = {
    "ai": ("Workers AI", "binding", True),
    "vectorize": ("Vectorize", "binding", True),
    "mtls_certificates": ("mTLS certificate", "binding", True),
    "dispatch_namespaces": ("dispatch namespace (Workers for Platforms)", "binding", True),
    "browser": ("Browser Rendering", "binding", False),
    "worker_loaders": ("Worker Loader", "binding", False),
    "version_metadata": ("version metadata", "binding", False),
    "hyperdrive": ("Hyperdrive", "binding", False),
    "analytics_engine_datasets": ("Analytics Engine", "binding", False),
    "images": ("Images", "binding", False),
    "ratelimits": ("Rate Limiting", "name", False),
    "secrets_store_secrets": ("Secrets Store secret", "binding", False),
    "pipelines": ("Pipelines", "binding", False),
    "send_email": ("Email (send_email)", "name", False),
}


def bindings(config: WorkerConfig) -> list[tuple[str, str]]:
    """(binding name, config key) for each binding of a kind pyworker does not emulate."""
    found = []
    for key, (_, name_key, _) in KINDS.items():
        value = config.extra.get(key)
        for entry in value if isinstance(value, list) else [value] if isinstance(value, dict) else []:
            name = entry.get(name_key) if isinstance(entry, dict) else None
            if isinstance(name, str) and name.isidentifier():
                found.append((name, key))
    return found


def message(worker: str, where: str, binding: str, key: str) -> str:
    """The one line every use of the placeholder raises."""
    kind, _, remote = KINDS[key]
    if remote:
        local = (
            "it is remote-only on Cloudflare too: wrangler dev has no local simulation of it either and reaches "
            "the real one in your account only with remote = true on the binding"
        )
    else:
        local = "wrangler dev simulates it locally, so run this worker under wrangler dev to use it"
    return (
        f'env.{binding} of worker "{worker}" is a {kind} binding ("{key}" in {where}), which pyworker does not '
        f"emulate; {local}. To develop here without it, give your code a stand-in object with the methods it "
        f"calls on env.{binding}."
    )


class NotEmulatedBinding:
    """``env.NAME`` for a binding pyworker does not emulate: it exists, and every use raises one line."""

    __slots__ = ("_message",)

    def __init__(self, text: str) -> None:
        object.__setattr__(self, "_message", text)

    def _refuse(self) -> NoReturn:
        raise BindingNotEmulated(object.__getattribute__(self, "_message"))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        self._refuse()

    def __call__(self, *args: Any, **kwargs: Any) -> NoReturn:
        self._refuse()

    def __await__(self) -> Any:
        self._refuse()

    def __iter__(self) -> Any:
        self._refuse()

    def __repr__(self) -> str:
        return f"<binding pyworker does not emulate: {object.__getattribute__(self, '_message').split(' ', 1)[0]}>"


def build(config: WorkerConfig, host: BindingHost) -> dict[str, Any]:
    where = config.config_path.name
    return {name: NotEmulatedBinding(message(config.name, where, name, key)) for name, key in bindings(config)}


def describe(config: WorkerConfig, host: BindingHost) -> list[str]:
    """``AI -> Workers AI (not emulated; remote-only)`` for the start-up table."""
    lines = []
    for name, key in bindings(config):
        kind, _, remote = KINDS[key]
        lines.append(f"{name} -> {kind} (not emulated{'; remote-only' if remote else ''})")
    return lines
