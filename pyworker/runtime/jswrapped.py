"""The base of the JavaScript ``Request``/``Response`` objects (``pyworker.sdk.jsfetch``).

On Cloudflare every API that takes a request takes the JavaScript one as well as the SDK's
(``asgi.fetch(app, request, env)`` from a legacy ``on_fetch``, ``workers.Request(js_request)``,
``env.B.fetch(js_request)``, ``fetch(js_request)``). Each such place here unwraps a
:class:`JsWrapped` to pyworker's own message with :func:`unwrap`.
"""

from __future__ import annotations

from typing import Any

from pyworker.runtime.jsvalues import JsProxy


class JsWrapped(JsProxy):
    """A JavaScript object standing for one of pyworker's own Request or Response objects."""

    __slots__ = ("_message",)

    def __init__(self, message: Any) -> None:
        self._message = message


def unwrap(value: Any) -> Any:
    """pyworker's own message behind a JavaScript ``Request``/``Response``; anything else as it is."""
    return value._message if isinstance(value, JsWrapped) else value
