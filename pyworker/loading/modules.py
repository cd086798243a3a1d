"""Per-worker module isolation.

Each loaded worker gets a unique package prefix (``_pyworker_worker_a_1``) whose
``__path__`` is the worker's import root, so its ``utils.py`` becomes
``_pyworker_worker_a_1.utils`` and never collides with another worker's. The
worker's modules run with their own ``__builtins__`` whose ``__import__`` sends
top-level names that exist in the import root to the prefixed package; imports
done lazily inside functions resolve the same way. ``sys.path`` is never touched.
"""

from __future__ import annotations

import builtins
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import CodeType, ModuleType
from typing import Any

# What `import workers` / `import asgi` mean inside worker code.
SDK_ALIASES: Mapping[str, str] = {
    "workers": "pyworker.sdk.workers",
    "asgi": "pyworker.sdk.asgi",
}

_real_import = builtins.__import__


def _find_elsewhere(name: str) -> importlib.machinery.ModuleSpec | None:
    try:
        return importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None


class _WorkerSourceLoader(importlib.machinery.SourceFileLoader):
    """Loads a worker module with the worker's own ``__builtins__``."""

    def __init__(self, fullname: str, path: str, worker_builtins: dict[str, Any]) -> None:
        super().__init__(fullname, path)
        self._builtins = worker_builtins

    def exec_module(self, module: ModuleType) -> None:
        module.__dict__["__builtins__"] = self._builtins
        super().exec_module(module)

    def get_code(self, fullname: str) -> CodeType:
        # Always compile from source: .pyc files are validated by mtime in whole
        # seconds, so two quick saves of the same size could run stale bytecode.
        source = self.get_data(self.path)
        return compile(source, self.path, "exec", dont_inherit=True)


class WorkerModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """The import namespace of one worker generation. Install, import main, and uninstall."""

    def __init__(self, worker_name: str, import_root: Path, generation: int) -> None:
        slug = re.sub(r"\W", "_", worker_name)
        self.prefix = f"_pyworker_{slug}_{generation}"
        self.root = import_root
        self.builtins: dict[str, Any] = dict(builtins.__dict__)
        self.builtins["__import__"] = self._import
        self._targets: dict[str, str | None] = dict(SDK_ALIASES)

    # -- lifecycle -----------------------------------------------------------------
    def install(self) -> None:
        sys.meta_path.insert(0, self)

    def uninstall(self) -> None:
        """Forget this generation's modules; objects already holding them keep working."""
        if self in sys.meta_path:
            sys.meta_path.remove(self)
        for name in [n for n in sys.modules if n == self.prefix or n.startswith(self.prefix + ".")]:
            del sys.modules[name]

    def import_main(self, main: Path) -> ModuleType:
        """Import the worker's ``main`` module (which must live in the import root)."""
        relative = main.relative_to(self.root).with_suffix("")
        return importlib.import_module(".".join((self.prefix, *relative.parts)))

    # -- import hook -----------------------------------------------------------------
    def _import(
        self,
        name: str,
        globals: Mapping[str, Any] | None = None,
        locals: Mapping[str, Any] | None = None,
        fromlist: Sequence[str] | None = (),
        level: int = 0,
    ) -> ModuleType:
        if level == 0:
            head, dot, rest = name.partition(".")
            target = self._target(head)
            if target is not None:
                module = _real_import(target + dot + rest, globals, locals, fromlist, 0)
                return module if fromlist else sys.modules[target]
        return _real_import(name, globals, locals, fromlist, level)

    def _target(self, head: str) -> str | None:
        try:
            return self._targets[head]
        except KeyError:
            pass
        local = (self.root / f"{head}.py").is_file() or (self.root / head / "__init__.py").is_file()
        if not local and (self.root / head).is_dir():
            # A bare directory is a namespace package, which (as on sys.path) loses to a
            # regular module of the same name anywhere else: `src/http/` must not hide `http`.
            local = _find_elsewhere(head) is None
        target = f"{self.prefix}.{head}" if local else None
        self._targets[head] = target
        return target

    # -- MetaPathFinder / Loader for the prefix package ------------------------------
    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname == self.prefix:
            spec = importlib.machinery.ModuleSpec(fullname, self, is_package=True)
            spec.submodule_search_locations = [str(self.root)]
            return spec
        if not fullname.startswith(self.prefix + "."):
            return None
        found = importlib.machinery.PathFinder.find_spec(fullname, path)
        if found is None or not isinstance(found.loader, importlib.machinery.SourceFileLoader):
            return found  # namespace packages, extension modules: nothing to rewrite
        assert found.origin is not None
        loader = _WorkerSourceLoader(fullname, found.origin, self.builtins)
        return importlib.util.spec_from_file_location(
            fullname, found.origin, loader=loader, submodule_search_locations=found.submodule_search_locations
        )

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        module.__dict__["__builtins__"] = self.builtins
