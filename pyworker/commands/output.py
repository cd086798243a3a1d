"""Tables for data output, drawn as wrangler draws them."""

from __future__ import annotations

from collections.abc import Sequence


def box_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """``┌──┐`` boxes around ``header`` and ``rows``, one column per header cell."""
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]

    def line(left: str, middle: str, right: str) -> str:
        return left + middle.join("─" * (width + 2) for width in widths) + right

    def cells(row: Sequence[str]) -> str:
        return "│" + "│".join(f" {str(cell).ljust(width)} " for cell, width in zip(row, widths, strict=True)) + "│"

    body = [cells(row) for row in rows]
    return "\n".join([line("┌", "┬", "┐"), cells(header), line("├", "┼", "┤"), *body, line("└", "┴", "┘")])
