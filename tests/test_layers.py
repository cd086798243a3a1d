"""The package's shape: layers import only downwards, no cycles (``TYPE_CHECKING`` imports count),
small modules and functions. ``pytest tests/test_layers.py -s`` prints the import graph."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "pyworker"

# Top to bottom: a module may import from its own layer's package and from layers below it.
LAYERS = [
    ["cli", "__main__"],
    ["serving", "commands", "tools", "testing", "pytest_plugin", "session"],
    ["reload", "interop"],
    ["worker", "worker_setup"],
    ["bindings", "loading", "sdk", "events"],
    ["assets", "queues"],
    ["runtime", "config", "registry", "storage"],
    ["types", "errors", "options", "printer", "tracebacks", "__init__"],
]


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every ``pyworker`` module ``path`` imports, anywhere in the file (``TYPE_CHECKING`` included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("pyworker"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("pyworker") and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def graph() -> dict[str, set[str]]:
    modules = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    return {
        name: {target for target in imports(path) if target in modules and target != name}
        for name, path in modules.items()
    }


def layer(module: str) -> int:
    top = module.split(".")[1] if "." in module else "__init__"
    for index, names in enumerate(LAYERS):
        if top in names:
            return index
    raise AssertionError(f"{module} is in no layer: add it to LAYERS")


def test_print_the_import_graph():
    for name, targets in sorted(graph().items()):
        print(f"{name} -> {', '.join(sorted(targets)) or '(nothing of pyworker)'}")


def test_no_module_imports_a_layer_above_it():
    upward = [
        f"{name} -> {target}" for name, targets in graph().items() for target in targets if layer(target) < layer(name)
    ]
    assert upward == []


def test_no_import_cycle():
    edges = graph()
    seen: set[str] = set()

    def visit(node: str, path: list[str]) -> None:
        if node in path:
            pytest.fail("import cycle: " + " -> ".join([*path[path.index(node) :], node]))
        if node in seen:
            return
        for target in sorted(edges[node]):
            visit(target, [*path, node])
        seen.add(node)

    for node in sorted(edges):
        visit(node, [])


def test_modules_and_functions_stay_small():
    too_big = []
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text()
        if len(text.splitlines()) > 300:
            too_big.append(f"{path.relative_to(PACKAGE)}: {len(text.splitlines())} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > 60:
                    too_big.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name}: {length} lines")
    assert too_big == []
