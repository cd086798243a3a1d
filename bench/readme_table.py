"""The README's benchmark table, made from ``bench/RESULTS.md`` (``run.py`` rewrites it after a full run).

python bench/readme_table.py            # rewrite README.md's table from the committed bench/RESULTS.md
python bench/readme_table.py --check    # exit 1 if README.md's table is not what RESULTS.md gives

The table sits between two markers in README.md; its rows are the RESULTS.md rows whose benchmark
starts with one of :data:`HIGHLIGHTS`, in RESULTS.md's order, with the columns in :data:`COLUMNS`.
Nothing else in the README is touched, so a figure quoted in its prose is the writer's to keep true.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
RESULTS = ROOT / "bench" / "RESULTS.md"
START = "<!-- benchmark table: made by bench/run.py from bench/RESULTS.md; do not edit by hand -->"
END = "<!-- end of benchmark table -->"
COLUMNS = ("benchmark", "pyworker", "baseline (same run)", "ratio", "target", "met?")
HIGHLIGHTS = (
    "cold start",
    "throughput",
    "binding call: `await env.B.add(1, 2)`",
    "per call in a loop",
    "request through a",
    "reload: file write",
    "reload stages",
    "memory per extra worker",
    "RSS idle",
    "storage:",
)


def parse(results: str) -> list[dict[str, str]]:
    """The rows of the first table in ``results`` (RESULTS.md), as ``{column header: cell}``."""
    lines = [line for line in results.splitlines() if line.startswith("|")]
    if len(lines) < 2:
        raise ValueError(f"{RESULTS} holds no table; run `python bench/run.py` to make one.")
    header = _cells(lines[0])
    rows = []
    for line in lines[2:]:
        cells = _cells(line)
        if len(cells) != len(header):
            break  # the end of the first table
        rows.append(dict(zip(header, cells, strict=True)))
    return rows


def _cells(line: str) -> list[str]:
    # A cell may hold an escaped bar (error text): split on bars not preceded by a backslash.
    cells, current, escaped = [], "", False
    for char in line.strip()[1:-1]:
        if char == "|" and not escaped:
            cells.append(current.strip())
            current = ""
        else:
            current += char
        escaped = char == "\\"
    cells.append(current.strip())
    return cells


def table(results: str) -> str:
    """The README's table for the RESULTS.md text ``results``, markers included."""
    rows = [row for row in parse(results) if row.get("benchmark", "").startswith(HIGHLIGHTS)]
    lines = [START, "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(row.get(column, "—") for column in COLUMNS) + " |" for row in rows]
    return "\n".join([*lines, END])


def updated(readme: str, results: str) -> str:
    """``readme`` with its table (between the markers) made again from ``results``."""
    start, end = readme.find(START), readme.find(END)
    if start < 0 or end < start:
        raise ValueError(f"{README} has no benchmark table markers ({START!r} … {END!r}).")
    return readme[:start] + table(results) + readme[end + len(END) :]


def rewrite(readme: Path = README, results: Path = RESULTS) -> bool:
    """Rewrite ``readme``'s table from ``results``; whether anything changed."""
    old = readme.read_text()
    new = updated(old, results.read_text())
    if new != old:
        readme.write_text(new)
    return new != old


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only check; exit 1 when the table is stale")
    args = parser.parse_args()
    if args.check:
        stale = updated(README.read_text(), RESULTS.read_text()) != README.read_text()
        print("README.md's benchmark table is stale: run python bench/readme_table.py" if stale else "up to date")
        sys.exit(1 if stale else 0)
    print("README.md rewritten" if rewrite() else "README.md already up to date")


if __name__ == "__main__":
    main()
