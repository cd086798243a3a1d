"""``from workers import wsgi``: run WSGI apps (Flask, Django) as a worker."""

from __future__ import annotations

from pyworker.runtime.wsgi_bridge import build_environ, fetch

__all__ = ["build_environ", "fetch"]
