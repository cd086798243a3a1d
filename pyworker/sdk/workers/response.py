"""``workers.response``: ``Response`` (and ``FetchResponse``, its base in the SDK)."""

from __future__ import annotations

from pyworker.runtime.response import Response

FetchResponse = Response

__all__ = ["FetchResponse", "Response"]
