"""``workers.wsgi``: run a WSGI app (Flask, Django) as a worker."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pyworker.runtime.entrypoint import WorkerEntrypoint
from pyworker.runtime.http import Request, Response
from pyworker.runtime.wsgi_bridge import build_environ
from pyworker.runtime.wsgi_bridge import fetch as _fetch
from pyworker.sdk.workers.gateway import BaseOptions
from pyworker.sdk.workers.gateway.adapters import entrypoint_for


@dataclass(frozen=True, kw_only=True)
class Options(BaseOptions):
    """Options for the WSGI adapter."""


DEFAULT_OPTIONS = Options()


async def fetch(app: Any, req: Request, env: Any, ctx: Any = None, *, options: Options | None = None) -> Response:
    """Call ``app`` with a PEP 3333 environ; ``env`` is at ``environ["workers.env"]``."""
    return await _fetch(app, req, env, ctx)


def entrypoint(app: Any, *, options: Options | None = None) -> type[WorkerEntrypoint]:
    """The default entrypoint for an WSGI application: ``Default = wsgi.entrypoint(app)``."""
    return entrypoint_for(_fetch, app)


__all__ = ["DEFAULT_OPTIONS", "Options", "build_environ", "entrypoint", "fetch"]
