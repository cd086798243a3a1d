"""``import asgi``: the same module as ``workers.asgi``, as in the SDK (kept for code that imports it directly)."""

from __future__ import annotations

import sys

from pyworker.sdk.workers import asgi as _asgi

sys.modules[__name__] = _asgi
