"""``workers.fetch``: outbound HTTP."""

from __future__ import annotations

from pyworker.runtime.outbound import fetch

__all__ = ["fetch"]
