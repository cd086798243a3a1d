"""HTTP heads (method, URL, status, headers) between pyworker's ``Request``/``Response`` and the
``HttpRequest``/``HttpResponse`` structs of HTTP over Cap'n Proto."""

from __future__ import annotations

import re
from typing import Any

from pyworker.runtime.headers import Headers

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")
_COMMON_VALUES = {"gzipDeflate": "gzip, deflate"}


def header_name(enumerant: str) -> str:
    """``content-type`` for ``contentType``: the protocol numbers the common header names."""
    return _CAMEL.sub("-", enumerant).lower()


def headers_from(items: Any) -> Headers:
    """A ``Headers`` of the struct list ``items`` (each header common by number, or uncommon by name)."""
    pairs = []
    for item in items:
        if item.which() == "uncommon":
            pairs.append((item.uncommon.name.lower(), item.uncommon.value))
            continue
        common = item.common
        value = common.value if common.which() == "value" else _COMMON_VALUES.get(str(common.commonValue), "")
        pairs.append((header_name(str(common.name)), value))
    headers = Headers()
    headers._items = pairs  # names are lower-case tokens already, as Headers keeps them
    return headers


def header_list(headers: Headers) -> list[dict[str, Any]]:
    """``headers`` as the struct list: all sent by name (the receiver takes either form)."""
    return [
        {"uncommon": {"name": name.decode("latin-1"), "value": value.decode("latin-1")}}
        for name, value in headers.raw()
    ]


def method_enumerant(method: str) -> str | None:
    """``msearch`` for ``M-SEARCH``: the ``HttpMethod`` enumerant of an HTTP method, or None for one the
    protocol has no number for."""
    name = method.lower().replace("-", "")
    return name if name in _METHODS else None


def method_name(enumerant: str) -> str:
    return "M-SEARCH" if enumerant == "msearch" else enumerant.upper()


_METHODS = frozenset(
    {"get", "head", "post", "put", "delete", "patch", "purge", "options", "trace", "copy", "lock", "mkcol", "move",
     "propfind", "proppatch", "search", "unlock", "acl", "report", "mkactivity", "checkout", "merge", "msearch",
     "notify", "subscribe", "unsubscribe", "query", "ban"}
)  # fmt: skip
