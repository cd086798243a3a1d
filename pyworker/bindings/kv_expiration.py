"""When a KV value expires: ``{expiration, expirationTtl}`` of ``put`` and ``pyworker kv``, as Miniflare checks it."""

from __future__ import annotations

import time
from typing import Any

from pyworker.bindings.jsapi import js_string
from pyworker.runtime.jsvalues import JsException

MIN_EXPIRATION_TTL = 60


def _failed(status: int, message: str) -> JsException:
    return JsException("Error", f"KV PUT failed: {status} {message}")


def expiration_from(given: dict[str, Any], now: float | None = None) -> int | None:
    """The absolute expiry (seconds) of ``{expiration, expirationTtl}``, with Miniflare's checks and messages."""
    now_s = int(time.time() if now is None else now)
    ttl, expiration = given.get("expirationTtl"), given.get("expiration")
    if ttl is not None:
        if not isinstance(ttl, int | float) or ttl <= 0:
            raise _failed(400, f"Invalid expiration_ttl of {js_string(ttl)}. Please specify integer greater than 0.")
        if ttl < MIN_EXPIRATION_TTL:
            raise _failed(400, f"Invalid expiration_ttl of {js_string(ttl)}. "
                          f"Expiration TTL must be at least {MIN_EXPIRATION_TTL}.")  # fmt: skip
        return now_s + int(ttl)
    if expiration is None:
        return None
    if not isinstance(expiration, int | float) or expiration <= now_s:
        raise _failed(400, f"Invalid expiration of {js_string(expiration)}. Please specify integer greater "
                      "than the current number of seconds since the UNIX epoch.")  # fmt: skip
    if expiration < now_s + MIN_EXPIRATION_TTL:
        raise _failed(400, f"Invalid expiration of {js_string(expiration)}. Expiration times must be at "
                      f"least {MIN_EXPIRATION_TTL} seconds in the future.")  # fmt: skip
    return int(expiration)
