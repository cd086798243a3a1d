"""Import one generation of a worker's code and find the handler each invocation runs."""

from __future__ import annotations

import asyncio
import contextvars
import gc
import inspect
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from pyworker.config.compat import NO_GLOBAL_HANDLERS_DATE, global_handlers, handler_rule
from pyworker.config.model import WorkerConfig
from pyworker.errors import NoEntrypoint, NoHandler, NoMethod, WorkerLoadError
from pyworker.loading import settle
from pyworker.loading.dependencies import load_advice, unmet_dependencies
from pyworker.loading.handlers import Entrypoint, Handler, describe_entrypoint, relaxed_handler
from pyworker.loading.load_errors import describe_load_error
from pyworker.loading.modules import WorkerModules
from pyworker.loading.paths import import_paths
from pyworker.loading.python_version import syntax_hint
from pyworker.loading.shared import forget_shared_state
from pyworker.runtime.entrypoint import DurableObject, WorkerEntrypoint, WorkflowEntrypoint
from pyworker.runtime.scope import WorkerScope, current_worker
from pyworker.types import RPC, WORKFLOW, Route

DEFAULT_ENTRYPOINT = "Default"

# Events the runtime delivers itself, each to a method of that name on the entrypoint class
# or (without a Default class) to a module-level ``on_<kind>`` function.
HANDLER_KINDS = ("fetch", "scheduled", "queue", "alarm", "email", "tail", "trace", "test")
# What the runtime delivers to a Durable Object besides RPC calls.
OBJECT_HANDLERS = ("fetch", "alarm", "webSocketMessage", "webSocketClose", "webSocketError")

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


@dataclass
class WorkerCode:
    """A loaded generation of a worker's code."""

    worker: str
    modules: WorkerModules
    module: ModuleType
    scope: WorkerScope
    entrypoints: dict[str, Entrypoint] = field(default_factory=dict)
    objects: dict[str, Entrypoint] = field(default_factory=dict)  # exported Durable Object classes
    legacy: dict[str, Handler] = field(default_factory=dict)  # kind -> module-level on_<kind>
    workflows: dict[str, type] = field(default_factory=dict)  # exported WorkflowEntrypoint classes
    rule: str = ""  # which handler form the compatibility settings select (for the error when none is found)
    unused: dict[str, str] = field(default_factory=dict)  # kind -> a defined handler those settings do not call
    active: int = 0  # invocations running on this generation
    retired: bool = False  # a newer generation took over; unload once ``active`` is 0
    _found: dict[tuple[str, str | None, str, bool], Handler] = field(default_factory=dict)
    routes: dict[Route, Handler] = field(default_factory=dict)  # by route object: one lookup per call

    @property
    def default(self) -> Entrypoint | None:
        return self.entrypoints.get(DEFAULT_ENTRYPOINT)

    def handler(self, kind: str, entrypoint: str | None, method: str, durable: bool = False) -> Handler:
        """The one lookup every invocation makes; raises :class:`NoEntrypoint`, :class:`NoMethod` or
        :class:`NoHandler` with the sentence the user sees. Found handlers are remembered.
        With ``durable``, ``entrypoint`` names a Durable Object class."""
        key = (kind, entrypoint, method, durable)
        found = self._found.get(key)
        if found is None:
            found = self._found[key] = (
                self._find_object(kind, entrypoint or "", method) if durable else self._find(kind, entrypoint, method)
            )
        return found

    def route(self, route: Route) -> Handler:
        """:meth:`handler` for ``route``, remembered by the route itself (routes are made once per method)."""
        found = self.routes[route] = self.handler(route.kind, route.entrypoint, route.method, route.actor is not None)
        return found

    def _find_object(self, kind: str, name: str, method: str) -> Handler:
        described = self.objects.get(name)
        if described is None:
            raise NoEntrypoint(f'Worker "{self.worker}" does not export a Durable Object class named "{name}".')
        if kind == RPC:
            if method not in described.methods:
                raise NoMethod(f'The RPC receiver does not implement the method "{method}".')
            return Handler(described.cls, method)
        handler = described.handlers.get(kind)
        if handler is None:
            raise NoHandler(f'Durable Object class "{name}" (worker "{self.worker}") does not define {kind}().')
        return handler

    def _find(self, kind: str, name: str | None, method: str) -> Handler:
        if kind == WORKFLOW:
            return self._workflow(name or DEFAULT_ENTRYPOINT)
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
            raise NoHandler(self._no_handler(kind))
        return handler

    def _workflow(self, name: str) -> Handler:
        cls = self.workflows.get(name)
        if cls is None:
            raise NoEntrypoint(
                f'Worker "{self.worker}" does not export a Workflow class named "{name}" '
                "(a WorkflowEntrypoint subclass with async def run(self, event, step))."
            )
        return Handler(cls, "run")

    def _no_handler(self, kind: str) -> str:
        unused = self.unused.get(kind)
        if unused is not None and unused.startswith("Default."):
            return (
                f'Worker "{self.worker}": Method on_{kind} does not exist: {self.rule}, so Cloudflare calls '
                f"Default.on_{kind}, not {unused}. Rename the method to on_{kind}, or set compatibility_date "
                f'to "{NO_GLOBAL_HANDLERS_DATE}" or later.'
            )
        example = _HANDLER_EXAMPLES.get(kind, f"{kind}(self, ...)")
        message = f'Handler does not export a {kind}() function (worker "{self.worker}"). '
        if unused is not None:
            return message + (
                f"The module-level {unused} is not a handler: {self.rule}. Define async def {example} on a "
                f"WorkerEntrypoint class named Default, or set a compatibility_date before {NO_GLOBAL_HANDLERS_DATE}."
            )
        return message + f"Define async def {example} on a WorkerEntrypoint class named Default."

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
        modules = WorkerModules(config.name, config.import_root, generation, import_paths(config)[1:])
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
        if config.main is None:  # a worker of static assets only has no code: an empty module, no handlers
            return ModuleType(f"{config.name}-assets")
        return modules.import_main(config.main)
    except BaseException as exc:  # KeyboardInterrupt, sys.exit(), CancelledError at import: a load error too
        modules.uninstall()
        message = describe_load_error(config.name, config.import_root, exc)
        if isinstance(exc, SyntaxError) and (hint := syntax_hint(config, exc)):
            message += "\n" + hint
        if isinstance(exc, ImportError):
            message += load_advice(unmet_dependencies(config))
        raise WorkerLoadError(message) from exc
    finally:
        current_worker.reset(token)


def _loaded(config: WorkerConfig, modules: WorkerModules, module: ModuleType, scope: WorkerScope) -> WorkerCode:
    if modules.router is not None:
        modules.router.tidy()
    code = WorkerCode(config.name, modules, module, scope, rule=handler_rule(config))
    legacy = global_handlers(config)
    # As on Cloudflare: the module's __all__, else its public names, exported under their names.
    exported = getattr(module, "__all__", None) or [n for n in vars(module) if not n.startswith("_")]
    for name in exported:
        value = getattr(module, name, None)
        if inspect.isclass(value) and issubclass(value, WorkerEntrypoint) and value is not WorkerEntrypoint:
            code.entrypoints[name] = describe_entrypoint(value, legacy, HANDLER_KINDS, RESERVED_METHODS)
            if name == DEFAULT_ENTRYPOINT and legacy and callable(getattr(value, "fetch", None)):
                code.unused.setdefault("fetch", "Default.fetch")
        elif inspect.isclass(value) and issubclass(value, WorkflowEntrypoint) and value is not WorkflowEntrypoint:
            code.workflows[name] = value
        elif inspect.isclass(value) and issubclass(value, DurableObject) and value is not DurableObject:
            code.objects[name] = describe_entrypoint(value, legacy, OBJECT_HANDLERS, RESERVED_METHODS, OBJECT_HANDLERS)
    for kind in HANDLER_KINDS:
        function = getattr(module, f"on_{kind}", None)
        if not callable(function):
            continue
        if legacy is False:
            code.unused.setdefault(kind, f"on_{kind}")
        else:
            code.legacy[kind] = relaxed_handler(function, None, f"on_{kind}", js_request=kind == "fetch")
    return code


def _no_schedule(awaitable: Awaitable[Any]) -> None:
    raise RuntimeError("wait_until() is not available while this code is loaded outside a dev server.")
