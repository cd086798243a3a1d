"""Exceptions crossing a service binding: the caller gets the same built-in class and message.

The callee's exception object never crosses (its traceback would lead to the callee's
frames, globals and ``env``); the caller gets a new one built from its message.
"""

from __future__ import annotations

from typing import Any

_PLAIN_ARGS: frozenset[type] = frozenset({str, int, float, bool, type(None)})
_CROSSED = "_pyworker_crossed"


def crossed_exception(exc: BaseException) -> Exception:
    """``exc`` as the other side sees it: a built-in class kept (``ValueError``...), anything else ``Exception``.

    Only the message crosses: no note, no traceback, no ``__cause__``, so
    ``pytest.raises(ValueError, match="^boom$")`` holds on the caller's side as it would in production.
    """
    new = _same_builtin(exc)
    if new is None:
        new = Exception(str(exc))
    setattr(new, _CROSSED, True)
    return new


def has_crossed(exc: BaseException) -> bool:
    """Whether ``exc`` came across a binding (its traceback was printed where it was raised)."""
    return getattr(exc, _CROSSED, False) is True


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
