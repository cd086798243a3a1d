"""What ``pyworker check`` prints: one block per worker, the deploy order, the problems; or all of it as JSON."""

from __future__ import annotations

import json
from typing import Any

from pyworker.printer import Printer, escape
from pyworker.tools.checked import Checked, Report, config_shown
from pyworker.tools.deploy_order import Plan
from pyworker.tools.kinds import SERVICE, Binding


def text_lines(report: Report) -> list[str]:
    """The report as the terminal shows it (see the README's ``pyworker check`` section)."""
    lines: list[str] = []
    for worker in report.workers:
        lines += _worker_lines(worker)
    lines += ["Deploy order (targets first):", *_plan_lines(report.plan)]
    since = report.since
    if since is not None:
        changed = ", ".join(since.changed) if since.changed else "nothing"
        lines.append(f"Since {since.ref}: changed {changed}.")
        lines += [f"  {note}" for note in since.notes]
        if since.changed:
            lines += ["Deploy order of the changes:", *_plan_lines(since.plan)]
    lines += [f"{problem.level.capitalize()}: {problem.text}" for problem in report.problems]
    lines.append(_summary(report))
    return lines


def _worker_lines(worker: Checked) -> list[str]:
    lines = [f"{worker.name} ({config_shown(worker.config)})"]
    if worker.exports.error is not None:
        lines.append("  entrypoints: unknown, the import failed")
    elif not worker.exports.entrypoints:
        lines.append("  entrypoints: none")
    for name, exported in worker.exports.entrypoints.items():
        handlers = f" ({', '.join(exported.handlers)})" if exported.handlers else ""
        methods = f": {', '.join(sorted(exported.methods))}" if exported.methods else ""
        lines.append(f"  entrypoint {name}{handlers}{methods}")
    lines += [f"  var {name}" for name in worker.config.vars]
    lines += [f"  secret {name}" for name in worker.config.secrets if name not in worker.config.vars]
    for binding, status in worker.bindings:
        lines.append(f"  binding {binding.name}: {_target(binding)}" + (f", {status}" if status else ""))
    for call, status in worker.calls:
        lines.append(f"  call {call.text}() at {call.file}:{call.line}, {status}")
    return lines


def _target(binding: Binding) -> str:
    if binding.kind == SERVICE:
        return f"service {binding.target}" + (f" ({binding.entrypoint})" if binding.entrypoint else "")
    return f"{binding.kind} {binding.target}".rstrip()


def _plan_lines(plan: Plan) -> list[str]:
    lines = []
    for number, step in enumerate(plan.steps, 1):
        if step.again:
            note = f" again, with {', '.join(step.without)}"
        elif step.without:
            note = f" without {', '.join(step.without)} (a cycle: added in step {_again(plan, step.worker)})"
        else:
            note = ""
        lines.append(f"  {number}. {step.worker}{note}")
    return lines


def _again(plan: Plan, worker: str) -> int:
    return next(n for n, step in enumerate(plan.steps, 1) if step.again and step.worker == worker)


def _summary(report: Report) -> str:
    count = len(report.workers)
    workers = f"{count} worker{'s' if count != 1 else ''}"
    if not report.problems:
        return f"Checked {workers}: no problems."
    errors, warnings = len(report.errors), len(report.warnings)
    parts = [f"{errors} error{'s' if errors != 1 else ''}"] if errors else []
    parts += [f"{warnings} warning{'s' if warnings != 1 else ''}"] if warnings else []
    return f"Checked {workers}: {', '.join(parts)}."


def as_json(report: Report) -> dict[str, Any]:
    """The report for machines: the same facts, keyed."""
    data: dict[str, Any] = {
        "workers": [_worker_json(worker) for worker in report.workers],
        "deploy_order": _plan_json(report.plan),
        "cycles": report.plan.cycles,
        "errors": [{"worker": p.worker, "message": p.text} for p in report.errors],
        "warnings": [{"worker": p.worker, "message": p.text} for p in report.warnings],
        "since": None,
    }
    since = report.since
    if since is not None:
        data["since"] = {
            "ref": since.ref,
            "changed": since.changed,
            "new": since.new,
            "notes": since.notes,
            "deploy_order": _plan_json(since.plan),
        }
    return data


def _worker_json(worker: Checked) -> dict[str, Any]:
    return {
        "name": worker.name,
        "config": config_shown(worker.config),
        "load_error": worker.exports.error,
        "entrypoints": {
            name: {"handlers": list(e.handlers), "methods": sorted(e.methods)}
            for name, e in worker.exports.entrypoints.items()
        },
        "vars": list(worker.config.vars),
        "secrets": [name for name in worker.config.secrets if name not in worker.config.vars],
        "bindings": [
            {"name": b.name, "kind": b.kind, "target": b.target, "entrypoint": b.entrypoint, "status": status}
            for b, status in worker.bindings
        ],
        "calls": [
            {"binding": c.binding, "method": c.method, "file": c.file, "line": c.line, "status": status}
            for c, status in worker.calls
        ],
    }


def _plan_json(plan: Plan) -> list[dict[str, Any]]:
    return [{"worker": s.worker, "without": list(s.without), "again": s.again} for s in plan.steps]


def show(report: Report, printer: Printer, machine: bool) -> None:
    """Print ``report``: text lines, or one JSON document."""
    if machine:
        printer.write(json.dumps(as_json(report), indent=2))
        return
    for line in text_lines(report):
        printer.write(escape(line))
