"""The README's benchmark table is the one ``bench/readme_table.py`` makes from ``bench/RESULTS.md``."""

from __future__ import annotations

import importlib.util
from types import ModuleType

from tests.conftest import ROOT


def readme_table() -> ModuleType:
    spec = importlib.util.spec_from_file_location("readme_table", ROOT / "bench" / "readme_table.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_readme_table_is_made_from_the_committed_results():
    tables = readme_table()
    readme = (ROOT / "README.md").read_text()
    assert tables.updated(readme, (ROOT / "bench" / "RESULTS.md").read_text()) == readme, (
        "README.md's benchmark table is stale: run python bench/readme_table.py"
    )


def test_rows_are_picked_by_benchmark_and_columns_by_header():
    tables = readme_table()
    results = (
        "# Benchmark results\n\n"
        "| benchmark | pyworker | baseline (same run) | ratio | rounds: min-max (n) | target | met? | load |\n"
        "|---|---|---|---|---|---|---|---|\n"
        "| cold start: launch | 180 ms | 130 ms | 1.38 | 170-190 ms (7) | ≤ 0.5 s | met | 0.5 → 0.6 |\n"
        "| scale: something else | 1 | 2 | 0.50 | — | — | — | 0.6 → 0.6 |\n"
        "| storage: `a \\| b` | error: x \\| y | — | — | — | — | — | 0.6 → 0.7 |\n"
        "\n| another table | x |\n|---|---|\n| cold start: not this one | y |\n"
    )
    assert tables.table(results).splitlines()[1:-1] == [
        "| benchmark | pyworker | baseline (same run) | ratio | target | met? |",
        "|---|---|---|---|---|---|",
        "| cold start: launch | 180 ms | 130 ms | 1.38 | ≤ 0.5 s | met |",
        "| storage: `a \\| b` | error: x \\| y | — | — | — | — |",
    ]
