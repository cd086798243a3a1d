"""``request.js_object`` / ``response.js_object``: the JavaScript object under the SDK's Python wrapper.

On Cloudflare, ``workers.Request`` and ``workers.Response`` wrap a JavaScript ``Request`` /
``Response``; ``js_object`` is that object, with the JavaScript names (``statusText``,
``bodyUsed``, ``arrayBuffer()``...) and, above all, the live ``Headers``: production code changes
a response's headers after construction with ``resp.js_object.headers.set(name, value)``.
Here the JavaScript object is a view of the Python one: both share one header list and body.
"""

from __future__ import annotations

from typing import Any

# JavaScript member -> the Python wrapper's member that does the same.
_RENAMED = {
    "statusText": "status_text",
    "bodyUsed": "body_used",
    "arrayBuffer": "buffer",
    "formData": "form_data",
    "referrerPolicy": "referrer_policy",
    "isHistoryNavigation": "is_history_navigation",
}
_SHARED = frozenset(
    {
        "url", "status", "ok", "redirected", "type", "body", "method", "cf", "redirect", "text", "json",
        "blob", "cache", "credentials", "destination", "integrity", "keepalive", "mode", "referrer",
    }
)  # fmt: skip


class _Constructor:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


class JsMessage:
    """A JavaScript ``Request`` or ``Response`` (``constructor.name`` says which) over pyworker's object."""

    __slots__ = ("_owner",)

    def __init__(self, owner: Any) -> None:
        object.__setattr__(self, "_owner", owner)

    @property
    def headers(self) -> Any:
        return object.__getattribute__(self, "_owner")._headers

    @property
    def constructor(self) -> _Constructor:
        return _Constructor(object.__getattribute__(self, "_owner")._JS_NAME)

    def clone(self) -> JsMessage:
        return JsMessage(object.__getattribute__(self, "_owner").clone())

    def __getattr__(self, name: str) -> Any:
        owner = object.__getattribute__(self, "_owner")
        if name in _RENAMED:
            return getattr(owner, _RENAMED[name])
        if name in _SHARED:
            return getattr(owner, name)
        raise AttributeError(name)

    def __repr__(self) -> str:
        return f"[object {self.constructor.name}]"


def owner_of(value: Any) -> Any:
    """The pyworker object behind ``value`` if it is a ``js_object`` view, else ``value`` itself."""
    if isinstance(value, JsMessage):
        return object.__getattribute__(value, "_owner")
    return value
