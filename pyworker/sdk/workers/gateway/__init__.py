"""``workers.gateway``: building blocks shared by the ASGI and WSGI adapters, as in the SDK."""

from __future__ import annotations

from pyworker.sdk.workers.gateway.options import BaseOptions, EncodeBody

__all__ = ["BaseOptions", "EncodeBody"]
