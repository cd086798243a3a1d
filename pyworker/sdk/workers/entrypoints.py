"""``workers.entrypoints``: the entrypoint base classes and ``handler``."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from pyworker.runtime.entrypoint import DurableObject, WorkerEntrypoint, WorkflowEntrypoint
from pyworker.sdk.jsfetch import JsRequest

__all__ = ["DurableObject", "WorkerEntrypoint", "WorkflowEntrypoint", "handler"]


def handler(func: Callable[..., Any]) -> Callable[..., Any]:
    """The SDK's ``@handler`` for a module-level ``on_fetch``: the JavaScript ``Request`` it would get
    becomes the SDK's ``Request``, as ``workers.entrypoints.handler`` does on Cloudflare."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if args and isinstance(args[0], JsRequest):
            args = (args[0]._request, *args[1:])
        return func(*args, **kwargs)

    return wrapper
