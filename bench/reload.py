"""Reload: file write -> new response, per-worker hot reload vs restarting the whole process.

python bench/reload.py [--changes 20] [--only hot|restart]

A temp dir holds copies of the seed workers plus 8 generated ones (w1..w8, each answering
"v1", each on its own ``[dev] port``). One ``pyworker dev`` serves all ten. ``changes`` times,
w1's src/entry.py is rewritten to answer v2, v3, ...; a keep-alive client polls w1 every ~1 ms
until the new text appears. The time is from the write to that response.

Stages of each hot reload (the server runs at ``--log-level debug``, which says when its watcher
reported the save and how long the reload took): write → reported (the watcher saw the file event
and its quiet step passed; measured from the file's modification time, so within the kernel clock's
tick), reported → imported and swapped in, swapped in → the first new response seen by the client.

Baseline (same run): the restart approach. ``pyworker dev --no-reload``; for each change: write
the file, terminate the process, start it again, poll until the new text appears.
"""

from __future__ import annotations

import argparse
import queue
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from _common import (
    FIXTURES,
    free_port,
    launched,
    median,
    percentile,
    pyworker_cmd,
    wait_for_200,
    write_worker,
)

GENERATED = 8
EDITED = "w1"
POLL = 0.001  # seconds between polls for the new response
HOT_DEADLINE = 5.0  # a hot reload slower than this is a failure, not a figure
RESTART_DEADLINE = 30.0
SOURCE = """from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response("{text}")
"""


class ReloadTimeout(RuntimeError):
    """The server kept answering the old text after the file changed."""


@contextmanager
def project() -> Iterator[tuple[Path, list[str], str]]:
    """Temp copies of the seed workers plus w1..w8: (root, the CLI args, w1's base URL)."""
    with tempfile.TemporaryDirectory(prefix="pyworker-bench-reload-") as tmp:
        root = Path(tmp)
        for seed in ("worker_a", "worker_b"):
            shutil.copytree(FIXTURES / "seed" / seed, root / seed)
        urls = {}
        for i in range(1, GENERATED + 1):
            port = free_port()
            write_worker(root, f"w{i}", SOURCE.format(text="v1"), port=port)
            urls[f"w{i}"] = f"http://127.0.0.1:{port}/"
        args = [str(root / name) for name in ("worker_a", "worker_b", *urls)]
        yield root, [*args, "--port", str(free_port())], urls[EDITED]


def edit(root: Path, version: int) -> float:
    """Make w1 answer ``v<version>``; return when the write finished (perf_counter)."""
    (root / EDITED / "src" / "entry.py").write_text(SOURCE.format(text=f"v{version}"))
    return time.perf_counter()


def wait_for_text(
    client: httpx.Client, url: str, text: str, proc: subprocess.Popen[bytes], deadline: float, what: str
) -> float:
    """Poll ``url`` until it answers 200 ``text``; return when (perf_counter). Bounded by ``deadline`` s."""
    end = time.perf_counter() + deadline
    last = "no answer"
    while time.perf_counter() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"pyworker dev exited with {proc.returncode} while waiting for {text!r} from {url}")
        try:
            response = client.get(url)
            if response.status_code == 200 and response.text == text:
                return time.perf_counter()
            last = f"{response.status_code} {response.text!r}"
        except httpx.TransportError as exc:
            last = type(exc).__name__
        time.sleep(POLL)
    raise ReloadTimeout(f"{url} still answered {last} {deadline:g} s after {what}; expected {text!r}.")


STAGE_LINE = re.compile(
    rf"^\[{EDITED}\]\s+the watcher reported the save ([\d.]+) ms after it; the reload took ([\d.]+) ms$"
)


def stage_lines(proc: subprocess.Popen[bytes]) -> queue.SimpleQueue[tuple[float, float]]:
    """(reported ms after the save, reload ms) from each of the server's debug lines on ``EDITED``'s reloads."""
    found: queue.SimpleQueue[tuple[float, float]] = queue.SimpleQueue()

    def read() -> None:
        assert proc.stdout is not None
        for raw in proc.stdout:
            if match := STAGE_LINE.match(raw.decode(errors="replace").rstrip("\n")):
                found.put((float(match.group(1)), float(match.group(2))))

    threading.Thread(target=read, daemon=True).start()
    return found


def measure_hot(changes: int = 20) -> dict[str, list[float]]:
    """Per change, ms from the write: ``total`` (first response with the new text), ``reported`` (the watcher
    reported it), ``imported`` (the new generation swapped in); one server throughout."""
    stages: dict[str, list[float]] = {"total": [], "reported": [], "imported": []}
    with project() as (root, args, url), httpx.Client(timeout=1.0) as client:
        server = launched(pyworker_cmd(*args, "--log-level", "debug"), stdout=subprocess.PIPE)
        with server as proc:
            lines = stage_lines(proc)
            wait_for_200(url, proc)
            for version in range(2, changes + 2):
                while not lines.empty():  # a line from an earlier change (an editor-like second event)
                    lines.get()
                written = edit(root, version)
                what = f"{EDITED}/src/entry.py was rewritten"
                total = (wait_for_text(client, url, f"v{version}", proc, HOT_DEADLINE, what) - written) * 1000
                reported, took = lines.get(timeout=HOT_DEADLINE)
                stages["total"].append(total)
                stages["reported"].append(reported)
                stages["imported"].append(reported + took)
    return stages


def measure_restart(changes: int = 20) -> list[float]:
    """Seconds from each write, through terminating and relaunching pyworker dev, to the new text."""
    times = []
    written: float | None = None
    with project() as (root, args, url), httpx.Client(timeout=1.0) as client:
        for version in range(1, changes + 2):
            # Leaving the `with` terminates the process: the timer runs through that and the relaunch.
            with launched(pyworker_cmd(*args, "--no-reload")) as proc:
                seen = wait_for_text(client, url, f"v{version}", proc, RESTART_DEADLINE, "the restart")
                if written is not None:
                    times.append(seen - written)
                if version <= changes:
                    written = edit(root, version + 1)
    return times


def summary(times_ms: list[float]) -> dict[str, Any]:
    return {"p50_ms": median(times_ms), "p95_ms": percentile(times_ms, 95), "n": len(times_ms), "rounds": times_ms}


def hot(changes: int = 20) -> dict[str, Any]:
    """:func:`summary` of the hot reloads, with the median of each stage in ``stages``."""
    stages = measure_hot(changes)
    return {**summary(stages["total"]), "stages": stage_medians(stages)}


def restart(changes: int = 20) -> dict[str, Any]:
    """:func:`summary` of the restarts (the baseline)."""
    return summary([seconds * 1000 for seconds in measure_restart(changes)])


def measure(changes: int = 20) -> dict[str, Any]:
    """``hot_p50_ms``/``hot_p95_ms`` and ``restart_p50_ms``/``restart_p95_ms`` (``_rounds``: every change), and the
    hot reload's stages as medians (``stage_reported_ms``, ``stage_imported_ms``, ``stage_response_ms``, each from
    the write); raises if a hot reload times out."""
    base, ours = restart(changes), hot(changes)
    return {
        **{f"hot_{key}": value for key, value in ours.items() if key != "stages"},
        **{f"restart_{key}": value for key, value in base.items()},
        "ratio": ours["p50_ms"] / base["p50_ms"],
        **ours["stages"],
    }


def stage_medians(stages: dict[str, list[float]]) -> dict[str, float]:
    """Median ms from the write to each stage: reported by the watcher, swapped in, first new response."""
    return {
        "stage_reported_ms": median(stages["reported"]),
        "stage_imported_ms": median(stages["imported"]),
        "stage_response_ms": median(stages["total"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--only", choices=["hot", "restart"])
    args = parser.parse_args()
    if args.only in (None, "restart"):
        report("restart", restart(args.changes), args.changes)
    if args.only in (None, "hot"):
        result = hot(args.changes)
        report("hot", result, args.changes)
        stages = result["stages"]
        print(
            f"hot stages (median ms from the write): reported by the watcher {stages['stage_reported_ms']:.1f}, "
            f"imported and swapped in {stages['stage_imported_ms']:.1f}, first new response "
            f"{stages['stage_response_ms']:.1f}"
        )


def report(name: str, result: dict[str, Any], changes: int) -> None:
    print(f"{name:8} p50 {result['p50_ms']:7.1f} ms  p95 {result['p95_ms']:7.1f} ms  ({changes} changes)")


if __name__ == "__main__":
    main()
