"""Import one generation of a worker's code and describe its entrypoints."""

from __future__ import annotations

import inspect
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from pyworker.config.files import display_path
from pyworker.config.model import WorkerConfig
from pyworker.errors import WorkerLoadError
from pyworker.loading.modules import WorkerModules
from pyworker.runtime.entrypoint import WorkerEntrypoint

DEFAULT_ENTRYPOINT = "Default"

# Names a binding may never call over RPC, whatever the class defines: handlers the
# runtime calls itself, the stub's own methods, and the instance's env and ctx.
RESERVED_METHODS = frozenset(
    {"fetch", "connect", "alarm", "webSocketMessage", "webSocketClose", "webSocketError", "dup", "constructor"}
    | {"env", "ctx"}
)


@dataclass(frozen=True)
class Handler:
    """A callable and how many leading positional arguments it takes (``None``: any number).

    Cloudflare calls ``fetch`` "relaxed": with only as many arguments as it declares.
    """

    func: Callable[..., Any]
    arity: int | None

    @classmethod
    def of(cls, func: Callable[..., Any], bound: bool) -> Handler:
        params = list(inspect.signature(func).parameters.values())
        if bound:
            params = params[1:]
        if any(p.kind is p.VAR_POSITIONAL for p in params):
            return cls(func, None)
        positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        return cls(func, sum(1 for p in params if p.kind in positional))

    def args(self, *available: Any) -> tuple[Any, ...]:
        return available if self.arity is None else available[: self.arity]


@dataclass(frozen=True)
class Entrypoint:
    """One ``WorkerEntrypoint`` subclass: its RPC methods and its ``fetch``, if any."""

    cls: type
    methods: frozenset[str]
    fetch: Handler | None


@dataclass
class WorkerCode:
    """A loaded generation of a worker's code."""

    modules: WorkerModules
    module: ModuleType
    entrypoints: dict[str, Entrypoint] = field(default_factory=dict)
    legacy_fetch: Handler | None = None
    active: int = 0  # invocations running on this generation
    retired: bool = False  # a newer generation took over; unload once ``active`` is 0

    @property
    def default(self) -> Entrypoint | None:
        return self.entrypoints.get(DEFAULT_ENTRYPOINT)

    def enter(self) -> None:
        self.active += 1

    def leave(self) -> None:
        self.active -= 1
        if self.retired and self.active == 0:
            self.unload()

    def retire(self) -> None:
        """Replaced by a reload: forget the modules now, or when the last running invocation ends.

        Until then a lazy ``import`` inside a request that started on this generation still works.
        """
        self.retired = True
        if self.active == 0:
            self.unload()

    def unload(self) -> None:
        self.modules.uninstall()


def load_code(config: WorkerConfig, generation: int) -> WorkerCode:
    """Import ``config.main`` under a fresh prefix; raise :class:`WorkerLoadError` on any failure."""
    modules = WorkerModules(config.name, config.import_root, generation)
    modules.install()
    try:
        module = modules.import_main(config.main)
    except BaseException as exc:
        modules.uninstall()
        if not isinstance(exc, Exception | SystemExit):  # sys.exit() at import is a load error too
            raise
        raise WorkerLoadError(describe_load_error(config.name, config.import_root, exc)) from exc
    code = WorkerCode(modules, module)
    # As on Cloudflare: the module's __all__, else its public names, exported under their names.
    exported = getattr(module, "__all__", None) or [n for n in vars(module) if not n.startswith("_")]
    for name in exported:
        value = getattr(module, name, None)
        if inspect.isclass(value) and issubclass(value, WorkerEntrypoint) and value is not WorkerEntrypoint:
            code.entrypoints[name] = _describe_entrypoint(value)
    on_fetch = getattr(module, "on_fetch", None)
    if callable(on_fetch):
        code.legacy_fetch = Handler.of(on_fetch, bound=False)
    return code


def _describe_entrypoint(cls: type) -> Entrypoint:
    methods = set()
    for klass in cls.__mro__:
        if klass in (WorkerEntrypoint, object):
            continue
        for name, value in vars(klass).items():
            if name.startswith("_") or name in RESERVED_METHODS:
                continue
            if isinstance(value, staticmethod | classmethod) or inspect.isfunction(value):
                methods.add(name)
    fetch = getattr(cls, "fetch", None)
    return Entrypoint(cls, frozenset(methods), Handler.of(fetch, bound=True) if callable(fetch) else None)


def describe_load_error(worker: str, root: Path, exc: BaseException) -> str:
    """One line naming the file and line where a worker's import failed."""
    if isinstance(exc, SyntaxError) and exc.filename:
        where = f"{display_path(Path(exc.filename))}, line {exc.lineno}"
        return f"{worker}: {type(exc).__name__} in {where}: {exc.msg}. Fix the file."
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if _inside(f.filename, root)]
    where = f" in {display_path(Path(frames[-1].filename))}, line {frames[-1].lineno}" if frames else ""
    message = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return f"{worker}: importing the worker failed{where}: {message}"


def _inside(filename: str, root: Path) -> bool:
    try:
        Path(filename).resolve().relative_to(root)
    except ValueError:
        return False
    return True
