"""What ``pyworker check`` reads of each worker and what it found: the model :mod:`pyworker.tools.check` fills in."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pyworker.config.files import display_path
from pyworker.config.model import WorkerConfig
from pyworker.tools.calls import BindingCall, binding_calls
from pyworker.tools.deploy_order import Plan
from pyworker.tools.exports import Exports, exports
from pyworker.tools.kinds import SERVICE, Binding, bindings


@dataclass
class SinceReport:
    """What changed since ``ref``: the changed workers, the order they deploy in, and why."""

    ref: str
    changed: list[str]
    plan: Plan
    notes: list[str] = field(default_factory=list)  # "worker_b gains sub(), which worker_a now calls: ..."
    new: list[str] = field(default_factory=list)  # workers that did not exist at ref


@dataclass(frozen=True)
class CheckOptions:
    """What ``pyworker check`` was asked: the workers, ``-e``, ``--since GIT_REF``, ``--json``."""

    paths: Sequence[Path] = (Path("."),)
    env: str | None = None
    since: str | None = None
    json: bool = False


@dataclass(frozen=True)
class Problem:
    """One finding: ``level`` is ``"error"`` (exit 1) or ``"warning"``; ``text`` names the worker."""

    level: str
    worker: str
    text: str


@dataclass
class Checked:
    """One worker as read: config, exports, bindings (each with a status) and binding calls (each with one)."""

    config: WorkerConfig
    exports: Exports
    bindings: list[tuple[Binding, str]] = field(default_factory=list)
    calls: list[tuple[BindingCall, str]] = field(default_factory=list)
    undeclared: list[BindingCall] = field(default_factory=list)  # env.X.m() where the config declares no X

    @property
    def name(self) -> str:
        return self.config.name


@dataclass
class Report:
    """Everything ``check`` found, rendered by :mod:`pyworker.tools.check_report`."""

    workers: list[Checked]
    plan: Plan
    problems: list[Problem] = field(default_factory=list)
    since: SinceReport | None = None  # with --since

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "warning"]


def read_worker(config: WorkerConfig, generations: itertools.count[int]) -> Checked:
    """Import ``config``'s code in isolation and read its bindings and binding calls (no statuses yet)."""
    found = bindings(config)
    services = {binding.name for binding, _ in found if binding.kind == SERVICE}
    declared = {binding.name for binding, _ in found} | set(config.vars) | set(config.secrets)
    calls = binding_calls(config.import_root, config.directory)
    checked = Checked(config, exports(config, generations))
    checked.bindings = [(binding, "") for binding, _ in found]
    checked.calls = [(call, "") for call in calls if call.binding in services]
    checked.undeclared = [call for call in calls if call.binding not in declared]
    return checked


def config_shown(config: WorkerConfig) -> str:
    return display_path(config.config_path)
