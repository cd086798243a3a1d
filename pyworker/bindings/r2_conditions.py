"""R2's conditional operations (``onlyIf``) and ranged reads (``range``), with workerd's checks and R2's rules."""

from __future__ import annotations

import datetime
import email.utils
from typing import Any

from pyworker.bindings.jsapi import js_string
from pyworker.bindings.r2_objects import r2_error
from pyworker.runtime.jsvalues import JsException
from pyworker.storage.r2 import StoredObject

Etags = list[tuple[str, str]]  # (kind, value): kind is "strong", "weak" or "wildcard"


def _etags(value: Any, from_header: bool = False) -> Etags | None:
    if value is None:
        return None
    text = js_string(value)
    if not from_header:
        if len(text) >= 2 and text.startswith('"') and text.endswith('"'):
            raise JsException("TypeError", f"Conditional ETag should not be wrapped in quotes ({text}).")
        return [("wildcard", "")] if text == "*" else [("strong", text)]
    etags: Etags = []
    for part in (piece.strip() for piece in text.split(",")):
        if part == "*":
            etags.append(("wildcard", ""))
        elif part.startswith("W/"):
            etags.append(("weak", part[2:].strip('"')))
        elif part:
            etags.append(("strong", part.strip('"')))
    return etags


def _millis(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return int(value.timestamp() * 1000)
    parsed = email.utils.parsedate_to_datetime(js_string(value))
    return int(parsed.timestamp() * 1000)


def _unwrap(only_if: Any) -> dict[str, Any]:
    if isinstance(only_if, dict):
        return {
            "match": _etags(only_if.get("etagMatches")),
            "none_match": _etags(only_if.get("etagDoesNotMatch")),
            "after": _millis(only_if.get("uploadedAfter")),
            "before": _millis(only_if.get("uploadedBefore")),
            "seconds": bool(only_if.get("secondsGranularity")),
        }
    return {  # Headers: If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since (seconds, as HTTP dates are)
        "match": _etags(only_if.get("if-match"), True),
        "none_match": _etags(only_if.get("if-none-match"), True),
        "after": _millis(only_if.get("if-modified-since")),
        "before": _millis(only_if.get("if-unmodified-since")),
        "seconds": True,
    }


def _includes(etags: Etags, etag: str, weak: bool) -> bool:
    return any(kind == "wildcard" or (value == etag and (kind == "strong" or weak)) for kind, value in etags)


def condition_holds(only_if: Any, existing: StoredObject | None) -> bool:
    """RFC 7232's rules as R2 applies them (an ``If-None-Match`` that holds overrides ``If-Modified-Since``...)."""
    cond = _unwrap(only_if)
    if existing is None:
        return cond["match"] is None and cond["after"] is None
    seconds = cond["seconds"]

    def truncate(ms: int) -> int:
        return ms // 1000 * 1000 if seconds else ms

    uploaded = truncate(existing.uploaded)
    if_match = cond["match"] is None or _includes(cond["match"], existing.etag, weak=False)
    if_none_match = cond["none_match"] is None or not _includes(cond["none_match"], existing.etag, weak=True)
    modified_since = (cond["after"] is None or truncate(cond["after"]) < uploaded
                      or (cond["none_match"] is not None and if_none_match))  # fmt: skip
    unmodified_since = (cond["before"] is None or uploaded < truncate(cond["before"])
                        or (cond["match"] is not None and if_match))  # fmt: skip
    return if_match and if_none_match and modified_since and unmodified_since


def _whole(name: str, label: str, value: Any) -> int:
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise JsException("TypeError", f"Invalid range. {label} must be a number.")
    if value < 0:
        raise JsException(
            "RangeError", f"Invalid {name}. {label} ({js_string(value)}) must be greater than or equal to 0."
        )
    if not float(value).is_integer():
        raise JsException(
            "RangeError", f"Invalid range. {label} ({js_string(value)}) must be an integer, not floating point."
        )
    return int(value)


def byte_range(requested: Any, size: int) -> tuple[int, int]:
    """``(start, length)`` of ``range`` ({offset, length} or {suffix}, or Headers with ``Range``) in ``size`` bytes."""
    if requested is None:
        return 0, size
    if not isinstance(requested, dict):
        return _header_range(js_string(requested.get("range") or ""), size)
    offset, length, suffix = (requested.get(name) for name in ("offset", "length", "suffix"))
    if suffix is not None:
        if offset is not None:
            raise JsException("TypeError", "Suffix is incompatible with offset.")
        if length is not None:
            raise JsException("TypeError", "Suffix is incompatible with length.")
        count = _whole("suffix", "Suffix", suffix)
        if count == 0:
            raise r2_error("get", "The requested range is not satisfiable", 10039)
        count = min(count, size)
        return size - count, count
    start = 0 if offset is None else _whole("range", "Starting offset", offset)
    count = size - start if length is None else _whole("range", "Length", length)
    if start > size or (count <= 0 and not (length is None and start == size)):
        raise r2_error("get", "The requested range is not satisfiable", 10039)
    return start, max(0, min(count, size - start))


def _header_range(header: str, size: int) -> tuple[int, int]:
    """One ``bytes=a-b`` range; anything else (none, several, malformed) reads it all, as R2 does."""
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec or "-" not in spec:
        return 0, size
    first, _, last = (part.strip() for part in spec.partition("-"))
    if not first and last.isdigit():
        count = min(int(last), size)
        return size - count, count
    if first.isdigit() and (not last or last.isdigit()):
        start = int(first)
        end = size - 1 if not last else min(int(last), size - 1)
        if start < size and end >= start:
            return start, end - start + 1
    return 0, size
