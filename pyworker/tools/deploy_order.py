"""The order a first deployment must follow: every service binding's target before the workers that bind it.

Cloudflare refuses to deploy a worker whose service binding names a worker that does not
exist yet, so targets go first. A cycle cannot be ordered: one worker of it is deployed
first *without* its bindings into the cycle, and again, with them, once the others exist.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Step:
    """Deploy ``worker``; ``without`` are bindings left out until its second deploy (``again``)."""

    worker: str
    without: tuple[str, ...] = ()
    again: bool = False


@dataclass(frozen=True)
class Plan:
    """The steps, and each cycle as the path of workers that closes it (``a -> b -> a``)."""

    steps: list[Step] = field(default_factory=list)
    cycles: list[list[str]] = field(default_factory=list)


def plan(workers: Sequence[str], edges: Mapping[str, Sequence[tuple[str, str]]]) -> Plan:
    """``edges[w]`` are ``(binding, target)`` pairs; targets that are not in ``workers`` (or ``w`` itself) add no order.

    Ties keep the order ``workers`` were given in, so the plan is stable.
    """
    targets = {w: [(b, t) for b, t in edges.get(w, ()) if t in workers and t != w] for w in workers}
    components = _components(workers, {w: [t for _, t in targets[w]] for w in workers})
    deployed: set[str] = set()
    steps: list[Step] = []
    deferred: list[Step] = []
    while len(deployed) < len(workers):
        ready = next((w for w in workers if w not in deployed and all(t in deployed for _, t in targets[w])), None)
        if ready is not None:
            steps.append(Step(ready))
            deployed.add(ready)
            continue
        # Only cycles are left blocking: break the first one whose outside targets are all deployed.
        worker = next(
            w
            for w in workers
            if w not in deployed and all(t in deployed or components[t] == components[w] for _, t in targets[w])
        )
        without = tuple(b for b, t in targets[worker] if t not in deployed)
        steps.append(Step(worker, without))
        deferred.append(Step(worker, without, again=True))
        deployed.add(worker)
    cycles = [_cycle(group, targets) for group in _groups(workers, components) if len(group) > 1]
    return Plan(steps + deferred, cycles)


def _components(workers: Sequence[str], graph: Mapping[str, list[str]]) -> dict[str, int]:
    """Strongly connected components (Tarjan's algorithm, iterative): worker -> component number."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    component: dict[str, int] = {}
    for root in workers:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, child = work.pop()
            if child == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            if child < len(graph[node]):
                work.append((node, child + 1))
                nxt = graph[node][child]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if low[node] == index[node]:
                number = len(set(component.values()))
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component[member] = number
                    if member == node:
                        break
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return component


def _groups(workers: Sequence[str], components: Mapping[str, int]) -> list[list[str]]:
    groups: dict[int, list[str]] = {}
    for worker in workers:
        groups.setdefault(components[worker], []).append(worker)
    return sorted(groups.values(), key=lambda group: workers.index(group[0]))


def _cycle(group: list[str], targets: Mapping[str, list[tuple[str, str]]]) -> list[str]:
    """A shortest path from ``group[0]`` back to itself inside its component (breadth first)."""
    members, start = set(group), group[0]
    paths: dict[str, list[str]] = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for _, target in targets[node]:
            if target == start:
                return [*paths[node], start]
            if target in members and target not in paths:
                paths[target] = [*paths[node], target]
                queue.append(target)
    return [start, start]  # unreachable for a component of two or more
