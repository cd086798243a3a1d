"""``DurableObjectId``: workerd's ids, so an id made here is the id wrangler dev makes.

An id is 32 bytes, shown as 64 hex digits: 16 bytes (an HMAC of the name with the
namespace's key, or random ones for ``newUniqueId``) and the first 16 bytes of an HMAC of
those, which is how ``idFromString`` tells an id of this namespace from any other.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import string
from typing import Any

from pyworker.runtime.jsvalues import JsException
from pyworker.storage.state import durable_object_id

_HEX = frozenset(string.hexdigits)


class DurableObjectId:
    """One object's id: ``str(id)`` / ``id.toString()`` (64 hex digits), ``id.equals(other)``, ``id.name``."""

    __slots__ = ("_hex", "_key", "name")

    def __init__(self, hex_id: str, name: str | None, key: str) -> None:
        self._hex = hex_id
        self.name = name  # the name given to idFromName, else None (undefined)
        self._key = key  # the namespace's unique key: ids of another namespace are not equal

    def toString(self) -> str:
        return self._hex

    def equals(self, other: Any) -> bool:
        return isinstance(other, DurableObjectId) and other._hex == self._hex

    def __str__(self) -> str:
        return self._hex

    def __repr__(self) -> str:
        return f"DurableObjectId({self._hex})" if self.name is None else f"DurableObjectId({self._hex}, {self.name!r})"


def _mac(key: bytes, base: bytes) -> bytes:
    return hmac.new(key, base, hashlib.sha256).digest()[:16]


def _key(unique_key: str) -> bytes:
    return hashlib.sha256(unique_key.encode()).digest()


def from_name(unique_key: str, name: str) -> DurableObjectId:
    return DurableObjectId(durable_object_id(unique_key, name), name, unique_key)


def unique(unique_key: str) -> DurableObjectId:
    base = os.urandom(16)
    return DurableObjectId((base + _mac(_key(unique_key), base)).hex(), None, unique_key)


def from_string(unique_key: str, text: Any) -> DurableObjectId:
    """workerd's checks, with its TypeErrors."""
    if not isinstance(text, str) or len(text) != 64 or not _HEX.issuperset(text):
        raise JsException("TypeError", "Invalid Durable Object ID: must be 64 hex digits")
    raw = bytes.fromhex(text)
    if not hmac.compare_digest(_mac(_key(unique_key), raw[:16]), raw[16:]):
        raise JsException("TypeError", "Durable Object ID is not valid for this namespace.")
    return DurableObjectId(raw.hex(), None, unique_key)
