"""Exceptions crossing a service binding: the caller gets the same built-in class and message.

The callee's exception object never crosses (its traceback would lead to the callee's
frames, globals and ``env``); the caller gets a new one built from its message.
"""

from __future__ import annotations

from typing import Any

from pyworker.errors import mark_reported

_PLAIN_ARGS: frozenset[type] = frozenset({str, int, float, bool, type(None)})


def crossed_exception(exc: BaseException) -> Exception:
    """``exc`` as the other side sees it: a built-in class kept (``ValueError``...), anything else ``Exception``.

    Only the message crosses: no note, no traceback, no ``__cause__``, so
    ``pytest.raises(ValueError, match="^boom$")`` holds on the caller's side as it would in production.
    It is marked as reported: its story was printed where it was raised.
    """
    new = _same_builtin(exc)
    if new is None:
        new = Exception(str(exc))
    mark_reported(new)
    return new


def _same_builtin(exc: BaseException) -> Exception | None:
    kind = type(exc)
    if kind.__module__ != "builtins" or not issubclass(kind, Exception):
        return None
    args: tuple[Any, ...] = exc.args if all(type(a) in _PLAIN_ARGS for a in exc.args) else (str(exc),)
    try:
        new = kind(*args)
    except Exception:  # a built-in whose constructor wants other arguments
        return None
    return new if str(new) == str(exc) else None
