"""The SDK's ``_BindingWrapper`` rule for what Durable Object storage, SQL and namespaces return.

On Cloudflare ``ctx.storage`` is wrapped in ``_BindingWrapper``: a JavaScript object answers
both ``obj.attr`` and ``obj["attr"]``, plain objects arrive as dicts with attribute access,
and only what JavaScript iterates (a cursor) iterates in Python. This is the shared conversion
of :mod:`pyworker.bindings.results`, applied to Durable Objects' values.
"""

from __future__ import annotations

from typing import Any

from pyworker.bindings.jsapi import to_python
from pyworker.bindings.results import JsResult, binding_result


def js_result(value: Any) -> Any:
    """A JavaScript value as the SDK's ``_BindingWrapper`` hands it to Python (objects: ``JsDict``)."""
    return binding_result(to_python(value))


class JsObject(JsResult):
    """A JavaScript object reached through ``_BindingWrapper``: ``obj["name"]`` is ``obj.name``."""

    __slots__ = ()
