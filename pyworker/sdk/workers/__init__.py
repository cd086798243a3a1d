"""``workers``: the Cloudflare Python Workers API, as pyworker provides it to worker code."""

from __future__ import annotations

from typing import Any

from pyworker.runtime.body import BodyUsedError, File, FormData
from pyworker.runtime.entrypoint import (
    DurableObject,
    ExecutionContext,
    WorkerEntrypoint,
    WorkflowEntrypoint,
    current_context,
    handler,
)
from pyworker.runtime.headers import Headers
from pyworker.runtime.http import Request, Response
from pyworker.runtime.outbound import fetch

Context = ExecutionContext
FetchResponse = Response

__all__ = [
    "BodyUsedError",
    "Context",
    "DurableObject",
    "FetchResponse",
    "File",
    "FormData",
    "Headers",
    "Request",
    "Response",
    "WorkerEntrypoint",
    "WorkflowEntrypoint",
    "fetch",
    "handler",
    "waitUntil",
    "wait_until",
]


def wait_until(awaitable: Any) -> None:
    """``ctx.wait_until`` of the invocation running now."""
    ctx = current_context.get()
    if ctx is None:
        raise RuntimeError("workers.wait_until() was called outside a request or RPC call.")
    ctx.wait_until(awaitable)


waitUntil = wait_until


def __getattr__(name: str) -> Any:
    if name == "env":  # `from workers import env`: the env of the invocation running now
        ctx = current_context.get()
        if ctx is None:
            raise RuntimeError("workers.env is only available while a request or RPC call runs.")
        return ctx.env
    raise AttributeError(f"module 'workers' has no attribute {name!r}")
