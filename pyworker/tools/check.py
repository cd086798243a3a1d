"""``pyworker check``: read the configs and code of a set of workers without serving them, and say what
would fail once deployed: bindings to workers or entrypoints that do not exist, calls to methods a
target does not define, and the order a deployment must follow (:mod:`pyworker.tools.deploy_order`).
"""

from __future__ import annotations

import itertools

from pyworker.config.workers import load_workers
from pyworker.loading.code import DEFAULT_ENTRYPOINT, RESERVED_METHODS
from pyworker.options import DevOptions
from pyworker.tools.calls import BindingCall
from pyworker.tools.checked import Checked, CheckOptions, Problem, Report, config_shown, read_worker
from pyworker.tools.deploy_order import plan
from pyworker.tools.kinds import SERVICE, Binding
from pyworker.tools.since import compare


def check(options: CheckOptions) -> Report:
    """Read every worker ``options.paths`` names and check them as a set; see the module docstring."""
    configs = load_workers(DevOptions(paths=options.paths, env=options.env))
    generations = itertools.count(1)
    workers = [read_worker(config, generations) for config in configs]
    report = judge(workers)
    if options.since is not None:
        report.since = compare(report, options.since, options.env, generations)
    return report


def judge(workers: list[Checked]) -> Report:
    """Statuses for every binding and call, the problems, and the deploy order."""
    by_name = {worker.name: worker for worker in workers}
    problems: list[Problem] = []
    for worker in workers:
        problems += [Problem("warning", worker.name, warning) for warning in worker.config.warnings]
        if worker.exports.error is not None:
            problems.append(Problem("error", worker.name, worker.exports.error))
        worker.bindings = [(b, _binding_status(worker, b, by_name, problems)) for b, _ in worker.bindings]
        targets = {b.name: b for b, _ in worker.bindings if b.kind == SERVICE}
        worker.calls = [(c, _call_status(worker, c, targets[c.binding], by_name, problems)) for c, _ in worker.calls]
        problems += [_undeclared(worker, call) for call in worker.undeclared]
    edges = {w.name: [(b.name, b.needs) for b, _ in w.bindings if b.needs] for w in workers}
    deploy = plan([w.name for w in workers], edges)
    for cycle in deploy.cycles:
        first = next(step for step in deploy.steps if step.without and step.worker in cycle)
        problems.append(
            Problem(
                "warning",
                cycle[0],
                f"service bindings form a cycle: {' -> '.join(cycle)}. A first deployment must deploy "
                f"{first.worker} without {', '.join(first.without)}, then deploy it again with "
                f"{'them' if len(first.without) > 1 else 'it'} once the others exist.",
            )
        )
    return Report(workers, deploy, problems)


def _binding_status(worker: Checked, binding: Binding, by_name: dict[str, Checked], problems: list[Problem]) -> str:
    target = by_name.get(binding.needs) if binding.needs else None
    if binding.needs and target is None:
        problems.append(
            Problem(
                "error",
                worker.name,
                f'{worker.name}: binding {binding.name} names worker "{binding.needs}", which is not among the '
                f"checked workers. Check it too (pass its directory), or deploy it before {worker.name}.",
            )
        )
        return "missing worker"
    if not binding.emulated:
        return "not emulated by pyworker"
    if binding.kind != SERVICE or target is None:
        return ""
    if target.exports.error is not None:
        return f"unknown: {target.name} failed to import"
    entrypoint = binding.entrypoint or DEFAULT_ENTRYPOINT
    if entrypoint not in target.exports.entrypoints:
        problems.append(
            Problem(
                "error",
                worker.name,
                f'{worker.name}: binding {binding.name} names entrypoint "{entrypoint}" of {target.name}, which '
                f"{target.name} does not export ({_exported(target)}).",
            )
        )
        return "missing entrypoint"
    return "ok"


def _undeclared(worker: Checked, call: BindingCall) -> Problem:
    return Problem(
        "warning",
        worker.name,
        f"{worker.name} ({call.file}, line {call.line}): {call.text}() uses {call.binding}, which "
        f"{config_shown(worker.config)} does not declare (nor .dev.vars); unless it is a secret set on "
        "Cloudflare, the call fails once deployed.",
    )


def _exported(worker: Checked) -> str:
    names = list(worker.exports.entrypoints)
    return "it exports " + ", ".join(names) if names else "it exports no entrypoint"


def _call_status(
    worker: Checked, call: BindingCall, binding: Binding, by_name: dict[str, Checked], problems: list[Problem]
) -> str:
    target = by_name.get(binding.target)
    if target is None or target.exports.error is not None:
        return "unknown"
    entrypoint = binding.entrypoint or DEFAULT_ENTRYPOINT
    exported = target.exports.entrypoints.get(entrypoint)
    if exported is None:
        return "unknown"
    where = f"{worker.name} ({call.file}, line {call.line})"
    if call.method == "fetch":
        if "fetch" in exported.handlers:
            return "ok"
        problems.append(
            Problem(
                "error",
                worker.name,
                f"{where}: {call.text}() calls {target.name}'s {entrypoint}, which has no fetch handler; "
                "the call would fail once deployed.",
            )
        )
        return "no fetch handler"
    if call.method in exported.methods:
        return "ok"
    if call.method in RESERVED_METHODS:
        return "ok"  # the stub's own methods (connect, dup...): not RPC calls to the target
    problems.append(
        Problem(
            "error",
            worker.name,
            f"{where}: {call.text}() calls a method {target.name}'s {entrypoint} does not define; the call "
            f'would fail once deployed with "The RPC receiver does not implement the method "{call.method}"."',
        )
    )
    return "missing method"
