"""``run.py --profile NAME``: one benchmark under cProfile, summarised in ``bench/profiles/NAME.txt``.

The benchmark's own process (where in-process benchmarks such as ``storage`` and ``rpc`` run worker
code) is profiled directly. Every ``pyworker dev`` it launches runs under this module instead
(``python bench/profiling.py OUT.prof dev ...``, see :func:`_common.pyworker_cmd`), profiles its main
thread (the event loop) and writes its statistics when it exits. The summary lists the top
functions by self time and by cumulative time, for the benchmark process and for the servers
(merged). With ``py-spy`` on ``PATH``, the benchmark is run again under ``py-spy record
--subprocesses`` for a flame graph, ``bench/profiles/NAME.svg``.
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

PROFILE_DIR_ENV = "PYWORKER_BENCH_PROFILE_DIR"  # set: pyworker_cmd wraps servers in this module
TOP = 40  # functions listed per ordering


def profile(name: str, section: Callable[[], Any], output_dir: Path, rerun: list[str]) -> list[Path]:
    """Run ``section`` profiled; write ``output_dir/<name>.txt`` (and ``.svg`` with py-spy). Returns the files."""
    output_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="pyworker-profile-") as servers:
        os.environ[PROFILE_DIR_ENV] = servers
        profiler = cProfile.Profile()
        try:
            profiler.enable()
            try:
                section()
            finally:
                profiler.disable()
        finally:
            del os.environ[PROFILE_DIR_ENV]
        dumps = sorted(Path(servers).glob("*.prof"))
        text = summary(name, pstats.Stats(profiler), [str(path) for path in dumps])
    written = [output_dir / f"{name}.txt"]
    written[0].write_text(text)
    if shutil.which("py-spy"):
        svg = output_dir / f"{name}.svg"
        command = ["py-spy", "record", "--subprocesses", "--output", str(svg), "--", sys.executable, *rerun]
        if subprocess.run(command, check=False).returncode == 0:
            written.append(svg)
    return written


def summary(name: str, own: pstats.Stats, server_dumps: list[str]) -> str:
    parts = [f"# cProfile of `bench/run.py --only {name}`\n"]
    parts.append(_top("the benchmark process", own))
    if server_dumps:
        servers = pstats.Stats(*server_dumps)
        parts.append(_top(f"the pyworker dev servers it launched ({len(server_dumps)}, merged)", servers))
    else:
        parts.append("No pyworker dev server was launched (the benchmark runs in process).\n")
    return "\n".join(parts)


def _top(what: str, stats: pstats.Stats) -> str:
    out = []
    for order, label in (("tottime", "self time"), ("cumulative", "cumulative time")):
        stream = io.StringIO()
        stats.stream = stream  # type: ignore[attr-defined]
        stats.sort_stats(order).print_stats(TOP)
        body = stream.getvalue().strip().splitlines()
        start = next((i for i, line in enumerate(body) if "ncalls" in line), 0)
        header = next((line.strip() for line in body if "function calls" in line), "")
        out.append(f"## {what}: top {TOP} by {label}\n\n{header}\n\n```\n" + "\n".join(body[start:]) + "\n```\n")
    return "\n".join(out)


def server_command(args: list[str]) -> list[str] | None:
    """``pyworker dev ARGS`` under this module when a profile is being taken, else ``None``."""
    directory = os.environ.get(PROFILE_DIR_ENV)
    if not directory:
        return None
    return [sys.executable, str(Path(__file__).resolve()), directory, *args]


def _serve_profiled(directory: str, args: list[str]) -> None:
    """The server side: pyworker's CLI with ``args``, its main thread profiled, stats dumped at exit."""
    from pyworker.cli import main

    profiler = cProfile.Profile()
    profiler.enable()
    try:
        main(args)
    except SystemExit:
        pass
    finally:
        profiler.disable()
        profiler.dump_stats(os.path.join(directory, f"{os.getpid()}.prof"))


if __name__ == "__main__":
    _serve_profiled(sys.argv[1], sys.argv[2:])
