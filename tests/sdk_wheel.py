"""The public surface of Cloudflare's ``workers-runtime-sdk`` wheel, read with ``ast`` (never imported).

The wheel's package is named ``workers``, like the module pyworker serves to worker code, and
it installs a ``.pth`` file that runs at interpreter start-up, so it is not installed in the test
environment: its files are read where they are. They come from ``$PYWORKER_SDK_WHEEL`` (a
directory holding ``workers/``), else ``/tmp/sdk/wheel``, else ``pip download`` of the pinned
version into a cache directory; tests skip, saying why, when none is available.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

VERSION = "1.9.5"
_CANDIDATES = [os.environ.get("PYWORKER_SDK_WHEEL", ""), "/tmp/sdk/wheel"]


def find_wheel(cache: Path) -> Path | None:
    """A directory with the wheel's ``workers/`` package in it, or ``None``."""
    for candidate in _CANDIDATES:
        if candidate and (Path(candidate) / "workers" / "__init__.py").is_file():
            return Path(candidate)
    target = cache / f"workers_runtime_sdk-{VERSION}"
    if (target / "workers" / "__init__.py").is_file():
        return target
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-q", "-d", str(cache)]
    try:
        subprocess.run([*command, f"workers-runtime-sdk=={VERSION}"], check=True, capture_output=True, timeout=120)
    except (OSError, subprocess.SubprocessError):
        return None
    wheels = sorted(cache.glob(f"workers_runtime_sdk-{VERSION}-*.whl"))
    if not wheels:
        return None
    with zipfile.ZipFile(wheels[0]) as archive:
        archive.extractall(target)
    return target


@dataclass
class Function:
    """A function's parameters as ``(name, kind)``: kind is ``""``, ``"*"``, ``"**"`` or ``"kw"``."""

    params: list[tuple[str, str]]


@dataclass
class Class:
    bases: list[str]
    members: dict[str, Function | None] = field(default_factory=dict)  # None: a property or attribute


def _params(node: ast.FunctionDef | ast.AsyncFunctionDef) -> Function:
    args = node.args
    params = [(a.arg, "") for a in [*args.posonlyargs, *args.args]]
    if args.vararg:
        params.append((args.vararg.arg, "*"))
    params += [(a.arg, "kw") for a in args.kwonlyargs]
    if args.kwarg:
        params.append((args.kwarg.arg, "**"))
    return Function([p for p in params if p[0] not in ("self", "cls")])


def _is_property(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(isinstance(d, ast.Name) and d.id == "property" for d in node.decorator_list)


def _class(node: ast.ClassDef) -> Class:
    found = Class([ast.unparse(base) for base in node.bases])
    for item in node.body:
        if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
            if not item.name.startswith("_") or item.name == "__init__":
                found.members[item.name] = None if _is_property(item) else _params(item)
        elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
            found.members[item.target.id] = None
        elif isinstance(item, ast.Assign):
            for target in item.targets:
                if isinstance(target, ast.Name) and not target.id.startswith("_"):
                    found.members[target.id] = None
    return found


IMPORTED = "imported"


def module_names(path: Path) -> dict[str, Function | Class | str | None]:
    """Every name a module of the wheel defines (None: a plain value) or imports (:data:`IMPORTED`)
    at its top level. A package's ``__init__`` defines what it imports: that is its API."""
    names: dict[str, Function | Class | str | None] = {}
    imported = None if path.name == "__init__.py" else IMPORTED
    tree = ast.parse(path.read_text())
    nodes: list[ast.stmt] = []
    for node in tree.body:  # a top-level try/if (``try: from pyodide.ffi import jsnull``) defines names too
        nodes += (
            [*node.body, *node.orelse, *(h for x in node.handlers for h in x.body)]
            if isinstance(node, ast.Try)
            else [*node.body, *node.orelse]
            if isinstance(node, ast.If)
            else [node]
        )
    for node in nodes:
        if isinstance(node, ast.ClassDef):
            names[node.name] = _class(node)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names[node.name] = _params(node)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                names.setdefault((alias.asname or alias.name).split(".")[0], imported)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    names.setdefault(target.id, None)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.setdefault(node.target.id, None)
    return names


def exported(path: Path) -> list[str]:
    """The ``__all__`` of a module of the wheel."""
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets):
            return list(ast.literal_eval(node.value))
    return []
