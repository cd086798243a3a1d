"""``workers.request``: ``Request``."""

from __future__ import annotations

from pyworker.runtime.http import Request

__all__ = ["Request"]
