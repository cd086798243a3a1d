"""``workers.asgi`` (and ``import asgi``): run an ASGI app (FastAPI, Starlette) as a worker."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from pyworker.runtime import asgi_bridge as _bridge
from pyworker.runtime.entrypoint import WorkerEntrypoint
from pyworker.runtime.jsview import owner_of as _owner_of
from pyworker.sdk.workers.gateway import BaseOptions
from pyworker.sdk.workers.gateway import adapters as _adapters
from pyworker.sdk.workers.types import Context

ASGI = {"spec_version": "2.0", "version": "3.0"}
NULL_BODY_STATUSES = frozenset({101, 103, 204, 205, 304})
logger = logging.getLogger("asgi")


@dataclass(frozen=True, kw_only=True)
class Options(BaseOptions):
    """Options for the ASGI adapter."""


DEFAULT_OPTIONS = Options()


async def fetch(app: Any, req: Any, env: Any, ctx: Context | None = None, *, options: Options | None = None) -> Any:
    """Hand ``req`` (a ``Request`` or its ``js_object``) to ``app``; ``env`` is at ``scope["env"]``
    (and ``asgi.env`` as a FastAPI dependency). ``options.encode_body`` goes on the response."""
    return await _bridge.fetch(app, _owner_of(req), env, ctx, (options or DEFAULT_OPTIONS).encode_body)


def entrypoint(app: Any, *, options: Options | None = None) -> type[WorkerEntrypoint]:
    """The default entrypoint for an ASGI application: ``Default = asgi.entrypoint(app)``."""
    return _adapters.entrypoint_for(_bridge.fetch, app, (options or DEFAULT_OPTIONS).encode_body)


def __getattr__(name: str) -> Any:
    if name == "env":  # FastAPI: `def route(env=asgi.env)` gives the worker's env, as in the SDK
        from fastapi import Depends
        from fastapi import Request as FastAPIRequest

        async def env(request: FastAPIRequest) -> Any:
            return request.scope["env"]

        env.__annotations__ = {"request": FastAPIRequest, "return": Any}
        return Depends(env)
    raise AttributeError(f"module 'asgi' has no attribute {name!r}")


__all__ = ["DEFAULT_OPTIONS", "Options", "entrypoint", "fetch"]
