"""The one exception hierarchy pyworker raises, and the mark on errors already shown to the user.

Every message is a full sentence that names the file or worker at fault and
says what to do. Only ``cli.py`` turns these into exit codes.
"""

from __future__ import annotations

import contextlib


class PyworkerError(Exception):
    """Base class: a problem pyworker reports to the user as one line."""


class ConfigError(PyworkerError):
    """A wrangler config (or ``.dev.vars``) cannot be read or is invalid."""


class WorkerLoadError(PyworkerError):
    """A worker's code could not be imported (syntax error, failing import...)."""


class ServeError(PyworkerError):
    """The dev server cannot start, e.g. because a port is taken."""


class StorageError(PyworkerError):
    """Local storage (KV, D1, R2 state under ``.wrangler/state``) cannot be opened or used."""


class StateWriteError(StorageError):
    """A write the state directory cannot take: the disk is full or the state is read-only. Nothing was stored."""


class QueryError(StorageError):
    """SQL that SQLite refused, in D1's wording (``no such table: users: SQLITE_ERROR``)."""


class CommandError(PyworkerError):
    """A ``pyworker d1|kv|r2`` command cannot do what it was asked (unknown binding, bad option, refused value)."""


class BindingError(PyworkerError, RuntimeError):
    """A service binding cannot reach its target; raised inside the caller's code."""


class InvocationLimit(PyworkerError, RuntimeError):
    """A call would go past the request's invocation limit; raised before the callee runs."""


class NoEntrypoint(BindingError):
    """The target worker does not export the entrypoint class a binding names."""


class UncaughtBaseException(PyworkerError):
    """Worker code raised a ``BaseException`` that is no ``Exception`` (``KeyboardInterrupt``,
    ``asyncio.CancelledError``, a class of its own): carried on as an ordinary error of that
    worker, so it never stops the server. Its message names the original: ``KeyboardInterrupt: boom``."""

    @classmethod
    def wrapping(cls, exc: BaseException) -> UncaughtBaseException:
        return cls(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)


class ClientDisconnected(PyworkerError, OSError):
    """The client left before its request body arrived in full; raised where the body is read."""


class ResponseAborted(PyworkerError):
    """A response could not be sent in full; already reported, so the connection is just closed."""


class NoHandler(PyworkerError):
    """The entrypoint has no handler for this kind of event (no ``fetch``, no ``scheduled``...)."""


class NoMethod(PyworkerError):
    """An RPC call names something that is not a public method of the entrypoint."""


_REPORTED = "_pyworker_reported"


def mark_reported(exc: BaseException) -> BaseException:
    """Note that ``exc``'s story was already told (printed where it arose); returns ``exc``."""
    with contextlib.suppress(AttributeError, TypeError):  # an exception class with __slots__
        setattr(exc, _REPORTED, True)
    return exc


def was_reported(exc: BaseException) -> bool:
    return getattr(exc, _REPORTED, False) is True


class BindingNotEmulated(PyworkerError, RuntimeError):
    """A binding pyworker knows but does not emulate (AI, Vectorize...) was used."""


class RegistryError(PyworkerError):
    """The dev registry shared with wrangler cannot be used (its secret file is unsafe or unreadable)."""
