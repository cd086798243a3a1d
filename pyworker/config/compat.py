"""What a worker's ``compatibility_date`` and ``compatibility_flags`` change in how Cloudflare runs its Python.

Global handlers (workerd's ``pythonNoGlobalHandlers``, on from 2025-08-14 or with the
``python_no_global_handlers`` flag, off again with ``disable_python_no_global_handlers``):
before that date, module-level ``on_fetch(request, env, ctx)`` (and ``on_scheduled``,
``on_queue``...) are the worker's handlers, and a ``Default`` class's ``fetch`` event calls its
``on_fetch`` method; from that date on only the ``Default`` class's ``fetch`` method answers.
"""

from __future__ import annotations

from pyworker.config.model import WorkerConfig

NO_GLOBAL_HANDLERS_DATE = "2025-08-14"


def global_handlers(config: WorkerConfig) -> bool | None:
    """Whether the worker runs with legacy global handlers; ``None`` when it has no ``compatibility_date``
    to say (pyworker then accepts both forms)."""
    flags = config.compatibility_flags
    if "disable_python_no_global_handlers" in flags:
        return True
    if "python_no_global_handlers" in flags:
        return False
    if config.compatibility_date is None:
        return None
    return config.compatibility_date < NO_GLOBAL_HANDLERS_DATE


def handler_rule(config: WorkerConfig) -> str:
    """The one sentence that says which handler form the worker's settings select."""
    flags = config.compatibility_flags
    if "disable_python_no_global_handlers" in flags:
        return "the disable_python_no_global_handlers flag selects legacy global handlers"
    if "python_no_global_handlers" in flags:
        return "the python_no_global_handlers flag selects the Default class's fetch()"
    date = config.compatibility_date
    if date is not None and date < NO_GLOBAL_HANDLERS_DATE:
        return f"compatibility_date {date} (before {NO_GLOBAL_HANDLERS_DATE}) selects legacy global handlers"
    return f"compatibility_date {date} ({NO_GLOBAL_HANDLERS_DATE} or later) selects the Default class's fetch()"
