"""``pyworker workflows ...``: wrangler's ``workflows`` commands on local state.

The work is done in :mod:`pyworker.commands.workflows`.
"""

from __future__ import annotations

from typing import Any

import click

from pyworker.cli.data import _commands, _project_options


@click.group()
def workflows() -> None:
    """Local Workflows: trigger instances, list, describe and change them."""


@workflows.command("list")
@_project_options
def workflows_list(project: Any) -> None:
    """The Workflows the configs declare."""
    _commands("workflows").list_workflows(project)


@workflows.command("describe")
@click.argument("name")
@_project_options
def workflows_describe(project: Any, name: str) -> None:
    """Workflow NAME: its class and how many instances are in each status."""
    _commands("workflows").describe(project, name)


@workflows.command("trigger")
@click.argument("name")
@click.argument("params", default="")
@click.option("--id", "instance_id", default=None, help="The new instance's id [default: a random UUID].")
@_project_options
def workflows_trigger(project: Any, name: str, params: str, instance_id: str | None) -> None:
    """Queue a new instance of NAME with PARAMS (JSON); a running pyworker dev starts it."""
    _commands("workflows").trigger(project, name, params, instance_id)


@workflows.group("instances")
def workflows_instances() -> None:
    """One Workflow's instances."""


@workflows_instances.command("list")
@click.argument("name")
@click.option("--status", default=None, help="Only instances in this status (queued, running, complete...).")
@click.option("--reverse", is_flag=True, help="Oldest first.")
@_project_options
def workflows_instances_list(project: Any, name: str, status: str | None, reverse: bool) -> None:
    """NAME's instances, newest first."""
    _commands("workflows").instances_list(project, name, status, reverse)


@workflows_instances.command("describe")
@click.argument("name")
@click.argument("instance_id", metavar="ID", default="latest")
@_project_options
def workflows_instances_describe(project: Any, name: str, instance_id: str) -> None:
    """Instance ID (default: the latest) of NAME: status, params, output or error."""
    _commands("workflows").instances_describe(project, name, instance_id)


def _instance_action(action: str, summary: str) -> None:
    @_project_options
    def command(project: Any, name: str, instance_id: str) -> None:
        _commands("workflows").instances_change(project, name, instance_id, action)

    command.__doc__ = summary
    command = click.argument("instance_id", metavar="ID")(command)
    command = click.argument("name")(command)
    registered = workflows_instances.command(action)(command)
    if action == "terminate":  # also `pyworker workflows terminate NAME ID`
        workflows.add_command(registered)


for _action, _summary in (
    ("terminate", "Terminate instance ID of NAME (also: workflows instances terminate)."),
    ("pause", "Pause instance ID of NAME."),
    ("resume", "Resume paused instance ID of NAME."),
    ("restart", "Restart instance ID of NAME from its first step."),
):
    _instance_action(_action, _summary)
