"""``from workers import asgi``: the same as the top-level ``asgi`` module."""

from __future__ import annotations

from pyworker.sdk.asgi import env, fetch

__all__ = ["env", "fetch"]
