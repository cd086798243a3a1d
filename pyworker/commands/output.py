"""Data output as wrangler prints it: its tables, and values as JavaScript writes them.

wrangler is JavaScript: a number from D1 is a double (``2.0`` is ``2``, an integer beyond 2**53
is the nearest double), ``String(null)`` is ``null``, and ``JSON.stringify(x, null, 2)`` keeps
non-ASCII text as it is. :func:`js_json` and :func:`js_text` write values that way.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from pyworker.runtime.jsvalues import number_text

MAX_SAFE_INTEGER = 2**53 - 1


def box_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """``┌──┐`` boxes around ``header`` and ``rows``, a rule between rows, as wrangler's ``logger.table``."""
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]

    def line(left: str, middle: str, right: str) -> str:
        return left + middle.join("─" * (width + 2) for width in widths) + right

    def cells(row: Sequence[str]) -> str:
        return "│" + "│".join(f" {str(cell).ljust(width)} " for cell, width in zip(row, widths, strict=True)) + "│"

    body = [cells(row) for row in [header, *rows]]
    return "\n".join([line("┌", "┬", "┐"), f"\n{line('├', '┼', '┤')}\n".join(body), line("└", "┴", "┘")])


def js_number(value: int | float) -> str:
    """A number as JavaScript writes it, after D1's conversion to a double."""
    if isinstance(value, int) and -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
        return str(value)
    return number_text(float(value))


def js_text(value: Any) -> str:
    """``String(value)``: ``null`` for None, ``true``/``false``, numbers as :func:`js_number`."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return js_number(value)
    return str(value)


def js_json(value: Any, indent: str = "") -> str:
    """``JSON.stringify(value, null, 2)`` for dicts, lists, strings, numbers, booleans and None."""
    inner = indent + "  "
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{inner}{json.dumps(str(k), ensure_ascii=False)}: {js_json(v, inner)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + f"\n{indent}}}"
    if isinstance(value, list | tuple):
        if not value:
            return "[]"
        return "[\n" + ",\n".join(inner + js_json(v, inner) for v in value) + f"\n{indent}]"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if value is None or isinstance(value, bool) or (isinstance(value, float) and value != value):
        return "null" if value is None or not isinstance(value, bool) else js_text(value)
    if isinstance(value, int | float):
        return js_number(value) if abs(value) != float("inf") else "null"
    return json.dumps(str(value), ensure_ascii=False)
