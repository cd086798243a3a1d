"""Exceptions between pyworker processes: what the caller's side needs to deliver them as in-process.

A call's error reaches the caller's side as the exception the callee's invocation frame let
out; the caller's binding then turns it into what worker code receives (``JsException``...),
in the caller's process, exactly as in-process (its hints print in the caller's terminal).
pyworker's own errors cross as their class and message; a Python exception of worker code
crosses as its type's name and its message line (:class:`ForeignError`), never as an object.
"""

from __future__ import annotations

from typing import Any

from pyworker.bindings.errors import ForeignError, exception_line, raised_in
from pyworker.errors import (
    BindingError,
    InvocationLimit,
    NoHandler,
    NoMethod,
    UncaughtBaseException,
    WorkerLoadError,
    mark_reported,
    was_reported,
)
from pyworker.runtime.jsvalues import JsException

# pyworker's errors that cross as themselves, by name; most specific first.
_OURS: tuple[tuple[str, type[Exception]], ...] = (
    ("limit", InvocationLimit),
    ("nomethod", NoMethod),
    ("nohandler", NoHandler),
    ("binding", BindingError),
    ("load", WorkerLoadError),
)
_BY_NAME = dict(_OURS)


def error_fields(exc: BaseException) -> list[Any]:
    """``[kind, name, message, reported]`` for the wire."""
    reported = was_reported(exc)
    if isinstance(exc, JsException):
        return ["js", exc.name, exc.message, reported]
    if isinstance(exc, UncaughtBaseException) and exc.__cause__ is not None:
        exc = exc.__cause__  # carried as the worker's own exception, as a binding call delivers it
    else:
        for kind, cls in _OURS:
            if isinstance(exc, cls):
                return [kind, "", str(exc), reported]
    return ["python", raised_in(exc), exception_line(exc), reported]


def error_from(fields: Any) -> BaseException:
    """The exception the fields of :func:`error_fields` stand for, on this side."""
    try:
        kind, name, message, reported = fields
        kind, name, message = str(kind), str(name), str(message)
    except (TypeError, ValueError):
        return BindingError("Another pyworker process answered a call with an error this version cannot read.")
    error: BaseException
    if kind == "js":
        error = JsException(name, message)
    elif kind in _BY_NAME:
        error = _BY_NAME[kind](message)
    else:
        error = ForeignError(name, message)
    if reported is True:
        mark_reported(error)
    return error
