"""What crosses between a Workflow's code and its engine: values, errors, and the engine's own errors.

A step's result and ``run``'s return value cross to the engine as RPC values do (the SDK's
``python_to_rpc``: a tuple is a ``TypeError``, a class instance a ``DataCloneError``) and must
also be storable: a function cannot be. An error a step raised reaches ``run`` as the SDK's
``_from_js_error`` rebuilds it after the round trip through JavaScript: ``ValueError`` and
``TypeError`` as themselves (their message is the traceback's last line, ``ValueError: boom``),
``NonRetryableError`` as itself, anything else as ``pyodide.ffi.JsException``.
"""

from __future__ import annotations

import traceback
from typing import Any

from pyworker.bindings.errors import exception_line
from pyworker.bindings.service import not_running_message
from pyworker.bindings.values import stored_copy
from pyworker.errors import BindingError
from pyworker.runtime.jsvalues import JsDict, JsException
from pyworker.sdk.workers.workflows import NonRetryableError

RESUMABLE = frozenset({"queued", "running", "waiting", "waitingForPause"})
NON_RETRYABLE = "NonRetryableError"


def missing_worker(script: str) -> BindingError:
    """As for a service binding whose worker is not loaded: the Workflow's class runs in ``script``."""
    return BindingError(not_running_message(script))


def step_value(value: Any, root: str) -> Any:
    """``value`` as the engine stores it (refusals raise as the SDK and the structured clone do)."""
    return stored_copy(value, root)


def error_of(exc: BaseException) -> JsDict:
    """The instance's ``error``: the exception's name and message."""
    if isinstance(exc, JsException):
        return JsDict(name=exc.name, message=exc.message)
    return JsDict(name=type(exc).__name__, message=str(exc))


def step_failure(exc: BaseException) -> JsException:
    """A step's last failure as the engine hands it back (a Pyodide ``PythonError`` for Python errors)."""
    if isinstance(exc, NonRetryableError):
        return JsException(NON_RETRYABLE, str(exc))
    if isinstance(exc, JsException):
        return JsException(exc.name, exc.message)
    frames = "".join(traceback.format_tb(exc.__traceback__)[-1:]) if exc.__traceback__ else ""
    return JsException("Error", f"PythonError: Traceback (most recent call last):\n{frames}{exception_line(exc)}")


def from_js_error(exc: JsException) -> Exception:
    """The SDK's ``_from_js_error``: the Python exception ``run`` sees for a failed step."""
    message = exc.message
    if exc.name == NON_RETRYABLE:
        return NonRetryableError(message)
    if message == NON_RETRYABLE:
        return NonRetryableError()
    if message.startswith(NON_RETRYABLE + ": "):
        return NonRetryableError(message[len(NON_RETRYABLE) + 2 :])
    if exc.name != "PythonError" and not message.startswith("PythonError"):
        return _plain(exc)
    lines = message.rstrip().split("\n")
    if len(lines) < 2:
        return _plain(exc)
    last = lines[-1]
    if last.startswith("TypeError"):
        return TypeError(last)
    if last.startswith("ValueError"):
        return ValueError(last)
    if last.startswith("workers.workflows.NonRetryableError"):
        return NonRetryableError(last)
    return _plain(exc)


def _plain(exc: JsException) -> Exception:
    if exc.name == "RangeError":
        return ValueError(exc.message)
    if exc.name == "TypeError":
        return TypeError(exc.message)
    return exc
