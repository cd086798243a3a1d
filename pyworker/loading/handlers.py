"""What one invocation calls: a method of a fresh entrypoint instance, or a module-level function."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import FunctionType
from typing import Any

from pyworker.runtime.entrypoint import WorkerEntrypoint
from pyworker.runtime.http import Request
from pyworker.sdk.jsfetch import JsRequest

_new = object.__new__


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
    js_request: bool = False  # a module-level on_fetch: gets the JavaScript Request, as on Cloudflare
    # ``bare``: the class runs no construction code of its own, so the instance is built here (``object.__new__``,
    # then ``ctx`` and ``env`` set as ``WorkerEntrypoint.__init__`` sets them), without its frames. ``plain``: a
    # bare RPC method, which the invocation frame calls itself (its inlined copy of :meth:`call`).
    bare: bool = field(init=False, default=False)
    plain: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        cls = self.cls
        bare = (
            cls is not None
            and type(cls) is type
            and vars(object)["__new__"] is getattr(cls, "__new__", None)
            and getattr(cls, "__init__", None) is vars(WorkerEntrypoint)["__init__"]
        )
        object.__setattr__(self, "bare", bare)
        object.__setattr__(self, "plain", bare and not self.relaxed and not self.js_request)

    def call(self, ctx: Any, env: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> Any:
        if self.cls is None:
            target = self.func
        elif self.bare:
            instance: Any = _new(self.cls)
            instance.ctx = ctx
            instance.env = env
            target = getattr(instance, self.name)
        else:
            target = getattr(self.cls(ctx, env), self.name)
        assert target is not None
        if self.js_request and args and isinstance(args[0], Request):
            args = (JsRequest(args[0]), *args[1:])
        if not self.relaxed:
            return target(*args, **kwargs)
        available = (*args, env, ctx)
        return target(*available) if self.arity is None else target(*available[: self.arity])

    def call_on(self, instance: Any, args: tuple[Any, ...]) -> Any:
        """Call the method on an existing instance (a Durable Object's): a relaxed handler gets only
        as many of ``args`` as it declares."""
        target = getattr(instance, self.name)
        if self.relaxed and self.arity is not None:
            args = args[: self.arity]
        return target(*args)


def relaxed_handler(func: Callable[..., Any], cls: type | None, name: str, js_request: bool = False) -> Handler:
    """A runtime handler: how many leading positional arguments ``func`` takes (``None``: any number)."""
    params = list(inspect.signature(func).parameters.values())
    if cls is not None:
        params = params[1:]  # self
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        arity = None
    else:
        positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        arity = sum(1 for p in params if p.kind in positional)
    return Handler(cls, name, None if cls is not None else func, arity, relaxed=True, js_request=js_request)


@dataclass(frozen=True)
class Entrypoint:
    """One ``WorkerEntrypoint`` subclass: its RPC methods and the runtime handlers it defines."""

    cls: type
    methods: frozenset[str]
    handlers: Mapping[str, Handler]

    @property
    def fetch(self) -> Handler | None:
        return self.handlers.get("fetch")


def describe_entrypoint(
    cls: type,
    legacy: bool | None,
    kinds: tuple[str, ...],
    reserved: frozenset[str],
    prefixed: tuple[str, ...] = ("fetch",),
) -> Entrypoint:
    """An entrypoint class's RPC methods (never ``reserved`` names) and its handlers of ``kinds``."""
    # As the runtime's introspection: public names whose class attribute (read without running
    # descriptors) is a plain function; static and class methods are not RPC methods.
    methods = set()
    for name in dir(cls):
        if name.startswith("_") or name in reserved:
            continue
        raw = next((vars(klass)[name] for klass in cls.__mro__ if name in vars(klass)), None)
        if isinstance(raw, FunctionType):
            methods.add(name)
    handlers = {}
    for kind in kinds:
        # Legacy global handlers route fetch (and a Durable Object's alarm and webSocket* events) to
        # on_<kind> (workerd's entrypoint proxy); without a compatibility_date to say, either answers.
        names = (
            {True: (f"on_{kind}",), False: (kind,), None: (kind, f"on_{kind}")}[legacy] if kind in prefixed else (kind,)
        )
        found = next((n for n in names if callable(getattr(cls, n, None))), None)
        if found is not None:
            handlers[kind] = relaxed_handler(getattr(cls, found), cls, found)
    return Entrypoint(cls, frozenset(methods), handlers)
