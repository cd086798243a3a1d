"""The classes of the SDK's binding wrappers (``workers.rpc``), as bases of pyworker's binding objects.

On Cloudflare, ``self.env.KV`` is a ``workers.rpc._BindingWrapper``, a service binding a
``_FetcherWrapper``, a Durable Object namespace a ``_DurableObjectNamespaceWrapper`` and
``self.env`` an ``_EnvWrapper``; code and tests check ``isinstance`` against them. pyworker's
binding objects subclass these, so the checks hold; ``workers.rpc`` re-exports them. The
behaviours here are the SDK's: a binding is truthy, ``obj["attr"]`` is ``obj.attr``, and
iterating it or taking ``len()`` raises its ``TypeError`` naming the JavaScript class.
Binding results follow the same rules: see :mod:`pyworker.bindings.results`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NoReturn


class _BindingWrapper:
    """Base of every binding object on ``env``; ``JS_NAME`` is the JavaScript class the SDK reports."""

    __slots__ = ()
    JS_NAME = "Object"

    def __bool__(self) -> bool:
        return True

    def __getitem__(self, key: Any) -> Any:
        # The SDK's _BindingWrapper.__getitem__: obj["attr"] is obj.attr (AttributeError when missing).
        if isinstance(key, str):
            return getattr(self, key)
        raise TypeError(f"'{type(self).JS_NAME}' object is not subscriptable")

    def __iter__(self) -> Iterator[Any]:
        # A generator, as the SDK's: iter() succeeds and the first step raises (so `in` says the same).
        yield from _not_iterable(type(self).JS_NAME)

    def __len__(self) -> NoReturn:
        raise TypeError(f"'{type(self).JS_NAME}' object has no len()")


def _not_iterable(js_name: str) -> Iterator[Any]:
    raise TypeError(f"'{js_name}' object is not iterable")


class _RpcStubWrapper(_BindingWrapper):
    """A function or ``RpcTarget`` that arrived over RPC: calling it returns an awaitable."""

    __slots__ = ()
    JS_NAME = "RpcStub"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError


class _FetcherWrapper(_BindingWrapper):
    """A service binding (or a Durable Object stub): ``fetch`` plus RPC methods."""

    __slots__ = ()
    JS_NAME = "Fetcher"


class _WorkflowInstanceWrapper(_BindingWrapper):
    __slots__ = ()
    JS_NAME = "WorkflowInstance"


class _WorkflowBindingWrapper(_BindingWrapper):
    __slots__ = ()
    JS_NAME = "WorkflowImpl"


class _DurableObjectNamespaceWrapper:
    """A Durable Object namespace binding (not a ``_BindingWrapper`` in the SDK either)."""

    __slots__ = ()


class _EnvWrapper:
    """``self.env``: the worker's bindings and vars as attributes."""

    __slots__ = ()
