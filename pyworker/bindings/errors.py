"""Errors crossing a binding, as they reach Python code on Cloudflare: as ``pyodide.ffi.JsException``.

A Python exception escaping an RPC method becomes a JavaScript error on its way across,
so the caller gets a :class:`JsException` named ``"Error"`` whose message carries the
callee's exception type and text (``PythonError: ValueError: boom``): ``except ValueError``
around a binding call does not catch it there, so it must not catch it here. A
``JsException`` the callee let through crosses as itself. Nothing of the callee travels
along: no traceback, no ``__cause__``; its traceback was printed under its own name.
"""

from __future__ import annotations

import traceback
from collections.abc import Coroutine
from typing import Any

from pyworker.errors import mark_reported
from pyworker.runtime.jsvalues import JsException
from pyworker.tracebacks import users_names


class ForeignError(Exception):
    """An exception raised in another pyworker process: what crossed is the type's name and the message line,
    so this stands in for it wherever a crossing error is built (it was printed over there)."""

    def __init__(self, kind: str, line: str) -> None:
        super().__init__(line)
        self.kind = kind
        self.line = line


def crossing_error(exc: BaseException, callee: str) -> JsException:
    """``exc``, raised in ``callee``, as the caller receives it; marked as reported (it was printed)."""
    if isinstance(exc, JsException):
        error = JsException(exc.name, exc.message)
    else:
        error = JsException("Error", f"PythonError: {exception_line(exc)}")
    mark_reported(error)
    return error


def exception_line(exc: BaseException) -> str:
    """``ValueError: boom`` (``entry.CustomError: ...`` for a worker's own class), as a traceback's last line."""
    if isinstance(exc, ForeignError):
        return exc.line
    line = traceback.format_exception_only(type(exc), exc)[-1].strip()
    return users_names(line)


def raised_in(exc: BaseException) -> str:
    """The exception's type as the hint names it."""
    if isinstance(exc, ForeignError):
        return exc.kind
    kind = type(exc)
    return kind.__qualname__ if kind.__module__ == "builtins" else users_names(f"{kind.__module__}.{kind.__qualname__}")


async def crossing(coro: Coroutine[Any, Any, Any]) -> Any:
    """Await ``coro``; what it raises goes on without its traceback, as on Cloudflare only the message crosses.

    The callee's frames (its ``Worker``, env and secrets in ``f_locals``) and pyworker's that
    hold them stay behind; the error's traceback starts here (a frame with sealed globals).
    """
    try:
        return await coro
    except BaseException as exc:
        error = exc
    del coro
    raise without_frames(error)


def without_frames(error: BaseException) -> BaseException:
    """``error`` with no traceback on it nor on its causes and contexts (their messages stay)."""
    seen = set()
    link: BaseException | None = error
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        link.__traceback__ = None
        link = link.__cause__ or link.__context__
    return error
