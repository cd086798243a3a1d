"""The module object that stands in ``sys.modules`` under a bare name several workers may own.

``sys.modules["hello_django"]`` is a :class:`BareModule`: every attribute read (``__path__``,
``__spec__``, ``__dict__`` and the rest) goes to the module of that name *of the worker
generation whose code is running* (``current_worker``), so a library's
``importlib.import_module("hello_django.settings")`` gets the calling worker's settings.
Code with no worker running gets what the name means outside every worker: a module of that
name found elsewhere (a site-packages one, loaded on first use without touching
``sys.modules``), or an error that says why there is none.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
from types import FrameType, ModuleType
from typing import Any, Protocol

from pyworker.runtime.scope import current_worker

PREFIX = "_pyworker_"
# What importlib writes on a module it is setting up: kept on the stand-in, never passed on.
_BOOKKEEPING = frozenset({"__spec__", "__loader__", "__package__", "__path__", "__file__", "__cached__", "__name__"})
# What importlib reads to import a name or its submodules: raise ModuleNotFoundError, not AttributeError.
_IMPORTED = frozenset({"__spec__", "__path__"})
# Read from the stand-in itself when no module answers, so generic tools keep working.
_OWN = frozenset({"__name__", "__class__", "__dict__"})


_current = current_worker.get
_own = ModuleType.__getattribute__


class Namespace(Protocol):
    """What a stand-in asks of a worker generation (:class:`~pyworker.loading.modules.WorkerModules`)."""

    prefix: str
    worker: str
    modules: dict[str, ModuleType]

    def resolve(self, bare: str) -> ModuleType | None: ...


class Generations(Protocol):
    """The registry of loaded generations (:class:`~pyworker.loading.router.ImportRouter`)."""

    def namespace(self, module_name: str) -> Namespace | None: ...

    def owners(self, bare: str) -> list[str]: ...


class BareModule(ModuleType):
    """``sys.modules[name]`` for a name worker code may own; resolves through the running worker."""

    def __init__(self, name: str, generations: Generations, fallback: ModuleType | None = None) -> None:
        super().__init__(name)
        own = ModuleType.__getattribute__(self, "__dict__")
        own["_pyworker_generations"] = generations
        own["_pyworker_fallback"] = fallback

    def __getattribute__(self, name: str) -> Any:
        scope = _current()  # the fast path, inlined: a worker's own module it has imported already
        if scope is not None and scope.namespace is not None:
            module = scope.namespace.modules.get(_own(self, "__dict__")["__name__"])
            if module is not None:
                return getattr(module, name)
        try:
            module = resolve(self)
        except ModuleNotFoundError as exc:  # the worker owns the package but not this submodule
            if name in _IMPORTED:
                raise
            raise AttributeError(str(exc)) from None
        if module is None:
            if name in _OWN:
                return ModuleType.__getattribute__(self, name)
            reason = unavailable(self)
            if name in _IMPORTED:  # what importlib reads: importing the name fails with the reason
                raise ModuleNotFoundError(reason, name=ModuleType.__getattribute__(self, "__name__"))
            raise AttributeError(reason)
        return getattr(module, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _BOOKKEEPING:
            ModuleType.__setattr__(self, name, value)
            return
        if isinstance(value, BareModule):  # importlib naming a submodule on its parent: use the real one
            value = resolve(value) or value
        setattr(_resolved(self), name, value)

    def __delattr__(self, name: str) -> None:
        delattr(_resolved(self), name)

    def __dir__(self) -> list[str]:
        module = resolve(self)
        return dir(module) if module is not None else []

    def __repr__(self) -> str:
        return f"<module {ModuleType.__getattribute__(self, '__name__')!r} (pyworker: each worker's own)>"


def resolve(stand_in: BareModule) -> ModuleType | None:
    """The module ``stand_in`` means for the code running now, or ``None`` when there is none."""
    own = ModuleType.__getattribute__(stand_in, "__dict__")
    name: str = own["__name__"]
    scope = current_worker.get()
    generations: Generations = own["_pyworker_generations"]
    namespace = scope.namespace if scope is not None else generations.namespace(_caller_module())
    if namespace is not None:
        module = namespace.modules.get(name)
        if module is None:
            module = namespace.resolve(name)
        if module is not None:
            return module
    fallback: ModuleType | None = own["_pyworker_fallback"]
    if fallback is None:
        fallback = _load_outside(name, own)
    return fallback


def unavailable(stand_in: BareModule) -> str:
    """Why ``stand_in`` has no module for the code running now: a sentence naming the owners."""
    own = ModuleType.__getattribute__(stand_in, "__dict__")
    name: str = own["__name__"]
    owners = own["_pyworker_generations"].owners(name)
    scope = current_worker.get()
    where = f'worker "{scope.name}"' if scope is not None else "code outside every worker"
    if not owners:
        return f"No module named {name!r}: it is provided to worker code only, and {where} is running."
    quoted = [f'"{owner}"' for owner in owners]
    if len(quoted) == 1:
        whose = f"worker {quoted[0]}, and only its code"
    else:
        whose = f"workers {', '.join(quoted[:-1])} and {quoted[-1]}, and only their code"
    return f"No module named {name!r} for {where}: the name belongs to the code of {whose} can import it."


def _resolved(stand_in: BareModule) -> ModuleType:
    module = resolve(stand_in)
    if module is None:
        raise AttributeError(unavailable(stand_in))
    return module


def _caller_module() -> str:
    """The module name of the nearest worker frame on the stack: how code in a plain thread is placed."""
    frame: FrameType | None = sys._getframe(2)
    while frame is not None:
        spec = frame.f_globals.get("__spec__")
        name = getattr(spec, "name", None)
        if isinstance(name, str) and name.startswith(PREFIX):
            return name
        frame = frame.f_back
    return ""


def find_outside(name: str, path: Any = None) -> importlib.machinery.ModuleSpec | None:
    """Where ``name`` is found by the import system without pyworker's finder (a site-packages module...)."""
    for finder in sys.meta_path:
        if type(finder).__module__.startswith("pyworker."):
            continue
        find_spec = getattr(finder, "find_spec", None)
        if find_spec is None:
            continue
        try:
            spec = find_spec(name, path)
        except (ImportError, ValueError):
            spec = None
        if spec is not None:
            return spec  # type: ignore[no-any-return]
    return None


def _load_outside(name: str, own: dict[str, Any]) -> ModuleType | None:
    """Load what ``name`` means outside every worker, kept on the stand-in (which holds the ``sys.modules`` entry)."""
    parent, _, _ = name.rpartition(".")
    path = None
    if parent:
        container = sys.modules.get(parent)
        path = getattr(resolve(container) if isinstance(container, BareModule) else container, "__path__", None)
        if path is None:
            return None
    spec = find_outside(name, path)
    if spec is None or spec.loader is None:
        return None
    module = importlib.util.module_from_spec(spec)
    own["_pyworker_fallback"] = module  # before running it, as importlib does, for imports of itself
    try:
        spec.loader.exec_module(module)
    except BaseException:
        own["_pyworker_fallback"] = None
        raise
    return module
