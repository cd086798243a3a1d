"""Durations and step configs as the Workflows engine reads them: ``"10 seconds"``, ``{retries, timeout}``.

The engine parses durations with the ``itty-time`` rules: a number is milliseconds, a
string is ``<number> <unit>`` with units from milliseconds to years (singular or plural).
A step config is ``{retries: {limit, delay, backoff}, timeout}``; Cloudflare's defaults
fill what is absent (5 retries, 1 second, exponential; 10 minutes).
"""

from __future__ import annotations

import math
import re
from typing import Any

from pyworker.runtime.jsvalues import JsDict, JsException

_UNITS = {
    "millisecond": 1,
    "ms": 1,
    "second": 1000,
    "minute": 60_000,
    "hour": 3_600_000,
    "day": 86_400_000,
    "week": 7 * 86_400_000,
    "month": 30 * 86_400_000,
    "year": 365 * 86_400_000,
}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-z]+?)s?\s*$", re.IGNORECASE)
BACKOFFS = ("constant", "linear", "exponential")
DEFAULT_CONFIG: dict[str, Any] = {
    "retries": {"limit": 5, "delay": 1000, "backoff": "exponential"},
    "timeout": "10 minutes",
}
CONFIG_HELP = "See https://developers.cloudflare.com/workflows/build/sleeping-and-retrying/"


def duration_ms(value: Any) -> float | None:
    """``value`` in milliseconds, or ``None`` when it is no duration the engine understands."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) and value >= 0 else None
    if not isinstance(value, str):
        return None
    match = _DURATION.match(value)
    if match is None:
        return None
    unit = _UNITS.get(match.group(2).lower())
    return None if unit is None else float(match.group(1)) * unit


def require_duration(value: Any, what: str) -> float:
    """:func:`duration_ms`, or the engine's refusal naming ``what`` (``step.sleep("nap")``)."""
    found = duration_ms(value)
    if found is None:
        raise JsException(
            "Error",
            f"WorkflowFatalError: {what} got {value!r}, which is not a duration: give a number of milliseconds "
            'or a string like "10 seconds", "5 minutes", "1 hour".',
        )
    return found


def resolve_config(name: str, config: Any) -> JsDict:
    """The step config with Cloudflare's defaults; an invalid one is the engine's ``WorkflowFatalError``."""
    given = {} if config is None else config
    if not _valid(given):
        raise JsException(
            "Error", f'WorkflowFatalError: Step config for "{name}" is in a invalid format. {CONFIG_HELP}'
        )
    retries = {**DEFAULT_CONFIG["retries"], **dict(given.get("retries") or {})}
    return JsDict(retries=JsDict(retries), timeout=given.get("timeout", DEFAULT_CONFIG["timeout"]))


def _valid(config: Any) -> bool:
    if not isinstance(config, dict) or set(config) - {"retries", "timeout", "sensitive"}:
        return False
    retries = config.get("retries")
    if retries is not None:
        if not isinstance(retries, dict) or set(retries) - {"limit", "delay", "backoff"} or "limit" not in retries:
            return False
        limit, delay = retries.get("limit"), retries.get("delay", 1000)
        if isinstance(limit, bool) or not isinstance(limit, int | float) or limit < 0:
            return False
        if duration_ms(delay) is None or retries.get("backoff", "exponential") not in BACKOFFS:
            return False
    if "timeout" in config:
        timeout = duration_ms(config["timeout"])
        if timeout is None or timeout == 0:
            return False
    return bool(config.get("sensitive", "output") == "output")


def retry_delay_ms(config: JsDict, attempt: int) -> float:
    """How long to wait after failed attempt number ``attempt`` (1-based), by the config's backoff."""
    retries = config["retries"]
    base = duration_ms(retries["delay"]) or 0.0
    backoff = retries.get("backoff", "exponential")
    if backoff == "exponential":
        return float(base * 2 ** (attempt - 1))
    if backoff == "linear":
        return base * attempt
    return base
