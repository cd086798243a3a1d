"""``pyworker workflows list|describe|trigger`` and ``workflows instances list|describe|terminate|...``.

Spelled as wrangler's ``workflows`` commands, on the local state the dev server uses. They
write the Workflow's SQLite file directly; a running ``pyworker dev`` notices within half a
second (a triggered instance starts, a terminated one stops), and one started later resumes
what is queued.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

import click

from pyworker.bindings.jsapi import to_python
from pyworker.bindings.workflows.binding import _ID, MAX_ID
from pyworker.bindings.workflows.provider import declarations
from pyworker.commands.output import box_table
from pyworker.commands.project import Project
from pyworker.config import WorkerConfig
from pyworker.errors import CommandError
from pyworker.storage import structured
from pyworker.storage.host import Storage
from pyworker.storage.workflows import FINISHED, Instance, WorkflowStore, load

STATUS_EMOJI = {
    "queued": "🔄 Queued", "running": "▶ Running", "paused": "⏸️ Paused", "errored": "❌ Errored",
    "terminated": "🚫 Terminated", "complete": "✅ Completed", "waiting": "⏰ Waiting",
    "waitingForPause": "⏱️ Waiting for Pause", "unknown": "❓ Unknown",
}  # fmt: skip


def _declared(workers: list[WorkerConfig]) -> dict[str, tuple[str, str]]:
    """Workflow name -> (class name, worker it runs in), over every worker of the project."""
    found: dict[str, tuple[str, str]] = {}
    for worker in workers:
        for _binding, name, class_name, script in declarations(worker):
            found.setdefault(name, (class_name, script))
    return found


def _store(storage: Storage, workers: list[WorkerConfig], name: str) -> WorkflowStore:
    if name not in _declared(workers):
        known = ", ".join(sorted(_declared(workers))) or "none"
        raise CommandError(f'No Workflow named "{name}" in the configs given (declared: {known}).')
    return WorkflowStore(storage, name)


def _created(instance: Instance) -> str:
    return datetime.datetime.fromtimestamp(instance.created / 1000).strftime("%Y-%m-%d %H:%M:%S")


def list_workflows(project: Project) -> None:
    async def work(storage: Storage, workers: list[WorkerConfig]) -> None:
        declared = _declared(workers)
        if not declared:
            click.echo("There are no Workflows in the configs given.", err=True)
            return
        s = "s" if len(declared) > 1 else ""
        click.echo(f"Showing {len(declared)} workflow{s}:")
        rows = [[name, script, cls] for name, (cls, script) in sorted(declared.items())]
        click.echo(box_table(["Name", "Script name", "Class name"], rows))

    project.run(work)


def describe(project: Project, name: str) -> None:
    async def work(storage: Storage, workers: list[WorkerConfig]) -> None:
        store = _store(storage, workers, name)
        instances = await store.instances()
        class_name, script = _declared(workers)[name]
        click.echo(f"Workflow {name}: class {class_name} in worker {script}, state {storage.state.display(store.path)}")
        counts = {status: sum(1 for i in instances if i.status == status) for status in STATUS_EMOJI}
        rows = [[STATUS_EMOJI[status], str(count)] for status, count in counts.items() if count]
        click.echo(box_table(["Status", "Instances"], rows or [["(none)", "0"]]))

    project.run(work)


def trigger(project: Project, name: str, params: str, instance_id: str | None) -> None:
    try:
        parsed: Any = json.loads(params) if params else {}
    except json.JSONDecodeError as exc:
        raise CommandError(f"PARAMS must be JSON, got {params!r}: {exc.msg}.") from None
    chosen = instance_id or _new_id()
    if len(chosen) > MAX_ID or not _ID.match(chosen):
        raise CommandError(f'"{chosen}" is not a valid instance id: letters, digits, - and _, at most {MAX_ID}.')

    async def work(storage: Storage, workers: list[WorkerConfig]) -> None:
        store = _store(storage, workers, name)
        if not await store.create(chosen, structured.encode(to_python(parsed))):
            raise CommandError(f'Workflow "{name}" already has an instance "{chosen}".')
        click.echo(f'🚀 Workflow instance "{chosen}" has been queued successfully')

    project.run(work)


def instances_list(project: Project, name: str, status: str | None, reverse: bool) -> None:
    async def work(storage: Storage, workers: list[WorkerConfig]) -> None:
        found = await _store(storage, workers, name).instances()
        found = [i for i in found if status is None or i.status == status]
        if not found:
            click.echo(
                f'There are no instances in workflow "{name}". '
                f'You can trigger it with "pyworker workflows trigger {name}"',
                err=True,
            )
            return
        ordered = found if reverse else list(reversed(found))
        s = "s" if len(found) > 1 else ""
        click.echo(f"Showing {len(found)} instance{s}:")
        rows = [[i.id, _created(i), STATUS_EMOJI.get(i.status, i.status)] for i in ordered]
        click.echo(box_table(["Instance ID", "Created", "Status"], rows))

    project.run(work)


def instances_describe(project: Project, name: str, instance_id: str) -> None:
    async def work(storage: Storage, workers: list[WorkerConfig]) -> None:
        store = _store(storage, workers, name)
        instance = await _instance(store, name, instance_id)
        rows = [["Instance ID", instance.id], ["Status", STATUS_EMOJI.get(instance.status, instance.status)],
                ["Created", _created(instance)], ["Params", _json(instance.params)]]  # fmt: skip
        if instance.output is not None:
            rows.append(["Output", _json(instance.output)])
        if instance.error is not None:
            error = load(instance.error)
            rows.append(["Error", f"{error['name']}: {error['message']}"])
        click.echo(box_table(["Field", "Value"], rows))

    project.run(work)


def instances_change(project: Project, name: str, instance_id: str, action: str) -> None:
    """``terminate``, ``pause``, ``resume`` or ``restart`` an instance."""

    async def work(storage: Storage, workers: list[WorkerConfig]) -> None:
        store = _store(storage, workers, name)
        instance = await _instance(store, name, instance_id)
        if action == "terminate":
            if instance.status in FINISHED:
                raise CommandError(f'Instance "{instance.id}" is {instance.status}: it cannot be terminated.')
            await store.set_status(instance.id, "terminated")
            click.echo(f'🥷 The instance "{instance.id}" from {name} was terminated successfully')
        elif action == "pause":
            if instance.status not in FINISHED:
                await store.set_status(instance.id, "paused")
            click.echo(f'⏸️ The instance "{instance.id}" from {name} was paused successfully')
        elif action == "resume":
            if instance.status == "paused":
                await store.set_status(instance.id, "queued")
            click.echo(f'🔄 The instance "{instance.id}" from {name} was resumed successfully')
        else:
            await store.restart(instance.id)
            click.echo(f'🥷 The instance "{instance.id}" from {name} was restarted successfully')

    project.run(work)


async def _instance(store: WorkflowStore, name: str, instance_id: str) -> Instance:
    if instance_id == "latest":
        found = await store.instances()
        if not found:
            raise CommandError(f'There are no instances in workflow "{name}"')
        return found[-1]
    instance = await store.get(instance_id)
    if instance is None:
        raise CommandError(f'Workflow "{name}" has no instance "{instance_id}".')
    return instance


def _new_id() -> str:
    import uuid

    return str(uuid.uuid4())


def _json(data: bytes) -> str:
    return json.dumps(_plain(load(data)), ensure_ascii=False, default=str)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | set):
        return [_plain(v) for v in value]
    return value
