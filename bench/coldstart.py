"""Cold start: launch -> first 200, pyworker on the seed example vs bare uvicorn + Starlette.

python bench/coldstart.py [--runs 7]
"""

from __future__ import annotations

import argparse
from typing import Any

from _common import FIXTURES, cold_start, median, pyworker_cmd, uvicorn_cmd


def measure(runs: int) -> dict[str, Any]:
    """``pyworker_s`` and ``uvicorn_s`` (medians), with every run in ``pyworker_s_rounds``/``uvicorn_s_rounds``."""
    seed = [str(FIXTURES / "seed/worker_a"), str(FIXTURES / "seed/worker_b")]
    pyworker = cold_start(lambda port: pyworker_cmd(*seed, "--port", str(port), "--log-level", "warn"), runs=runs)
    baseline = cold_start(lambda port: uvicorn_cmd("baseline_app:app", port), runs=runs)
    return {
        "pyworker_s": median(pyworker), "uvicorn_s": median(baseline),
        "pyworker_s_rounds": pyworker, "uvicorn_s_rounds": baseline,
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    result = measure(parser.parse_args().runs)
    ratio = result["pyworker_s"] / result["uvicorn_s"]
    print(
        f"cold start (median of runs): pyworker {result['pyworker_s'] * 1000:.0f} ms, "
        f"bare uvicorn {result['uvicorn_s'] * 1000:.0f} ms, ratio {ratio:.2f}"
    )


if __name__ == "__main__":
    main()
