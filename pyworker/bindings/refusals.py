"""The SDK's one refusal rule for values sent to a binding (``_raise_on_disabled_type`` in ``workers/rpc.py``).

Before converting a value, the SDK walks it and raises ``TypeError`` for a ``tuple``, a
``bytearray`` or an awaitable anywhere inside (dict values, list and set items). :func:`refused`
finds the first one and says where it is; each caller words its own message.
"""

from __future__ import annotations

import inspect
from typing import Any

from pyworker.runtime.wrappers import _BindingWrapper

_MAX_DEPTH = 100


def refused(value: Any) -> tuple[Any, str] | None:
    """The first value the SDK refuses in ``value`` and its path (``""``, ``[1]``, ``["items"][0]``), or ``None``."""
    return _find(value, 0)


def _find(value: Any, depth: int) -> tuple[Any, str] | None:
    if depth > _MAX_DEPTH or isinstance(value, _BindingWrapper | str | bytes):
        return None
    if callable(value) and not isinstance(value, type):
        return None
    if isinstance(value, tuple | bytearray) or inspect.isawaitable(value):
        return value, ""
    if isinstance(value, dict):
        items: Any = ((f"[{_shown(key)}]", item) for key, item in value.items())
    elif isinstance(value, list | set | frozenset):
        items = ((f"[{index}]", item) for index, item in enumerate(value))
    else:
        return None
    for step, item in items:
        found = _find(item, depth + 1)
        if found is not None:
            return found[0], step + found[1]
    return None


def _shown(key: Any) -> str:
    return '"' + key.replace('"', '\\"') + '"' if isinstance(key, str) else repr(key)
