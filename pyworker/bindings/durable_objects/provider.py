"""The Durable Objects provider: ``env.<NAME>`` namespaces, and the start-up table's lines."""

from __future__ import annotations

from typing import Any

from pyworker.bindings.calls import Side
from pyworker.bindings.durable_objects.config import migration_warning, object_bindings
from pyworker.bindings.durable_objects.namespace import DurableObjectNamespace
from pyworker.bindings.provider import BindingHost
from pyworker.config.model import WorkerConfig

KEY = "durable_objects"


def build(config: WorkerConfig, host: BindingHost) -> dict[str, Any]:
    """One namespace per entry; each class this worker exports is declared with its state directory."""
    bindings = object_bindings(config)
    if not bindings:
        return {}
    storage = host.state()
    state = storage.state
    objects = host.objects
    objects.wire(host.directory, host.printer, storage)
    for binding in bindings:
        if binding.local:
            directory = state.durable_objects(config.name, binding.class_name)
            objects.declare(config.name, binding.class_name, directory, config.compatibility_date or "")
    caller = Side(config.name, host.printer)
    return {binding.binding: DurableObjectNamespace(binding, caller, objects) for binding in bindings}


def describe(config: WorkerConfig, host: BindingHost) -> list[str]:
    """``COUNTER -> Durable Object Counter (.wrangler/state/v3/do/w-Counter)``; an unexported class is an error."""
    bindings = object_bindings(config)
    if not bindings or host.storage is None:
        return []
    warning = migration_warning(config, bindings)
    if warning is not None:
        host.printer.warning(warning)
    state = host.storage.state
    lines = []
    for binding in bindings:
        target = host.directory.get(binding.script)
        where = state.display(state.durable_objects(binding.script, binding.class_name))
        reach = host.directory.status(binding.script)
        if target is None:
            status = f"worker {binding.script} {reach}"
        elif not target.exports(binding.class_name, durable=True):
            status = f"not exported by {binding.script}"
            host.printer.worker(
                config.name,
                f'Durable Object binding {binding.binding}: worker "{binding.script}" does not export a class named '
                f'"{binding.class_name}". Export it from its main module (a subclass of workers.DurableObject).',
                "error",
            )
        else:
            status = where if reach == "connected" else reach  # another process's: its state is its own
        script = "" if binding.local else f" of {binding.script}"
        lines.append(f"{binding.binding} -> Durable Object {binding.class_name}{script} ({status})")
    return lines
