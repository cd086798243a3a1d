"""The binding kinds ``check`` and ``types`` know: one :class:`Kind` each, in :data:`KINDS`.

A kind names its config key, the label ``check`` prints, the type ``types`` writes, and how
its entries are read (through the same readers the providers in :mod:`pyworker.bindings`
use, so a config the dev server refuses is refused here in the same words). A new kind is
one entry; a kind the dev server does not emulate yet is still listed, typed by the SDK's
wrapper class where it has one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pyworker.bindings import d1, declared, kv, r2
from pyworker.bindings.workflows import provider as workflows
from pyworker.config.model import WorkerConfig
from pyworker.config.resolve import NON_INHERITABLE, UNSUPPORTED_BINDINGS

SERVICE = "service"


@dataclass(frozen=True)
class Binding:
    """One name on ``env``: its kind's label, what it reaches, (services) the entrypoint, and the worker
    that must be deployed before this one (``needs``: a service's target, a Durable Object's ``script_name``)."""

    name: str
    kind: str
    target: str
    entrypoint: str | None = None
    emulated: bool = True
    needs: str | None = None


@dataclass(frozen=True)
class Kind:
    """One binding kind: see the module docstring."""

    key: str
    label: str
    annotation: str  # the type of the binding in the stub `pyworker types` writes
    read: Callable[[WorkerConfig], list[Binding]]


def _services(config: WorkerConfig) -> list[Binding]:
    return [Binding(s.binding, SERVICE, s.service, s.entrypoint, needs=s.service) for s in config.services]


def _table(key: str, label: str, example: str, field: str) -> Callable[[WorkerConfig], list[Binding]]:
    def read(config: WorkerConfig) -> list[Binding]:
        found = []
        for entry in declared.entries(config, key, example):
            target = declared.text(config, key, entry, field) or entry["binding"]
            found.append(Binding(entry["binding"], label, target))
        return found

    return read


def _workflows(config: WorkerConfig) -> list[Binding]:
    """A Workflow's class runs in ``script_name`` when given: that worker deploys first."""
    found = []
    for binding, name, _class_name, script in workflows.declarations(config):
        found.append(Binding(binding, "workflow", name, needs=script if script != config.name else None))
    return found


KINDS: tuple[Kind, ...] = (
    Kind("services", SERVICE, "_FetcherWrapper", _services),
    Kind(kv.KEY, "kv", "KVNamespace", _table(kv.KEY, "kv", kv.EXAMPLE, "id")),
    Kind(d1.KEY, "d1", "D1Database", _table(d1.KEY, "d1", d1.EXAMPLE, "database_name")),
    Kind(r2.KEY, "r2", "R2Bucket", _table(r2.KEY, "r2", r2.EXAMPLE, "bucket_name")),
    Kind(workflows.KEY, "workflow", "_WorkflowBindingWrapper", _workflows),
)

# The SDK's wrapper class for kinds pyworker does not emulate yet (others are typed Any).
_NOT_EMULATED_TYPES = {
    "durable_objects": "_DurableObjectNamespaceWrapper",
}


def _other_kinds(config: WorkerConfig) -> list[tuple[Binding, str]]:
    """Bindings of every other kind the config layer knows, found wherever they nest; ``emulated`` is
    whether the dev server serves the kind (a kind it starts to serve stays listed until it gets an entry)."""
    found: list[tuple[Binding, str]] = []
    known = {kind.key for kind in KINDS} | {"vars", "define"}
    for key in sorted((NON_INHERITABLE | set(UNSUPPORTED_BINDINGS)) - known):
        annotation = _NOT_EMULATED_TYPES.get(key, "Any")
        for entry in _tables(config.extra.get(key)):
            name = entry.get("binding") or entry.get("name")
            script = entry.get("script_name")
            if isinstance(name, str) and name.isidentifier():
                needs = script if isinstance(script, str) and script else None
                emulated = key not in UNSUPPORTED_BINDINGS
                found.append((Binding(name, key, needs or "", emulated=emulated, needs=needs), annotation))
    return found


def _tables(value: Any) -> list[dict[str, Any]]:
    """``{binding = ...}`` tables in ``value``: a table, a list of them, or a table of lists (``bindings``)."""
    if isinstance(value, list):
        return [table for item in value for table in _tables(item)]
    if not isinstance(value, dict):
        return []
    if isinstance(value.get("binding"), str) or isinstance(value.get("class_name"), str):
        return [value]  # a Durable Object binding is { name = "COUNTER", class_name = "Counter" }
    return [table for key in ("bindings", "producers") for table in _tables(value.get(key))]


def bindings(config: WorkerConfig) -> list[tuple[Binding, str]]:
    """Every binding ``config`` declares, each with the type ``types`` writes for it, in table order."""
    found = [(binding, kind.annotation) for kind in KINDS for binding in kind.read(config)]
    return found + _other_kinds(config)
