"""Every import path resolves per worker: the one finder pyworker puts in ``sys.meta_path``.

A worker generation's modules live under a prefix unique to it (``_pyworker_a_1.utils``),
and the worker's own ``import utils`` statements reach them through its ``__builtins__``
(:mod:`pyworker.loading.modules`). Library code has no such hook: Django's
``import_module(settings.ROOT_URLCONF)``, ``importlib.resources.files("pkg")``,
``pkgutil``, Jinja2's ``PackageLoader``, ``pickle`` (which imports ``cls.__module__``)
and a bare ``__import__`` all go through ``sys.modules`` and ``sys.meta_path``. So:

- A worker module's ``__name__`` is its bare name (``utils``), as on Cloudflare: classes
  pickle as ``utils.Point``, Django finds a model's app from ``Point.__module__``, loggers
  are named as in production.
- ``sys.modules["utils"]`` holds a :class:`~pyworker.loading.bare.BareModule` whose
  attributes resolve, on every read, to the ``utils`` of the generation whose code is
  running (``current_worker``, which the invocation frame and ``load_code`` set, tasks and
  ``asyncio.to_thread`` inherit, and which a plain ``threading.Thread`` lacks: there the
  nearest worker frame on the stack decides). Stand-ins are made when a worker module is
  imported, and by this finder when a bare name some loaded worker owns is first asked for.
- The ``js``, ``pyodide``, ``workers`` and ``asgi`` modules are claimed the same way, so a
  library imported by worker code finds pyworker's, and no package of those names (a
  ``.venv-workers`` made by ``pywrangler sync`` holds ``workers-runtime-sdk`` and
  ``pyodide-py``) can shadow them; code outside every worker gets that package, if any, and
  otherwise ``ModuleNotFoundError``. Their stand-ins leave ``sys.modules`` once a worker's code
  is imported (:meth:`ImportRouter.tidy`); one a library makes at request time stays until the
  next load, and while it is there a plain ``import js`` statement outside worker code succeeds
  (``importlib.import_module("js")`` still fails, and so does any use of the module).

Why not the simpler plan of a plain alias (``sys.modules["utils"] = a's utils``) where only
one worker has the name: whatever asks for the name next gets worker a's module, including a
worker that has no ``utils`` (on Cloudflare: ``ModuleNotFoundError``) or that means an
installed package of that name. The stand-in costs nothing on the request path, because a
worker's own imports bind the real modules; only reads through ``sys.modules`` by name pay a
``ContextVar`` read and a dict lookup (figures in ``bench/imports.py``).

Names stay what the process has made them: a bare name already imported before a worker
claims it (the standard library, pyworker's own dependencies), and standard-library names in
general, are not replaced; only the worker's own ``import`` statements see its module of that
name. ``sys.path`` is never changed.

Process state, all of it owned by the one router instance in ``sys.meta_path`` (found there,
never in a module global): its entry in ``sys.meta_path``, the stand-ins it put in
``sys.modules`` (removed, and any ``js``/``pyodide``/``workers``/``asgi`` module they
replaced put back, when the last generation unregisters), and the class of ``os.environ``
(:mod:`pyworker.loading.environ`).
"""

from __future__ import annotations

import importlib.machinery
import sys
from collections.abc import Iterable, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Protocol, cast

from pyworker.loading import environ
from pyworker.loading.bare import PREFIX, BareModule, Namespace
from pyworker.runtime.scope import current_worker

if TYPE_CHECKING:
    from importlib.abc import Loader


class Generation(Namespace, Protocol):
    """What the router needs of a registered worker generation."""

    def owns(self, head: str) -> bool: ...

    def spec_of(self, bare: str, path: Sequence[str] | None) -> importlib.machinery.ModuleSpec | None: ...

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None: ...


class ImportRouter:
    """Routes the prefixed names of each registered generation, and owns the bare-name stand-ins.

    A meta path finder and loader by its methods alone (``find_spec``, ``create_module``, ``exec_module``):
    the ``importlib.abc`` base classes would import ``importlib.resources`` at start-up (~5 ms).
    """

    def __init__(self, sdk_names: Iterable[str]) -> None:
        self.sdk = frozenset(sdk_names)
        self.generations: dict[str, Generation] = {}  # by prefix
        self.stand_ins: dict[str, BareModule] = {}  # bare name -> its stand-in in sys.modules
        self._replaced: dict[str, ModuleType] = {}  # SDK-named modules found in sys.modules, put back at the end

    @classmethod
    def installed(cls, sdk_names: Iterable[str]) -> ImportRouter:
        """The router in ``sys.meta_path``, installed first if there is none."""
        for finder in sys.meta_path:
            if isinstance(finder, ImportRouter):
                return finder
        router = cls(sdk_names)
        sys.meta_path.insert(0, router)
        environ.install()
        for name in [n for n in list(sys.modules) if n.partition(".")[0] in router.sdk]:
            found = sys.modules[name]
            if not isinstance(found, BareModule):
                router._replaced[name] = found
                router._place(name, found)
        return router

    # -- generations ---------------------------------------------------------------
    def register(self, generation: Generation) -> None:
        self.generations[generation.prefix] = generation

    def unregister(self, generation: Generation) -> None:
        """Forget ``generation``; drop stand-ins no one owns any more, and uninstall after the last."""
        self.generations.pop(generation.prefix, None)
        if not self.generations:
            self._uninstall()
            return
        for name in list(self.stand_ins):
            head = name.partition(".")[0]
            if head not in self.sdk and not any(g.owns(head) for g in list(self.generations.values())):
                self._drop(name)

    def _uninstall(self) -> None:
        if self in sys.meta_path:
            sys.meta_path.remove(self)
        for name in list(self.stand_ins):
            self._drop(name)
        sys.modules.update(self._replaced)
        self._replaced.clear()
        environ.uninstall()

    def namespace(self, module_name: str) -> Generation | None:
        """The generation a module name (``_pyworker_a_1.utils``) belongs to, if it is registered."""
        return self.generations.get(module_name.partition(".")[0]) if module_name.startswith(PREFIX) else None

    def owners(self, bare: str) -> list[str]:
        head = bare.partition(".")[0]
        return sorted({g.worker for g in list(self.generations.values()) if g.owns(head)})

    # -- stand-ins -------------------------------------------------------------------
    def expose(self, bare: str) -> None:
        """Give a worker module's bare name a stand-in, unless the process already uses the name."""
        head = bare.partition(".")[0]
        if head in sys.stdlib_module_names or bare in sys.modules:
            return
        if head != bare and not isinstance(sys.modules.get(head), BareModule):
            return  # the package's own name is the process's: so are its submodules' names
        self._place(bare)

    def tidy(self) -> None:
        """Take the ``js``/``pyodide``/``workers``/``asgi`` stand-ins libraries made out of ``sys.modules``.

        Called once a worker's code has been imported, where libraries probe for Pyodide: code outside
        workers then fails ``import js`` again, even as a plain statement (which, unlike
        ``importlib.import_module``, cannot be refused while a stand-in is in ``sys.modules``). Libraries
        keep the stand-ins they hold; stand-ins for an installed package of those names stay, so it
        never shadows pyworker's.
        """
        for name in [n for n in list(self.stand_ins) if n.partition(".")[0] in self.sdk and n not in self._replaced]:
            self._drop(name)

    def _place(self, name: str, fallback: ModuleType | None = None) -> BareModule:
        stand_in = BareModule(name, self, fallback)
        sys.modules[name] = stand_in
        self.stand_ins[name] = stand_in
        return stand_in

    def _drop(self, name: str) -> None:
        stand_in = self.stand_ins.pop(name)
        if sys.modules.get(name) is stand_in:
            del sys.modules[name]

    # -- MetaPathFinder / Loader -------------------------------------------------------
    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        head = fullname.partition(".")[0]
        if head.startswith(PREFIX):
            generation = self.generations.get(head)
            return generation.find_spec(fullname, path, target) if generation is not None else None
        claimed = head in self.sdk or head in self.stand_ins
        if claimed or any(g.owns(head) for g in list(self.generations.values())):
            running = self._running()
            if running is not None and (head in self.sdk or running.owns(head) or head not in self.stand_ins):
                # The running worker's own name: found only if its tree has it, as CPython's finder says
                # (Django's module_has_submodule asks for "blog.management" this way).
                found = running.spec_of(fullname, path)
                return importlib.machinery.ModuleSpec(fullname, cast("Loader", self)) if found else None
            return importlib.machinery.ModuleSpec(fullname, cast("Loader", self))
        return None

    def _running(self) -> Generation | None:
        scope = current_worker.get()
        namespace = scope.namespace if scope is not None else None
        return self.generations.get(getattr(namespace, "prefix", ""))

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        existing = self.stand_ins.get(spec.name)
        return existing if existing is not None else BareModule(spec.name, self)

    def exec_module(self, module: ModuleType) -> None:
        assert isinstance(module, BareModule)
        module.__spec__  # noqa: B018  (resolves now: ModuleNotFoundError if nothing answers, and nothing is kept)
        self.stand_ins[ModuleType.__getattribute__(module, "__name__")] = module


def bare_error(exc: ModuleNotFoundError, prefix: str) -> ModuleNotFoundError:
    """``exc`` with the worker's prefix taken out of the module name, as the user wrote it."""
    name = exc.name or ""
    if not name.startswith(prefix + "."):
        return exc
    bare = name[len(prefix) + 1 :]
    error = ModuleNotFoundError(f"No module named {bare!r}", name=bare)
    error.__traceback__ = exc.__traceback__
    return error
