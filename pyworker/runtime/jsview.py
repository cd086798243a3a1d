"""``js_object`` of a request, response, form or blob: the JavaScript object under the SDK's Python wrapper.

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
    if isinstance(value, JsFormData | JsBlob):
        return value._owner
    return value


class JsFormData:
    """``form.js_object``: JavaScript's ``FormData`` over pyworker's (``get``, ``getAll``, ``has``, ``set``...)."""

    __slots__ = ("_owner",)

    def __init__(self, owner: Any) -> None:
        self._owner = owner

    constructor = _Constructor("FormData")

    def append(self, name: str, value: Any, filename: str | None = None) -> None:
        self._owner.append(name, owner_of(value), filename)

    def set(self, name: str, value: Any, filename: str | None = None) -> None:
        self._owner.delete(name)
        self.append(name, value, filename)

    def delete(self, name: str) -> None:
        self._owner.delete(name)

    def get(self, name: str) -> Any:
        values = self._owner.get_all(name)
        return values[0] if values else None  # JavaScript's null

    def getAll(self, name: str) -> list[Any]:
        return list(self._owner.get_all(name))

    def has(self, name: str) -> bool:
        return name in self._owner

    def entries(self) -> Any:
        return ([key, value] for key, value in self._owner.items())

    def keys(self) -> Any:
        return self._owner.keys()

    def values(self) -> Any:
        return self._owner.values()

    def __iter__(self) -> Any:
        return self.entries()

    def __repr__(self) -> str:
        return "[object FormData]"


class JsBlob:
    """``blob.js_object``: JavaScript's ``Blob`` (or ``File``) over pyworker's: ``size``, ``type``,
    ``text()``, ``arrayBuffer()``, ``bytes()``, ``slice()``, and ``name``/``lastModified`` for a file."""

    __slots__ = ("_owner",)

    def __init__(self, owner: Any) -> None:
        self._owner = owner

    @property
    def constructor(self) -> _Constructor:
        return _Constructor(self._owner._JS_NAME)

    @property
    def size(self) -> int:
        return int(self._owner.size)

    @property
    def type(self) -> str:
        return str(self._owner.content_type)

    async def text(self) -> str:
        return str(await self._owner.text())

    async def arrayBuffer(self) -> Any:
        from pyworker.runtime.jsvalues import ArrayBuffer

        return ArrayBuffer(await self._owner.bytes())

    bytes = arrayBuffer

    def slice(self, start: int | None = None, end: int | None = None, content_type: str | None = None) -> JsBlob:
        return JsBlob(self._owner.slice(start, end, content_type))

    def __getattr__(self, name: str) -> Any:
        if name == "name" and hasattr(self._owner, "last_modified"):
            return self._owner.name
        if name == "lastModified" and hasattr(self._owner, "last_modified"):
            return self._owner.last_modified
        raise AttributeError(name)

    def __repr__(self) -> str:
        return f"[object {self._owner._JS_NAME}]"
