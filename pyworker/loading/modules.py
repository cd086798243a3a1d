"""One worker generation's import namespace.

Each loaded generation gets a unique package prefix (``_pyworker_worker_a_1``) whose
``__path__`` is the worker's import root, so its ``utils.py`` is stored as
``_pyworker_worker_a_1.utils`` and never collides with another worker's or generation's.
The module's ``__name__`` is its bare name (``utils``), as on Cloudflare. The worker's
modules run with their own ``__builtins__`` whose ``__import__`` sends top-level names
that exist in the import root (and ``workers``, ``asgi``, ``js``, ``pyodide``) straight to
the real modules; imports done lazily inside functions resolve the same way. Every other
import path (``importlib``, ``pickle``, libraries) goes through :mod:`pyworker.loading.router`.
``sys.path`` is never touched.
"""

from __future__ import annotations

import builtins
import importlib
import importlib.machinery
import importlib.util
import os
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import CodeType, ModuleType
from typing import TYPE_CHECKING, Any, cast

from pyworker.loading.bare import BareModule, find_outside
from pyworker.loading.environ import Changes
from pyworker.loading.router import ImportRouter, bare_error
from pyworker.loading.settle import Reads, record

# What `import workers` / `import js` ... mean inside worker code.
SDK_ALIASES: Mapping[str, str] = {
    "workers": "pyworker.sdk.workers",
    "asgi": "pyworker.sdk.asgi",
    "js": "pyworker.sdk.js",
    "pyodide": "pyworker.sdk.pyodide",
}

if TYPE_CHECKING:
    from importlib.abc import Loader

_real_import = builtins.__import__


class _WorkerSourceLoader(importlib.machinery.SourceFileLoader):
    """Loads a worker module with the worker's own ``__builtins__`` and its bare ``__name__``."""

    def __init__(self, fullname: str, path: str, namespace: WorkerModules) -> None:
        super().__init__(fullname, path)
        self._namespace = namespace

    def exec_module(self, module: ModuleType) -> None:
        namespace = self._namespace
        bare = self.name[len(namespace.prefix) + 1 :]
        module.__dict__["__builtins__"] = namespace.builtins
        module.__name__ = bare
        namespace.modules[bare] = module
        if namespace.router is not None:
            namespace.router.expose(bare)
        try:
            super().exec_module(module)
        except BaseException:
            namespace.modules.pop(bare, None)
            raise

    def get_code(self, fullname: str) -> CodeType:
        # Always compile from source: .pyc files are validated by mtime in whole
        # seconds, so two quick saves of the same size could run stale bytecode.
        before = os.stat(self.path)
        source = self.get_data(self.path)
        record(self._namespace.reads, self.path, source, before)
        return compile(source, self.path, "exec", dont_inherit=True)


class WorkerModules:
    """The import namespace of one worker generation. Install, import main, and uninstall.
    A loader by its methods (``create_module``, ``exec_module``), without ``importlib.abc`` (as the router).

    ``modules`` maps bare names to this generation's modules (and the SDK modules it
    imported); ``environ`` holds its changes to ``os.environ``.
    """

    def __init__(self, worker_name: str, import_root: Path, generation: int, extra: Sequence[Path] = ()) -> None:
        slug = re.sub(r"\W", "_", worker_name)
        self.worker = worker_name
        self.prefix = f"_pyworker_{slug}_{generation}"
        self.root = import_root
        # The import root, then python_modules/ and vendor/ (pyworker.loading.paths), as on sys.path there.
        self.search = [import_root, *extra]
        self.builtins: dict[str, Any] = dict(builtins.__dict__)
        self.builtins["__import__"] = self._import
        self.modules: dict[str, ModuleType] = {}
        self.environ: Changes = {}
        self.router: ImportRouter | None = None
        self.reads: Reads = {}  # the source files this generation read (pyworker.loading.settle)
        self._targets: dict[str, str | None] = dict(SDK_ALIASES)

    # -- lifecycle -----------------------------------------------------------------
    def install(self) -> None:
        self.router = ImportRouter.installed(SDK_ALIASES)
        # Another server in this process (pyworker.testing) may run a worker of the same name from another
        # directory: its generation keeps its prefix, this one takes the next free one (_pyworker_api_1_2).
        base, copy = self.prefix, 1
        while self.prefix in self.router.generations:
            copy += 1
            self.prefix = f"{base}_{copy}"
        self.router.register(self)

    def uninstall(self) -> None:
        """Forget this generation's modules; objects already holding them keep working."""
        if self.router is not None:
            self.router.unregister(self)
            self.router = None
        for name in [n for n in list(sys.modules) if n == self.prefix or n.startswith(self.prefix + ".")]:
            del sys.modules[name]

    def import_main(self, main: Path) -> ModuleType:
        """Import the worker's ``main`` module (which must live in the import root)."""
        relative = main.relative_to(self.root).with_suffix("")
        return importlib.import_module(".".join((self.prefix, *relative.parts)))

    # -- names -----------------------------------------------------------------------
    def owns(self, head: str) -> bool:
        """Whether top-level name ``head`` is one of this worker's own modules."""
        target = self._target(head)
        return target is not None and target.startswith(self.prefix)

    def resolve(self, bare: str) -> ModuleType | None:
        """This generation's module for a bare name, imported now if need be; ``None`` if not its name."""
        module = self.modules.get(bare)
        if module is not None:
            return module
        head, dot, rest = bare.partition(".")
        target = self._target(head)
        if target is None:
            return None
        try:
            module = importlib.import_module(target + dot + rest)
        except ModuleNotFoundError as exc:
            raise bare_error(exc, self.prefix) from None
        self.modules[bare] = module
        return module

    def _target(self, head: str) -> str | None:
        try:
            return self._targets[head]
        except KeyError:
            pass
        local = any((d / f"{head}.py").is_file() or (d / head / "__init__.py").is_file() for d in self.search)
        if not local and any((d / head).is_dir() for d in self.search):
            # A bare directory is a namespace package, which (as on sys.path) loses to a
            # regular module of the same name anywhere else: `src/http/` must not hide `http`.
            local = head not in sys.modules and find_outside(head) is None
        target = f"{self.prefix}.{head}" if local else None
        self._targets[head] = target
        return target

    def spec_of(self, bare: str, path: Sequence[str] | None) -> importlib.machinery.ModuleSpec | None:
        """What CPython's path finder finds for ``bare`` in this worker's tree (``path``: the parent's
        ``__path__``), or ``None``, as ``importlib.util.find_spec`` needs it answered."""
        head, dot, rest = bare.partition(".")
        target = self._target(head)
        if target is None:
            return None
        if not target.startswith(self.prefix):  # js, pyodide, workers, asgi: pyworker's modules
            return importlib.util.find_spec(target + dot + rest)
        search = path if dot else [str(d) for d in self.search]
        return self.find_spec(target + dot + rest, search)

    # -- import hook -----------------------------------------------------------------
    def _import(
        self,
        name: str,
        globals: Mapping[str, Any] | None = None,
        locals: Mapping[str, Any] | None = None,
        fromlist: Sequence[str] | None = (),
        level: int = 0,
    ) -> ModuleType:
        if level:
            return _real_import(name, globals, locals, fromlist, level)
        head, dot, rest = name.partition(".")
        target = self._target(head)
        if target is None:
            module = _real_import(name, globals, locals, fromlist, 0)
            if type(module) is BareModule:
                module.__spec__  # noqa: B018  (another worker's name: ModuleNotFoundError here, as on Cloudflare)
            return module
        try:
            module = _real_import(target + dot + rest, globals, locals, fromlist, 0)
        except ModuleNotFoundError as exc:
            raise bare_error(exc, self.prefix) from None
        if fromlist and head in SDK_ALIASES:
            _check_names(module, fromlist)
        return module if fromlist else sys.modules[target]

    # -- MetaPathFinder (through the router) / Loader for the prefix package ---------
    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname == self.prefix:
            spec = importlib.machinery.ModuleSpec(fullname, cast("Loader", self), is_package=True)
            spec.submodule_search_locations = [str(d) for d in self.search]
            return spec
        if not fullname.startswith(self.prefix + "."):
            return None
        found = importlib.machinery.PathFinder.find_spec(fullname, path)
        if found is None or not isinstance(found.loader, importlib.machinery.SourceFileLoader):
            return found  # namespace packages, extension modules: nothing to rewrite
        assert found.origin is not None
        loader = _WorkerSourceLoader(fullname, found.origin, self)
        return importlib.util.spec_from_file_location(
            fullname, found.origin, loader=loader, submodule_search_locations=found.submodule_search_locations
        )

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        module.__dict__["__builtins__"] = self.builtins


def _check_names(module: ModuleType, names: Sequence[str]) -> None:
    """``from js import X``: the module's own sentence for a missing ``X``, not Python's generic one."""
    for name in names:
        if name == "*":
            continue
        try:
            getattr(module, name)
        except AttributeError as exc:
            raise ImportError(str(exc), name=module.__name__) from None
