"""``Headers``: the Fetch API's case-insensitive header list."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from email.message import Message
from typing import Any

# RFC 7230 token characters: what workerd accepts in a header name.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


class Headers:
    """JavaScript's ``Headers``: what ``resp.js_object.headers`` and ``js.Headers.new()`` are.

    Case-insensitive and multi-valued, with the JS methods (``has``, ``get``, ``set``,
    ``append``, ``delete``, ``getSetCookie``, ``entries``; iteration yields ``(name, value)``
    pairs). Names come out lower-case; ``get`` joins repeats with ``", "``. Python code sees
    a request's or response's headers as the SDK gives them, an ``HTTPMessage`` copy
    (:mod:`pyworker.runtime.message`); this class is the live list behind it.
    """

    __slots__ = ("_items",)

    def __init__(self, init: Any = None) -> None:
        self._items: list[tuple[str, str]] = []
        if init is None:
            return
        if isinstance(init, Headers):
            self._items = list(init._items)
            return
        if type(init) is dict:  # the common headers={...}: every item is a pair, and no ABC check is needed
            self._items = [(_name(name), _value(value)) for name, value in init.items()]
            return
        # A dict, an HTTPMessage (``request.headers``: every pair, repeats too), or pairs.
        pairs: Iterable[Any] = init.items() if isinstance(init, Mapping | Message) else init
        for pair in pairs:
            if isinstance(pair, str | bytes) or len(pair) != 2:
                raise TypeError(f"Invalid header pair {pair!r}: each item must be a (name, value) pair.")
            name, value = pair
            self.append(name, value)

    @classmethod
    def from_raw(cls, raw: Iterable[tuple[bytes, bytes]]) -> Headers:
        """Build from ASGI's ``[(b"name", b"value"), ...]`` without re-validating."""
        headers = cls.__new__(cls)  # on every request's path: no __init__ to run
        headers._items = [(k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in raw]
        return headers

    def raw(self) -> list[tuple[bytes, bytes]]:
        """Headers as ASGI wants them."""
        return [(k.encode("latin-1"), _encode_value(v)) for k, v in self._items]

    def append(self, name: str, value: str) -> None:
        self._items.append((_name(name), _value(value)))

    def set(self, name: str, value: str) -> None:
        key = _name(name)
        self._items = [item for item in self._items if item[0] != key]
        self._items.append((key, _value(value)))

    def delete(self, name: str) -> None:
        key = name.lower()
        self._items = [item for item in self._items if item[0] != key]

    def get(self, name: str, default: str | None = None) -> str | None:
        key = name.lower()
        values = [v for k, v in self._items if k == key]
        if not values:
            return default
        return values[0] if len(values) == 1 else ", ".join(values)

    def get_all(self, name: str) -> list[str]:
        """Every value of ``name`` (``getAll`` in JS; the only way to read set-cookie one by one)."""
        key = name.lower()
        return [v for k, v in self._items if k == key]

    getAll = get_all

    def getSetCookie(self) -> list[str]:
        return self.get_all("set-cookie")

    def has(self, name: str) -> bool:
        key = name.lower()
        for k, _ in self._items:  # noqa: SIM110 - a loop, not any(): on every request's path
            if k == key:
                return True
        return False

    def keys(self) -> list[str]:
        return sorted({k for k, _ in self._items})

    def values(self) -> list[str]:
        return [v for _, v in self.items()]

    def items(self) -> list[tuple[str, str]]:
        return [(k, self.get(k) or "") for k in self.keys()]

    def entries(self) -> list[tuple[str, str]]:
        """As JavaScript iterates ``Headers``: sorted names, repeats joined, but each set-cookie on its own."""
        if len(self._items) < 2:  # nothing to group or sort
            return list(self._items)
        grouped: dict[str, list[str]] = {}
        for key, value in self._items:  # one pass: this runs each time worker code reads request.headers
            grouped.setdefault(key, []).append(value)
        found: list[tuple[str, str]] = []
        for key in sorted(grouped):
            values = grouped[key]
            if key == "set-cookie":
                found += [(key, value) for value in values]
            else:
                found.append((key, values[0] if len(values) == 1 else ", ".join(values)))
        return found

    def forEach(self, callback: Any) -> None:
        for key, value in self.entries():
            callback(value, key, self)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        # JavaScript's Headers iterates its entries: `for name, value in resp.js_object.headers`.
        return iter(self.entries())

    def __getitem__(self, name: str) -> str | None:
        return self.get(name)

    def __setitem__(self, name: str, value: str) -> None:
        self.set(name, value)

    def __delitem__(self, name: str) -> None:
        self.delete(name)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.has(name)

    def __len__(self) -> int:
        return len(self.keys())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping | Headers):
            return self.items() == Headers(other).items()
        return NotImplemented

    def __repr__(self) -> str:
        return f"Headers({dict(self.items())!r})"

    def copy(self) -> Headers:
        return Headers(self)


def to_js_headers(value: Any) -> Headers:
    """A ``headers=`` argument as the SDK's ``_to_js_headers`` takes it: a dict, a list of pairs or a
    JavaScript ``Headers`` (``resp.js_object.headers``); anything else (an ``HTTPMessage`` too) is refused."""
    if value is None:
        return Headers()
    if isinstance(value, list | dict | Headers):
        return Headers(value)
    raise TypeError("Received unexpected type for headers argument")


def _name(name: str) -> str:
    if type(name) is str and name in _COMMON_NAMES:  # valid and lower-case already: skip the regex on the hot path
        return name
    if not isinstance(name, str) or not _TOKEN.fullmatch(name):
        raise TypeError(f"Invalid header name: {name!r}.")
    return name.lower()


_COMMON_NAMES = frozenset(
    {"content-type", "content-length", "location", "cache-control", "set-cookie", "etag", "x-request-id"}
)


def _value(value: object) -> str:
    # As in workerd: trim HTTP whitespace first, then refuse what could split the header.
    text = (value if isinstance(value, str) else str(value)).strip(" \t\r\n")
    if "\r" in text or "\n" in text or "\0" in text:
        raise TypeError(f"Invalid header value: {text!r}.")
    return text


def _encode_value(value: str) -> bytes:
    # workerd sends characters above U+00FF as UTF-8 (with a warning) rather than failing.
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8")
