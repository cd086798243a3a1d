"""``check --since GIT_REF``: Cloudflare's rule for changing deployed workers that bind each other.

A change to a pair goes target first (add the method), then caller (use it), then cleanup
(remove the old one). So a method a caller now uses that its target did not have at
``GIT_REF`` means the target deploys first; a method removed while the caller as it was
at ``GIT_REF`` (what is deployed) still calls it is a warning: remove it only after the
callers are deployed.
"""

from __future__ import annotations

import itertools
from pathlib import Path

from pyworker.config.resolve import load_config
from pyworker.errors import PyworkerError
from pyworker.loading.code import DEFAULT_ENTRYPOINT
from pyworker.tools import history
from pyworker.tools.checked import Checked, Problem, Report, SinceReport, read_worker
from pyworker.tools.deploy_order import Plan, plan
from pyworker.tools.kinds import SERVICE


def _then(worker: Checked, ref: str, env: str | None, generations: itertools.count[int]) -> Checked | None:
    """``worker`` as it was at ``ref``, or ``None`` if it did not exist (or cannot be read) there."""
    top = history.repository(worker.config.directory)
    commit = history.verify(top, ref)
    relative = worker.config.directory.resolve().relative_to(top).as_posix()
    relative = "" if relative == "." else relative
    with history.checkout(top, commit, relative) as old:
        if old is None:
            return None
        config_file = Path(old) / worker.config.config_path.name
        try:
            config = load_config(config_file if config_file.exists() else Path(old), env)
        except PyworkerError:
            return None  # no readable config then: as good as new
        return read_worker(config, generations)


def _methods(worker: Checked | None, entrypoint: str | None) -> frozenset[str] | None:
    if worker is None or worker.exports.error is not None:
        return None
    exported = worker.exports.entrypoints.get(entrypoint or DEFAULT_ENTRYPOINT)
    return None if exported is None else exported.methods


def _binds(worker: Checked, target: str) -> bool:
    """Whether ``worker`` has a binding that needs ``target`` deployed first."""
    return any(b.needs == target for b, _ in worker.bindings)


def _called(worker: Checked, target: str) -> dict[str, set[str]]:
    """RPC methods ``worker`` calls on ``target``, by the entrypoint its binding names."""
    services = {b.name: b for b, _ in worker.bindings if b.kind == SERVICE and b.target == target}
    called: dict[str, set[str]] = {}
    for call, _ in worker.calls:
        if call.binding in services and call.method != "fetch":
            called.setdefault(services[call.binding].entrypoint or DEFAULT_ENTRYPOINT, set()).add(call.method)
    return called


def compare(report: Report, ref: str, env: str | None, generations: itertools.count[int]) -> SinceReport:
    """Read every worker at ``ref`` and apply the rule above; warnings go into ``report.problems``."""
    now = {w.name: w for w in report.workers}
    then = {name: _then(worker, ref, env, generations) for name, worker in now.items()}
    since = SinceReport(ref, [n for n, w in now.items() if then[n] is None or _edited(w, ref)], Plan())
    since.new = [name for name in now if then[name] is None]
    # (worker, reason, worker it must follow): each rule below adds one such edge.
    edges: dict[str, list[tuple[str, str]]] = {name: [] for name in since.changed}
    for caller in now.values():
        for target in now.values():
            if target is caller:
                continue
            if target.name in since.new and _binds(caller, target.name):
                edges.setdefault(caller.name, []).append(("new worker", target.name))
            for method in _gained(caller, target, then[target.name]):
                since.notes.append(
                    f"{target.name} gains {method}(), which {caller.name} now calls: "
                    f"deploy {target.name} before {caller.name}."
                )
                edges.setdefault(caller.name, []).append((f"{method}()", target.name))
            for method in _removed(then[caller.name], target, then[target.name]):
                report.problems.append(
                    Problem(
                        "warning",
                        target.name,
                        f"{target.name} removes {method}(), which {caller.name} as deployed at {ref} still "
                        f"calls: deploy {caller.name} first, and remove {method}() only after it is deployed.",
                    )
                )
                edges.setdefault(target.name, []).append((f"removes {method}()", caller.name))
    since.plan = plan(since.changed, edges)
    for cycle in since.plan.cycles:
        since.notes.append(
            f"{' and '.join(sorted(set(cycle)))} depend on each other's change: deploy in three steps: the target "
            "with its new methods and its old ones kept, then the callers, then the target without the old ones."
        )
    return since


def _edited(worker: Checked, ref: str) -> bool:
    top = history.repository(worker.config.directory)
    return history.changed(top, history.verify(top, ref), worker.config.directory.resolve().relative_to(top).as_posix())


def _gained(caller: Checked, target: Checked, target_then: Checked | None) -> list[str]:
    """Methods ``caller`` calls now that ``target`` defines now but did not at the ref."""
    gained: set[str] = set()
    for entrypoint, methods in _called(caller, target.name).items():
        old, current = _methods(target_then, entrypoint), _methods(target, entrypoint) or frozenset()
        gained |= {m for m in methods if old is not None and m not in old and m in current}
    return sorted(gained)


def _removed(caller_then: Checked | None, target: Checked, target_then: Checked | None) -> list[str]:
    """Methods the caller as it was at the ref calls, which ``target`` had then and no longer defines."""
    if caller_then is None:
        return []
    removed: set[str] = set()
    for entrypoint, methods in _called(caller_then, target.name).items():
        old, current = _methods(target_then, entrypoint) or frozenset(), _methods(target, entrypoint)
        removed |= {m for m in methods if m in old and current is not None and m not in current}
    return sorted(removed)
