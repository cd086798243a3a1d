"""``workers``: the Cloudflare Python Workers API (the ``workers-runtime-sdk`` package's), as pyworker
provides it to worker code. Submodules mirror the SDK's: ``workers.rpc``, ``workers.workflows``,
``workers.types``, ``workers.utils``, ``workers.asgi``, ``workers.wsgi``..."""

from __future__ import annotations

import typing as _typing

from pyworker.sdk.workers.blob import Blob, BlobEnding, BlobValue, File
from pyworker.sdk.workers.entrypoints import DurableObject, WorkerEntrypoint, WorkflowEntrypoint, handler
from pyworker.sdk.workers.fetch import fetch
from pyworker.sdk.workers.formdata import FormData, FormDataValue
from pyworker.sdk.workers.request import Request
from pyworker.sdk.workers.response import FetchResponse, Response
from pyworker.sdk.workers.rpc import _EnvWrapper as _EnvWrapper
from pyworker.sdk.workers.rpc import python_from_rpc, python_to_rpc
from pyworker.sdk.workers.types import Body, Context, FetchKwargs, Headers, JSBody, RequestInitCfProperties
from pyworker.sdk.workers.utils import import_from_javascript, patch_env

__all__ = [
    "Blob",
    "BlobEnding",
    "BlobValue",
    "Body",
    "Context",
    "DurableObject",
    "FetchKwargs",
    "FetchResponse",
    "File",
    "FormData",
    "FormDataValue",
    "Headers",
    "JSBody",
    "Request",
    "RequestInitCfProperties",
    "Response",
    "WorkerEntrypoint",
    "WorkflowEntrypoint",
    "env",
    "fetch",
    "handler",
    "import_from_javascript",
    "patch_env",
    "python_from_rpc",
    "python_to_rpc",
    "waitUntil",
    "wait_until",
]


def __getattr__(name: str) -> _typing.Any:
    from pyworker.sdk import envaccess

    if name == "env":  # `from workers import env`: the env of the worker whose code runs now
        return envaccess.current_env()
    if name in ("wait_until", "waitUntil"):
        return envaccess.wait_until
    raise AttributeError(f"module 'workers' has no attribute {name!r}")
