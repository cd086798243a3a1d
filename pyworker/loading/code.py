"""Import one generation of a worker's code and find the handler each invocation runs."""

from __future__ import annotations

import asyncio
import contextvars
import gc
import inspect
import time
import traceback
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import FunctionType, ModuleType
from typing import Any

from pyworker.config.files import display_path
from pyworker.config.model import WorkerConfig
from pyworker.errors import NoEntrypoint, NoHandler, NoMethod, WorkerLoadError
from pyworker.loading import settle
from pyworker.loading.dependencies import load_advice, unmet_dependencies
from pyworker.loading.modules import WorkerModules
from pyworker.loading.shared import forget_shared_state
from pyworker.runtime.entrypoint import WorkerEntrypoint
from pyworker.runtime.scope import WorkerScope, current_worker
from pyworker.types import RPC, Route

DEFAULT_ENTRYPOINT = "Default"

# Events the runtime delivers itself, each to a method of that name on the entrypoint class
# or (without a Default class) to a module-level ``on_<kind>`` function.
HANDLER_KINDS = ("fetch", "scheduled", "queue", "alarm", "email", "tail", "trace", "test")

_HANDLER_EXAMPLES = {
    "fetch": "fetch(self, request)",
    "scheduled": "scheduled(self, controller)",
    "queue": "queue(self, batch)",
}

# Names a binding may never call over RPC, whatever the class defines: handlers the
# runtime calls itself, the stub's own methods, and the instance's env and ctx.
RESERVED_METHODS = frozenset(
    {"fetch", "connect", "alarm", "webSocketMessage", "webSocketClose", "webSocketError", "dup", "constructor"}
    | {"env", "ctx"}
)


@dataclass(frozen=True, slots=True)
class Handler:
    """What an invocation calls: a method of a fresh entrypoint instance, or a module function.

    A *relaxed* handler (the runtime's own: ``fetch``, ``scheduled``...) gets only as many of
    ``(*args, env, ctx)`` as it declares, as Cloudflare calls them; ``arity`` ``None`` means all.
    An RPC method gets exactly the caller's arguments.
    """

    cls: type | None
    name: str
    func: Callable[..., Any] | None = None
    arity: int | None = None
    relaxed: bool = False

    def call(self, ctx: Any, env: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> Any:
        target = self.func if self.cls is None else getattr(self.cls(ctx, env), self.name)
        assert target is not None
        if not self.relaxed:
            return target(*args, **kwargs)
        available = (*args, env, ctx)
        return target(*available) if self.arity is None else target(*available[: self.arity])


def relaxed_handler(func: Callable[..., Any], cls: type | None, name: str) -> Handler:
    """A runtime handler: how many leading positional arguments ``func`` takes (``None``: any number)."""
    params = list(inspect.signature(func).parameters.values())
    if cls is not None:
        params = params[1:]  # self
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        arity = None
    else:
        positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        arity = sum(1 for p in params if p.kind in positional)
    return Handler(cls, name, None if cls is not None else func, arity, relaxed=True)


@dataclass(frozen=True)
class Entrypoint:
    """One ``WorkerEntrypoint`` subclass: its RPC methods and the runtime handlers it defines."""

    cls: type
    methods: frozenset[str]
    handlers: Mapping[str, Handler]

    @property
    def fetch(self) -> Handler | None:
        return self.handlers.get("fetch")


@dataclass
class WorkerCode:
    """A loaded generation of a worker's code."""

    worker: str
    modules: WorkerModules
    module: ModuleType
    scope: WorkerScope
    entrypoints: dict[str, Entrypoint] = field(default_factory=dict)
    legacy: dict[str, Handler] = field(default_factory=dict)  # kind -> module-level on_<kind>
    active: int = 0  # invocations running on this generation
    retired: bool = False  # a newer generation took over; unload once ``active`` is 0
    _found: dict[tuple[str, str | None, str], Handler] = field(default_factory=dict)
    routes: dict[Route, Handler] = field(default_factory=dict)  # by route object: one lookup per call

    @property
    def default(self) -> Entrypoint | None:
        return self.entrypoints.get(DEFAULT_ENTRYPOINT)

    def handler(self, kind: str, entrypoint: str | None, method: str) -> Handler:
        """The one lookup every invocation makes; raises :class:`NoEntrypoint`, :class:`NoMethod` or
        :class:`NoHandler` with the sentence the user sees. Found handlers are remembered."""
        key = (kind, entrypoint, method)
        found = self._found.get(key)
        if found is None:
            found = self._found[key] = self._find(kind, entrypoint, method)
        return found

    def route(self, route: Route) -> Handler:
        """:meth:`handler` for ``route``, remembered by the route itself (routes are made once per method)."""
        found = self.routes[route] = self.handler(route.kind, route.entrypoint, route.method)
        return found

    def _find(self, kind: str, name: str | None, method: str) -> Handler:
        entrypoint = self.entrypoints.get(name or DEFAULT_ENTRYPOINT)
        if entrypoint is None and (kind == RPC or name is not None):
            raise NoEntrypoint(
                f'Worker "{self.worker}" does not export an entrypoint named "{name or DEFAULT_ENTRYPOINT}".'
            )
        if kind == RPC:
            assert entrypoint is not None
            if method not in entrypoint.methods:
                raise NoMethod(f'The RPC receiver does not implement the method "{method}".')
            return Handler(entrypoint.cls, method)
        handler = self.legacy.get(kind) if entrypoint is None else entrypoint.handlers.get(kind)
        if handler is None:
            example = _HANDLER_EXAMPLES.get(kind, f"{kind}(self, ...)")
            raise NoHandler(
                f'Handler does not export a {kind}() function (worker "{self.worker}"). '
                f"Define async def {example} on a WorkerEntrypoint class named Default."
            )
        return handler

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
        threads = self.scope.threads
        if threads is not None:
            self.scope.threads = None
            threads.shutdown(wait=False)
        if self.retired:
            _free_soon()


def _free_soon() -> None:
    """Free a retired generation now rather than whenever the cycle collector next runs.

    A module's functions and its globals reference each other, so only the collector frees
    them; it runs on the next loop turn, once the frame that ended the last invocation is gone.
    """
    try:
        # An empty context: the handle must not keep the current one, whose current_worker is this generation.
        asyncio.get_running_loop().call_soon(gc.collect, context=contextvars.Context())
    except RuntimeError:  # no event loop (a script, a test): at once
        gc.collect()


def load_code(
    config: WorkerConfig, generation: int, scope: WorkerScope | None = None, before: settle.Reads | None = None
) -> WorkerCode:
    """Import ``config.main`` under a fresh prefix; raise :class:`WorkerLoadError` on any failure.

    The import runs with ``scope`` (this generation's) as the current worker. While its source
    files change under it (a save under way), it is imported again (:mod:`pyworker.loading.settle`);
    ``before`` is what the previous generation read (only the record: the thread that imports must
    hold nothing of that generation, which is freed as soon as this one is in).
    """
    scope = scope or WorkerScope(config.name, None, _no_schedule)
    for attempt in range(1, settle.ATTEMPTS + 1):
        modules = WorkerModules(config.name, config.import_root, generation)
        try:
            module = _import_main(config, modules, scope)
        except WorkerLoadError:
            if attempt == settle.ATTEMPTS or not settle.unsettled(modules.reads, before):
                raise
        else:
            if attempt == settle.ATTEMPTS or not settle.unsettled(modules.reads, before):
                return _loaded(config, modules, module, scope)
            modules.uninstall()
        time.sleep(settle.SETTLE)  # in the import's thread: let the writes settle
    raise AssertionError("unreachable")


def _import_main(config: WorkerConfig, modules: WorkerModules, scope: WorkerScope) -> ModuleType:
    forget_shared_state(config.name)
    scope.namespace = modules
    modules.install()
    token = current_worker.set(scope)
    try:
        return modules.import_main(config.main)
    except BaseException as exc:  # KeyboardInterrupt, sys.exit(), CancelledError at import: a load error too
        modules.uninstall()
        message = describe_load_error(config.name, config.import_root, exc)
        if isinstance(exc, ImportError):
            message += load_advice(unmet_dependencies(config))
        raise WorkerLoadError(message) from exc
    finally:
        current_worker.reset(token)


def _loaded(config: WorkerConfig, modules: WorkerModules, module: ModuleType, scope: WorkerScope) -> WorkerCode:
    if modules.router is not None:
        modules.router.tidy()
    code = WorkerCode(config.name, modules, module, scope)
    # As on Cloudflare: the module's __all__, else its public names, exported under their names.
    exported = getattr(module, "__all__", None) or [n for n in vars(module) if not n.startswith("_")]
    for name in exported:
        value = getattr(module, name, None)
        if inspect.isclass(value) and issubclass(value, WorkerEntrypoint) and value is not WorkerEntrypoint:
            code.entrypoints[name] = _describe_entrypoint(value)
    for kind in HANDLER_KINDS:
        function = getattr(module, f"on_{kind}", None)
        if callable(function):
            code.legacy[kind] = relaxed_handler(function, None, f"on_{kind}")
    return code


def _no_schedule(awaitable: Awaitable[Any]) -> None:
    raise RuntimeError("wait_until() is not available while this code is loaded outside a dev server.")


def _describe_entrypoint(cls: type) -> Entrypoint:
    # As the runtime's introspection: public names whose class attribute (read without running
    # descriptors) is a plain function; static and class methods are not RPC methods.
    methods = set()
    for name in dir(cls):
        if name.startswith("_") or name in RESERVED_METHODS:
            continue
        raw = next((vars(klass)[name] for klass in cls.__mro__ if name in vars(klass)), None)
        if isinstance(raw, FunctionType):
            methods.add(name)
    handlers = {}
    for kind in HANDLER_KINDS:
        function = getattr(cls, kind, None)
        if callable(function):
            handlers[kind] = relaxed_handler(function, cls, kind)
    return Entrypoint(cls, frozenset(methods), handlers)


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
