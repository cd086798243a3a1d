"""``import asgi``: run an ASGI app (FastAPI, Starlette) as a worker."""

from __future__ import annotations

from typing import Any

from pyworker.runtime.asgi_bridge import fetch

__all__ = ["env", "fetch"]


def env(request: Any) -> Any:
    """FastAPI dependency: ``Depends(asgi.env)`` gives the worker's env."""
    return request.scope["env"]
