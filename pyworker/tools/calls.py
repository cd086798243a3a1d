"""Calls a worker's source makes through its bindings (``self.env.B.name(...)``, ``env.B.name(...)``), read
from the syntax tree: nothing runs, so a call in a branch no test reaches is found too."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# Folders of a worker's tree that hold other people's code, never its own calls.
_SKIPPED = frozenset({"__pycache__", "node_modules", "python_modules", "vendor", "site-packages"})


@dataclass(frozen=True, order=True)
class BindingCall:
    """``env.<binding>.<method>(...)`` at ``file`` (relative to the worker's directory), ``line``."""

    binding: str
    method: str
    file: str
    line: int
    text: str  # the callee as written, e.g. ``self.env.WORKER_B.add``


def binding_calls(root: Path, relative_to: Path, bindings: set[str] | None = None) -> list[BindingCall]:
    """Every call through one of ``bindings`` (``None``: any name on env) in the ``.py`` files under ``root``,
    in file and line order."""
    found: list[BindingCall] = []
    for path in sorted(_sources(root)):
        try:
            tree = ast.parse(path.read_bytes(), filename=str(path))
        except (SyntaxError, ValueError, OSError):
            continue  # the import reports a broken file; its calls cannot be read
        shown = _relative(path, relative_to)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            call = _binding_call(node, bindings)
            if call is not None:
                binding, method, text = call
                found.append(BindingCall(binding, method, shown, node.lineno, text))
    return sorted(found, key=lambda c: (c.file, c.line, c.binding, c.method))


def _sources(root: Path) -> Iterator[Path]:
    if not root.is_dir():
        return
    for path in root.iterdir():
        if path.name.startswith(".") or path.name in _SKIPPED:
            continue
        if path.is_dir() and not path.is_symlink():
            yield from _sources(path)
        elif path.suffix == ".py" and path.is_file():
            yield path


def _relative(path: Path, base: Path) -> str:
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return path.as_posix()


def _binding_call(node: ast.Call, bindings: set[str] | None) -> tuple[str, str, str] | None:
    """``(binding, method, text)`` when ``node`` is ``<...>env.<binding>.<method>(...)``."""
    if not isinstance(node.func, ast.Attribute):
        return None
    stub = node.func.value
    if not isinstance(stub, ast.Attribute) or not _is_env(stub.value) or stub.attr.startswith("_"):
        return None
    if bindings is not None and stub.attr not in bindings:
        return None
    return stub.attr, node.func.attr, ast.unparse(node.func)


def _is_env(node: ast.expr) -> bool:
    """``env``, ``self.env``, ``workers.env``, ``request.scope["env"]``: an expression naming the worker's env."""
    if isinstance(node, ast.Name):
        return node.id == "env"
    if isinstance(node, ast.Attribute):
        return node.attr == "env"
    if isinstance(node, ast.Subscript):
        return isinstance(node.slice, ast.Constant) and node.slice.value in ("env", "workers.env")
    return False
