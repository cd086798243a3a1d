"""Cold start: launch -> first 200, pyworker on the seed example vs bare uvicorn + Starlette.

python bench/coldstart.py [--runs 7]

Interleaved: each round starts both once (which goes first alternates), so a slow spell on a
shared machine hits both alike. Both serve on the same HTTP parser and event loop.
"""

from __future__ import annotations

import argparse
from typing import Any

from _common import FIXTURES, cold_start, median, pyworker_cmd, uvicorn_cmd


def measure(runs: int) -> dict[str, Any]:
    """Medians over ``runs`` interleaved rounds, the median of the rounds' own ratios, and every round."""
    seed = [str(FIXTURES / "seed/worker_a"), str(FIXTURES / "seed/worker_b")]
    commands = {
        "pyworker": lambda port: pyworker_cmd(*seed, "--port", str(port), "--log-level", "warn"),
        "uvicorn": lambda port: uvicorn_cmd("baseline_app:app", port),
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    for round_ in range(runs):
        for name in sorted(commands, reverse=round_ % 2 == 1):
            times[name] += cold_start(commands[name], runs=1)
    ratios = [ours / theirs for ours, theirs in zip(times["pyworker"], times["uvicorn"], strict=True)]
    return {
        "pyworker_s": median(times["pyworker"]), "uvicorn_s": median(times["uvicorn"]), "ratio": median(ratios),
        "pyworker_s_rounds": times["pyworker"], "uvicorn_s_rounds": times["uvicorn"], "ratio_rounds": ratios,
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    result = measure(parser.parse_args().runs)
    ratio = result["ratio"]
    print(
        f"cold start (median of runs): pyworker {result['pyworker_s'] * 1000:.0f} ms, "
        f"bare uvicorn {result['uvicorn_s'] * 1000:.0f} ms, ratio (median of rounds) {ratio:.2f}"
    )


if __name__ == "__main__":
    main()
