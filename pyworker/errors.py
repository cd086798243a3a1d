"""The one exception hierarchy pyworker raises.

Every message is a full sentence that names the file or worker at fault and
says what to do. Only ``cli.py`` turns these into exit codes.
"""

from __future__ import annotations


class PyworkerError(Exception):
    """Base class: a problem pyworker reports to the user as one line."""


class ConfigError(PyworkerError):
    """A wrangler config (or ``.dev.vars``) cannot be read or is invalid."""


class WorkerLoadError(PyworkerError):
    """A worker's code could not be imported (syntax error, failing import...)."""


class ServeError(PyworkerError):
    """The dev server cannot start, e.g. because a port is taken."""


class BindingError(PyworkerError, RuntimeError):
    """A service binding cannot reach its target; raised inside the caller's code."""
