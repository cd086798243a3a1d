"""What one invocation calls: a method of a fresh entrypoint instance, or a module-level function."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pyworker.runtime.http import Request
from pyworker.sdk.jsfetch import JsRequest


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

    def call(self, ctx: Any, env: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> Any:
        target = self.func if self.cls is None else getattr(self.cls(ctx, env), self.name)
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
