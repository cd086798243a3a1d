"""Workflows (``workflows = [{ name, binding, class_name, script_name? }]``): ``env.WF.create(...)`` and friends.

As on Cloudflare, a Workflow is known by its ``name``; its ``class_name`` (a
``WorkflowEntrypoint`` subclass) runs in the worker that declares it, or in the loaded
worker ``script_name`` names. One engine per name serves every worker that binds it and
lives as long as the dev server (see :class:`Engines`), so instances keep running across
reloads and config edits; its instances are stored under ``.wrangler/state/v3/workflows/``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from pyworker.bindings import declared
from pyworker.bindings.provider import BindingHost
from pyworker.config.files import describe as describe_file
from pyworker.config.model import WorkerConfig
from pyworker.errors import ConfigError

if TYPE_CHECKING:
    from pyworker.bindings.workflows.engine import WorkflowEngine

KEY = "workflows"
EXAMPLE = '{ name = "my-workflow", binding = "MY_WORKFLOW", class_name = "MyWorkflow" }'
_NAME = re.compile(r"^[a-zA-Z0-9_][a-zA-Z0-9\-_]{0,63}$")


def declarations(config: WorkerConfig) -> list[tuple[str, str, str, str]]:
    """``(binding, workflow name, class name, hosting worker)`` for each entry, each checked."""
    found = []
    for entry in declared.entries(config, KEY, EXAMPLE):
        name = declared.text(config, KEY, entry, "name", required=True)
        class_name = declared.text(config, KEY, entry, "class_name", required=True)
        script = declared.text(config, KEY, entry, "script_name") or config.name
        assert name is not None and class_name is not None
        if not _NAME.match(name):
            raise ConfigError(
                f'{describe_file(config.config_path)}: workflow "{name}" (binding {entry["binding"]}) has an invalid '
                "name: use at most 64 letters, digits, - and _, starting with a letter, digit or _."
            )
        found.append((entry["binding"], name, class_name, script))
    return found


def build(config: WorkerConfig, host: BindingHost) -> dict[str, Any]:
    pairs = declarations(config)
    if not pairs:
        return {}
    # The engine and its storage only for a worker that declares a Workflow: declarations() is on the
    # start-up path of every dev server (the registry lists bindings to other workers).
    from pyworker.bindings.workflows.binding import WorkflowBinding

    return {binding: WorkflowBinding(binding, _engine(host, name, cls, script)) for binding, name, cls, script in pairs}


def describe(config: WorkerConfig, host: BindingHost) -> list[str]:
    """``WF -> Workflow my-workflow (MyWorkflow in worker_a; .wrangler/state/v3/workflows/...)``."""
    lines = []
    for binding, name, class_name, script in declarations(config):
        worker = host.directory.get(script)
        code = getattr(worker, "code", None)
        if worker is None:
            where = f"worker {script} {host.directory.status(script)}"
        elif code is not None and class_name not in getattr(code, "workflows", {}):
            where = f'no class "{class_name}" in worker {script}'
            host.printer.worker(
                config.name,
                f'Workflow binding {binding}: worker "{script}" does not export a class named "{class_name}". '
                "Export it from its main module (a subclass of workers.WorkflowEntrypoint with "
                "async def run(self, event, step)).",
                "error",
            )
        else:
            where = f"{class_name} in worker {script}"
        state = f"; {host.storage.state.display(host.storage.state.workflow(name))}" if host.storage else ""
        lines.append(f"{binding} -> Workflow {name} ({where}{state})")
    return lines


def _engine(host: BindingHost, name: str, class_name: str, script: str) -> WorkflowEngine:
    from pyworker.bindings.workflows.engine import WorkflowEngine
    from pyworker.storage.workflows import WorkflowStore

    engines = host.workflows
    engine = engines.get(name)
    if not isinstance(engine, WorkflowEngine):
        store = WorkflowStore(host.state(), name)
        engine = WorkflowEngine(name, class_name, script, host.directory, host.printer, store, engines.scale)
        engines.add(engine)
    elif (engine.class_name, engine.script) != (class_name, script):
        host.printer.warning(
            f'Workflow "{name}" is declared twice with different classes ({engine.class_name} in {engine.script}, '
            f"{class_name} in {script}); the first declaration is used."
        )
    return engine
