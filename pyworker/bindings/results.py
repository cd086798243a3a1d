"""What a binding's result is in Python code: the SDK's ``_BindingWrapper`` rules, once for every kind.

In production a binding method's result crosses ``_BindingWrapper._convert_result``:
``python_from_rpc`` turns plain JavaScript objects and arrays into dicts (attribute access
too) and lists, all the way down, and ``Date`` into a naive local ``datetime``; an instance of
a JavaScript class (``R2Object``, ``R2MultipartUpload``, a Durable Object stub, a Workflow
instance...) stays a ``JsProxy``, and only at the top level (the result itself, or the items
of a result that is a list) is it wrapped again in a ``_BindingWrapper``:

- wrapped (:class:`JsResult`): ``obj.attr`` and ``obj["attr"]`` both work (a missing one raises
  ``AttributeError`` both ways), ``len()`` and iteration raise ``TypeError`` unless JavaScript
  has them; attributes are converted as results are (``uploaded`` a ``datetime``, metadata a dict);
- nested, left a ``JsProxy`` (:class:`RawJs`), e.g. the items of R2 ``list().objects``:
  attribute access only, ``Date`` a JavaScript ``Date`` (``getTime()``, ``toISOString()``),
  plain objects ``JsProxy`` objects too (``obj.customMetadata.owner``, not ``["owner"]``).

API for binding kinds: subclass :class:`JsResult` for each JavaScript class a binding returns
(``JS_NAME`` = the class's JavaScript name), and pass every value a binding method returns
through :func:`binding_result`.
"""

from __future__ import annotations

import datetime
from typing import Any

from pyworker.runtime.jsobject import AttributeOnly, JsObjectProxy
from pyworker.runtime.jsvalues import JsDict
from pyworker.runtime.wrappers import _BindingWrapper
from pyworker.sdk.jsobjects import JsDate


class JsResult(_BindingWrapper):
    """An instance of a JavaScript class a binding returns, as the SDK's ``_BindingWrapper`` shows it."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(name)  # as Pyodide says it for a JavaScript property that is not there


def binding_result(value: Any) -> Any:
    """``value`` (what a binding method made) as the SDK's ``_convert_result`` hands it to Python code."""
    if isinstance(value, list):  # a list's items are wrapped again, one by one
        return [item if isinstance(item, _BindingWrapper) else _from_rpc(item) for item in value]
    if isinstance(value, _BindingWrapper):
        return value
    return _from_rpc(value)


def _from_rpc(value: Any) -> Any:
    # python_from_rpc: plain objects and arrays converted all the way down; class instances left as they are.
    if isinstance(value, JsResult):
        return RawJs(value)
    if isinstance(value, dict):
        return JsDict({key: _from_rpc(item) for key, item in value.items()})
    if isinstance(value, list):
        return [_from_rpc(item) for item in value]
    return value


def _raw(value: Any) -> Any:
    # A value read from a JsProxy: JavaScript all the way down.
    if isinstance(value, JsResult):
        return RawJs(value)
    if isinstance(value, datetime.datetime):
        moment = value if value.tzinfo is not None else value.astimezone()
        return JsDate(moment.timestamp() * 1000)
    if isinstance(value, dict):
        return JsObjectProxy({key: _raw(item) for key, item in value.items()})
    if isinstance(value, list):
        return [_raw(item) for item in value]
    return value


class RawJs(AttributeOnly):
    """A JavaScript class instance nested in a binding's result: a ``JsProxy``, attribute access only."""

    __slots__ = ("_target",)

    def __init__(self, target: JsResult) -> None:
        object.__setattr__(self, "_target", target)

    def __getattr__(self, name: str) -> Any:
        return _raw(getattr(object.__getattribute__(self, "_target"), name))

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(object.__getattribute__(self, "_target"), name, value)

    def __repr__(self) -> str:
        return f"[object {type(object.__getattribute__(self, '_target')).JS_NAME}]"
