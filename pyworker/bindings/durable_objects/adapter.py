"""The SDK's ``_BindingWrapper`` rule for what Durable Object storage, SQL and namespaces return.

On Cloudflare ``ctx.storage`` is wrapped in ``_BindingWrapper``: a JavaScript object answers
both ``obj.attr`` and ``obj["attr"]``, plain objects arrive as dicts with attribute access,
and only what JavaScript iterates (a cursor) iterates in Python. Every Durable Object result
goes through :func:`js_result` and every object it hands out is a :class:`JsObject`, so this
module is the one place to point at the shared conversion of ``bindings/`` once it exists.
"""

from __future__ import annotations

from typing import Any

from pyworker.bindings.jsapi import to_python
from pyworker.runtime.wrappers import _BindingWrapper


def js_result(value: Any) -> Any:
    """A JavaScript value as the SDK's ``_BindingWrapper`` hands it to Python (objects: :class:`JsDict`)."""
    return to_python(value)


class JsObject(_BindingWrapper):
    """A JavaScript object reached through ``_BindingWrapper``: ``obj["name"]`` is ``obj.name``."""

    __slots__ = ()

    def __getitem__(self, key: str) -> Any:
        if not isinstance(key, str):
            raise TypeError(f"'{type(self).JS_NAME}' object is not subscriptable by {type(key).__name__}")
        return getattr(self, key)
