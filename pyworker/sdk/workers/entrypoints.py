"""``workers.entrypoints``: the entrypoint base classes and ``handler``."""

from __future__ import annotations

from pyworker.runtime.entrypoint import (
    DurableObject,
    DurableObjectAbort,
    DurableObjectContext,
    WorkerEntrypoint,
    WorkflowEntrypoint,
)
from pyworker.sdk.jsfetch import handler

__all__ = [
    "DurableObject",
    "DurableObjectAbort",
    "DurableObjectContext",
    "WorkerEntrypoint",
    "WorkflowEntrypoint",
    "handler",
]
