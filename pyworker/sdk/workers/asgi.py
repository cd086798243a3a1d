"""``workers.asgi`` (and ``import asgi``): run an ASGI app (FastAPI, Starlette) as a worker."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pyworker.runtime.asgi_bridge import fetch as _fetch
from pyworker.runtime.entrypoint import WorkerEntrypoint
from pyworker.runtime.http import Request, Response
from pyworker.sdk.workers.gateway import BaseOptions
from pyworker.sdk.workers.gateway.adapters import entrypoint_for


@dataclass(frozen=True, kw_only=True)
class Options(BaseOptions):
    """Options for the ASGI adapter."""


DEFAULT_OPTIONS = Options()


async def fetch(app: Any, req: Request, env: Any, ctx: Any = None, *, options: Options | None = None) -> Response:
    """Hand ``req`` to ``app``; ``env`` is at ``scope["env"]`` (and ``asgi.env`` as a FastAPI dependency)."""
    return await _fetch(app, req, env, ctx)


def entrypoint(app: Any, *, options: Options | None = None) -> type[WorkerEntrypoint]:
    """The default entrypoint for an ASGI application: ``Default = asgi.entrypoint(app)``."""
    return entrypoint_for(_fetch, app)


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
