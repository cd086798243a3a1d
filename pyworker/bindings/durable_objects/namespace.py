"""``env.<NAMESPACE>``: ids (``idFromName``, ``newUniqueId``, ``idFromString``) and stubs (``get``, ``getByName``).

The SDK hands the namespace's own results through unconverted (``_DurableObjectNamespaceWrapper``
passes ``getattr`` to JavaScript), so only JavaScript's names exist: ``idFromName``, not ``id_from_name``.
"""

from __future__ import annotations

from typing import Any

from pyworker.bindings.calls import Side
from pyworker.bindings.durable_objects import ids
from pyworker.bindings.durable_objects.config import ObjectBinding
from pyworker.bindings.durable_objects.ids import DurableObjectId
from pyworker.bindings.durable_objects.registry import Objects
from pyworker.bindings.durable_objects.stub import DurableObjectStub, Link
from pyworker.bindings.jsapi import js_string
from pyworker.runtime.jsvalues import JsException
from pyworker.runtime.wrappers import _DurableObjectNamespaceWrapper

JURISDICTIONS = frozenset({"eu", "fedramp", "fedramp-high"})


class DurableObjectNamespace(_DurableObjectNamespaceWrapper):
    """One ``durable_objects.bindings`` entry, as a worker's ``env`` holds it."""

    __slots__ = ("_jurisdiction", "_key", "_link", "_objects", "_target")

    def __init__(self, target: ObjectBinding, caller: Side, objects: Objects, link: Link | None = None) -> None:
        self._target = target
        self._objects = objects
        self._key = objects.unique_key(target.script, target.class_name)
        self._link = link or Link(target.binding, caller, target.script, objects.directory())
        self._jurisdiction: str | None = None

    def idFromName(self, name: Any) -> DurableObjectId:
        return ids.from_name(self._key, js_string(name))

    def newUniqueId(self, options: Any = None, **kwargs: Any) -> DurableObjectId:
        if isinstance(options, dict) and options.get("jurisdiction") is not None:
            _jurisdiction(options["jurisdiction"])
        return ids.unique(self._key)

    def idFromString(self, text: Any) -> DurableObjectId:
        return ids.from_string(self._key, text)

    def get(self, object_id: Any, options: Any = None, **kwargs: Any) -> DurableObjectStub:
        if not isinstance(object_id, DurableObjectId):
            raise JsException(
                "TypeError",
                f"Failed to execute 'get' on 'DurableObjectNamespace': parameter 1 is not of type "
                f"'DurableObjectId' (got {type(object_id).__name__}).",
            )
        if object_id._key != self._key:
            raise JsException("TypeError", "ID is not for this Durable Object class.")
        target = self._target
        return DurableObjectStub(self._link, self._objects.slot(target.script, target.class_name, object_id))

    def getByName(self, name: Any, options: Any = None, **kwargs: Any) -> DurableObjectStub:
        return self.get(self.idFromName(name))

    def jurisdiction(self, name: Any) -> DurableObjectNamespace:
        """The namespace restricted to a jurisdiction; locally the same objects (there is one place)."""
        _jurisdiction(name)
        other = DurableObjectNamespace(self._target, self._link.caller, self._objects, self._link)
        other._jurisdiction = name
        return other

    def __repr__(self) -> str:
        return (
            f"<Durable Object namespace {self._target.binding} -> {self._target.class_name} of {self._target.script}>"
        )


def _jurisdiction(name: Any) -> None:
    if name not in JURISDICTIONS:
        allowed = ", ".join(f'"{j}"' for j in sorted(JURISDICTIONS))
        raise JsException("TypeError", f"Unknown jurisdiction {name!r}: use one of {allowed}.")
