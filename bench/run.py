"""Run every benchmark, print one markdown table (pyworker, baseline, ratio, target), write bench/RESULTS.md.

python bench/run.py [--quick] [--only SECTION ...] [--output PATH]
python bench/run.py --soak [--quick] [--output PATH]   # the soak (bench/soak.py) instead; not run by CI

A section that fails does not stop the others: its rows say "error: ...". ``--quick`` is a smoke
run (fewer runs, shorter loads, smaller N); its figures are not for quoting.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import inspect
import json
import os
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import coldstart
import profiling
import readme_table
import reload
import scale
import soak
import throughput
from _common import BENCH, ROOT, machine


@dataclass
class Settings:
    """How hard each section works; ``--quick`` swaps in the small one."""

    coldstart_runs: int = 7
    duration: float = 12.0
    rounds: int = 6
    warmup: float = 1.0
    changes: int = 20
    sizes: tuple[int, ...] = (1, 10, 50, 100)
    scale_runs: int = 5
    hops: int = 31
    rpc_calls: int | None = None  # None: rpc.measure()'s own default
    storage_ops: int = 3000
    storage_rounds: int = 5
    workflow_steps: int = 1000
    queue_messages: int = 2000


QUICK = Settings(
    coldstart_runs=2, duration=1.0, rounds=1, warmup=0.5, changes=3, sizes=(1, 8), scale_runs=1, hops=7, rpc_calls=2000,
    storage_ops=500, storage_rounds=1, workflow_steps=100, queue_messages=300,
)  # fmt: skip


@dataclass
class Row:
    """One line of the results table; cells a section cannot fill stay "—".

    ``spread`` is the min-max over the rounds the median comes from (of the ratio when both sides
    were measured round by round, else of the pyworker figure); ``load`` the machine's 1-minute load
    average when the section started and ended (filled in by :func:`run_sections`).
    """

    benchmark: str
    pyworker: str
    baseline: str = "—"
    ratio: str = "—"
    target: str = "—"
    met: str = "—"
    spread: str = "—"
    load: str = "—"

    def cells(self) -> list[str]:
        return [self.benchmark, self.pyworker, self.baseline, self.ratio, self.spread, self.target, self.met, self.load]


HEADER = [
    "benchmark", "pyworker", "baseline (same run)", "ratio", "rounds: min-max (n)", "target", "met?",
    "load (start → end)",
]  # fmt: skip


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds >= 0.1 else f"{seconds * 1000:.1f} ms"


def mib(value: float) -> str:
    return f"{value:.1f} MiB"


def ratio(a: float, b: float) -> str:
    if not b or not a:
        return "—"
    r = a / b
    if r >= 100:
        return f"{r:,.0f}"
    return f"{r:.2f}" if r >= 0.01 else f"1/{1 / r:,.0f}"


def met(ok: bool) -> str:
    return "met" if ok else "**missed**"


def spread(values: list[float] | None, unit: str = "", places: int = 2) -> str:
    """``0.31-0.42 (5)``: the smallest and largest of the rounds, and how many there were."""
    if not values:
        return "—"
    return f"{min(values):,.{places}f}-{max(values):,.{places}f}{unit} ({len(values)})"


def ratio_rounds(result: dict[str, Any], ours: str, base: str) -> list[float] | None:
    """Per-round ratios when ``result`` has ``<ours>_rounds`` and ``<base>_rounds`` taken in the same rounds."""
    a, b = result.get(ours + "_rounds"), result.get(base + "_rounds")
    if not a or not b or len(a) != len(b):
        return None
    return [x / y for x, y in zip(a, b, strict=True) if y]


# -- sections: each returns its rows and the notes it wants under the table ----------------
Section = Callable[[Settings, dict[str, Any]], list[Row]]


def cold_start_rows(settings: Settings, shared: dict[str, Any]) -> list[Row]:
    result = coldstart.measure(settings.coldstart_runs)
    ours, base = result["pyworker_s"], result["uvicorn_s"]
    return [
        Row(
            f"cold start: launch → first 200 (median of {settings.coldstart_runs})",
            ms(ours),
            f"{ms(base)} (bare uvicorn)",
            f"{result['ratio']:.2f}",
            "≤ 1.2 x baseline",
            met(result["ratio"] <= 1.2),
            spread(result.get("ratio_rounds"), places=2),
        )
    ]


def throughput_rows(settings: Settings, shared: dict[str, Any]) -> list[Row]:
    result = throughput.measure(settings.duration, settings.warmup, rounds=settings.rounds)
    shared["throughput"] = result

    def figures(prefix: str) -> str:
        return (
            f"{result[prefix + '_rps']:,.0f} req/s, p50 {result[prefix + '_p50_ms']:.1f} ms, "
            f"p99 {result[prefix + '_p99_ms']:.1f} ms, CPU {result[prefix + '_cpu_us_per_request']:.0f} µs/req"
        )

    rows = []
    for route, label in (("hello", "`/hello` (no binding)"), ("rpc", "`/` (one RPC call to worker_b)")):
        # Like with like: the logged run against uvicorn with its access log, the quiet one against uvicorn without.
        pairs = (("pyworker", "uvicorn_logged", "default logging"), ("pyworker_quiet", "uvicorn", "`--log-level warn`"))
        for server, baseline, logging in pairs:
            ours, base = f"{server}_{route}", f"{baseline}_{route}"
            share = result[ours + "_rps"] / result[base + "_rps"]
            rows.append(
                Row(
                    f"throughput {label}, {logging}",
                    figures(ours),
                    figures(base),
                    f"{share:.3f}",  # three places: 0.849 must not read as a missed 0.85
                    "≥ 1.0 x baseline",
                    met(share >= 1.0),
                    spread(ratio_rounds(result, ours + "_rps", base + "_rps"), places=3),
                )
            )
    return rows


def binding_rows(settings: Settings, shared: dict[str, Any]) -> list[Row]:
    try:
        rpc = importlib.import_module("rpc")
    except ModuleNotFoundError as exc:
        if exc.name != "rpc":
            raise
        return [Row("binding call (RPC)", "skipped: bench/rpc.py is not there yet")]
    calls = settings.rpc_calls is not None and "calls" in inspect.signature(rpc.measure).parameters
    result: dict[str, float] = rpc.measure(calls=settings.rpc_calls) if calls else rpc.measure()
    shared["rpc"] = result

    def us(key: str) -> str:
        return f"{result[key]:,.2f} µs" if result[key] < 1000 else f"{result[key] / 1000:,.2f} ms"

    rows = []
    if "binding_us" in result and "direct_us" in result:
        binding = result["binding_us"]
        rows.append(
            Row(
                "binding call: `await env.B.add(1, 2)`, in memory",
                us("binding_us"),
                f"{us('direct_us')} (direct `await obj.add(1, 2)`)",
                ratio(binding, result["direct_us"]),
                "≤ 1.5 µs and ≤ 12 x direct",
                met(binding <= 1.5 and binding <= 12 * result["direct_us"]),
            )
        )
        if "loop_us" in result:
            rows.append(
                Row(
                    "per call in a loop of 5,000 calls in one request",
                    us("loop_us"),
                    f"{us('binding_us')} (one call, above)",
                    ratio(result["loop_us"], binding),
                    "≤ 1.05 x one call",
                    met(result["loop_us"] <= binding * 1.05),
                )
            )
        if "http_us" in result:
            rows.append(
                Row(
                    "binding call vs the same addition over loopback HTTP",
                    us("binding_us"),
                    f"{us('http_us')} (httpx keep-alive to `pyworker dev`)",
                    ratio(binding, result["http_us"]),
                )
            )
    if "bytes_1mib_us" in result:
        base = f"{us('direct_us')} (direct call)" if "direct_us" in result else "—"
        rows.append(
            Row(
                "binding call with 1 MiB of `bytes`",
                us("bytes_1mib_us"),
                base,
                ratio(result["bytes_1mib_us"], result["direct_us"]) if "direct_us" in result else "—",
            )
        )
    if "records_1mib_us" in result and "records_1mib_pickle_us" in result:
        rows.append(
            Row(
                "binding call with 1 MiB of dicts (copied)",
                us("records_1mib_us"),
                f"{us('records_1mib_pickle_us')} (pickle round trip, the least a process boundary costs)",
                ratio(result["records_1mib_us"], result["records_1mib_pickle_us"]),
            )
        )
    if not rows:
        rows.append(Row("binding call (RPC)", f"error: rpc.measure() returned no known keys: {sorted(result)}"))
    return rows


def cross_process_rows(settings: Settings, shared: dict[str, Any]) -> list[Row]:
    import cross_process

    calls = 300 if settings.rpc_calls is not None and settings.rpc_calls < 5000 else 2000
    result = cross_process.measure(calls, max(1, settings.rounds // 2))
    shared["cross_process"] = result
    cross, local, echo = (float(result[key]) for key in ("cross_process_us", "in_process_us", "echo_us"))
    rows = [
        Row("binding call across processes: `await env.B.add(1, 2)`, caller and callee in two `pyworker dev`",
            f"{cross:,.1f} µs", f"{local:,.1f} µs (both in one `pyworker dev`)", ratio(cross, local), "≤ 30 µs",
            met(cross <= 30)),
        Row("the same, against the floor of any asyncio transport here",
            f"{cross:,.1f} µs", f"{echo:,.1f} µs (echo of one frame between two asyncio processes)",
            ratio(cross, echo)),
    ]  # fmt: skip
    if "wrangler_us" in result:
        theirs = float(result["wrangler_us"])
        rows.append(
            Row("the same, against wrangler's in-process JS -> JS RPC call", f"{cross:,.1f} µs",
                f"{theirs:,.1f} µs (two JavaScript workers in one `wrangler dev`)", ratio(cross, theirs),
                "below wrangler's", met(cross < theirs))
        )  # fmt: skip
    else:
        rows.append(Row("wrangler's in-process JS -> JS RPC call", f"skipped: {result['wrangler_skipped']}"))
    return rows


def reload_rows(settings: Settings, shared: dict[str, Any]) -> list[Row]:
    n = settings.changes
    # Each half is tried on its own: the baseline is worth showing even while hot reload fails.
    halves: dict[str, dict[str, Any] | str] = {}
    for name, half in (("restart", reload.restart), ("hot", reload.hot)):
        try:
            halves[name] = half(n)
        except Exception as exc:
            traceback.print_exc(file=sys.stderr)
            halves[name] = error(exc)
    hot, restart = halves["hot"], halves["restart"]
    rows = []
    for pct, limit in (("p50", 25.0), ("p95", 40.0)):
        key = f"{pct}_ms"
        row = Row(
            f"reload: file write → new response, {pct} of {n} changes (10 workers)",
            hot if isinstance(hot, str) else f"{hot[key]:.0f} ms",
            restart if isinstance(restart, str) else f"{restart[key]:.0f} ms (restart the process)",
            target=f"≤ {limit:.0f} ms",
        )
        if not isinstance(hot, str):
            if not isinstance(restart, str):
                row.ratio = ratio(hot[key], restart[key])
            row.met, row.spread = met(hot[key] <= limit), spread(hot.get("rounds"), " ms", 0)
        rows.append(row)
    if not isinstance(hot, str) and "stages" in hot:
        stages = hot["stages"]
        rows.append(
            Row(
                "reload stages, median ms from the write: watcher reported it / new code swapped in / first new "
                "response",
                f"{stages['stage_reported_ms']:.1f} / {stages['stage_imported_ms']:.1f} / "
                f"{stages['stage_response_ms']:.1f} ms",
            )
        )
    return rows


def scale_rows(settings: Settings, shared: dict[str, Any]) -> list[Row]:
    result = scale.measure(settings.sizes, settings.scale_runs, settings.hops)
    one, largest = result["sizes"][0], result["sizes"][-1]
    rows = []
    for n in result["sizes"][1:]:
        ready, ready_1 = result[f"ready_s_{n}"], result[f"ready_s_{one}"]
        runs = [t * 1000 for t in result.get(f"ready_s_{n}_rounds", [])]
        rows.append(
            Row(f"time to ready, N = {n} workers", ms(ready), f"{ms(ready_1)} (N = {one})", ratio(ready, ready_1),
                spread=spread(runs, " ms", 0))
        )  # fmt: skip
    for n in result["sizes"][1:]:
        rss, rss_1 = result[f"rss_mib_{n}"], result[f"rss_mib_{one}"]
        rows.append(Row(f"RSS once ready, N = {n} workers", mib(rss), f"{mib(rss_1)} (N = {one})", ratio(rss, rss_1)))
    if "per_worker_mib" in result:
        per, uvicorn = result["per_worker_mib"], result["uvicorn_rss_mib"]
        rows.append(
            Row(
                f"memory per extra worker, (RSS(N={largest}) - RSS(N=1)) / {largest - 1}",
                f"{per:.2f} MiB",
                f"{mib(uvicorn)} (bare uvicorn idle: one process per worker)",
                ratio(per, uvicorn),
                "≤ 2 MiB",
                met(per <= 2),
            )
        )
    hops = result["chain_hops"]
    rows.append(
        Row(
            f"request through a {hops}-hop binding chain ({hops + 1} invocations), N = {largest}, median",
            f"{result['chain_ms']:.2f} ms",
            f"{result['single_ms']:.2f} ms (0 hops)",
            ratio(result["chain_ms"], result["single_ms"]),
            "≤ 1.3 x 0 hops",
            met(result["chain_ms"] <= 1.3 * result["single_ms"]),
        )
    )
    return rows


STORAGE_LABELS = {
    "kv_put": "`await env.KV.put(key, 100 B)`",
    "kv_get": "`await env.KV.get(key)`",
    "d1_insert": "`await stmt.bind(100 B).run()` (INSERT)",
    "d1_select": "`await stmt.bind(id).first()` (SELECT by key)",
    "r2_put": "`await env.BUCKET.put(key, 1 KiB)`",
    "r2_get": "`await (await env.BUCKET.get(key)).arrayBuffer()`",
}


STORAGE_TARGETS = {"kv_get": 0.6, "d1_select": 0.6, "r2_get": 0.6}  # issue 26; the rest ≥ 0.5


def storage_rows(settings: Settings, shared: dict[str, Any]) -> list[Row]:
    import storage

    result = storage.measure(settings.storage_ops, settings.storage_rounds)
    shared["storage"] = result
    rows = []
    for name, label in STORAGE_LABELS.items():
        share = result[f"{name}_ratio"]
        rows.append(
            Row(
                f"storage: {label}, ops/s",
                f"{result[name + '_pyworker']:,.0f}",
                f"{result[name + '_sqlite']:,.0f} (the same row on raw `sqlite3`)",
                f"{share:.2f}",
                f"≥ {STORAGE_TARGETS.get(name, 0.5)} x raw SQLite",
                met(share >= STORAGE_TARGETS.get(name, 0.5)),
                spread(result.get(f"{name}_ratio_rounds")),
            )
        )
    for name in ("kv_get", "r2_get"):  # what a value in a file of its own costs at least (Miniflare's layout)
        if f"{name}_files" in result:
            rows.append(
                Row(
                    f"storage: {STORAGE_LABELS[name]} against the layout's floor, ops/s",
                    f"{result[name + '_pyworker']:,.0f}",
                    f"{result[name + '_files']:,.0f} (a bare row lookup + open/fstat/read/close of its file)",
                    f"{result[name + '_files_ratio']:.2f}",
                )
            )
    return rows


def assets_rows(settings: Settings, shared: dict[str, Any]) -> list[Row]:
    import assets

    result = assets.measure(settings.duration / 2, settings.rounds)
    rows = []
    for label, what in (("small", "a 2 KiB file"), ("large", "a 512 KiB file (streamed)")):
        share, cpu = result[f"{label}_ratio"], result[f"{label}_cpu_ratio"]
        rows.append(
            Row(
                f"assets: {what}, requests/s (server CPU µs/request)",
                f"{result[f'pyworker_{label}_rps']:,.0f} ({result[f'pyworker_{label}_cpu_us']:.0f} µs)",
                f"{result[f'starlette_{label}_rps']:,.0f} ({result[f'starlette_{label}_cpu_us']:.0f} µs) "
                "(Starlette `StaticFiles` on bare uvicorn)",
                f"{share:.2f} (CPU {cpu:.2f})",
                "≥ 1.0 x StaticFiles",
                met(share >= 1.0),
            )
        )
    return rows


def queue_rows(settings: Settings, shared: dict[str, Any]) -> list[Row]:
    import queues

    result = queues.measure(settings.queue_messages, settings.storage_rounds)
    raw = f"{result['raw_per_s']:,.0f} (one `INSERT` + one `DELETE` per message on raw `sqlite3`)"
    return [
        Row("queues: `send()` → consumer `ack()`, messages/s", f"{result['send_per_s']:,.0f}", raw,
            f"{result['send_ratio']:.2f}", spread=spread(ratio_rounds(result, "send_per_s", "raw_per_s"))),
        Row("queues: `sendBatch(100)` → consumer `ack()`, messages/s", f"{result['batch_per_s']:,.0f}", raw,
            f"{result['batch_ratio']:.2f}", spread=spread(ratio_rounds(result, "batch_per_s", "raw_per_s"))),
    ]  # fmt: skip


def durable_object_rows(settings: Settings, shared: dict[str, Any]) -> list[Row]:
    import durable_objects

    result = durable_objects.measure(settings.rpc_calls or 5000)
    rpc = result["do_rpc"] / result["service_rpc"]
    rows = [
        Row("Durable Object RPC on one object, calls/s", f"{result['do_rpc']:,.0f}",
            f"{result['service_rpc']:,.0f} (service-binding RPC)", f"{rpc:.2f}", "≥ 0.8 x", met(rpc >= 0.8))
    ]  # fmt: skip
    for op in ("put", "get"):
        share = result[f"do_{op}"] / result[f"sqlite_{op}"]
        rows.append(
            Row(f"Durable Object ctx.storage.{op}, ops/s", f"{result[f'do_{op}']:,.0f}",
                f"{result[f'sqlite_{op}']:,.0f} (raw `sqlite3`)", f"{share:.2f}", "≥ 0.5 x", met(share >= 0.5))
        )  # fmt: skip
    return rows


def memory_rows(settings: Settings, shared: dict[str, Any]) -> list[Row]:
    if "throughput" not in shared:
        raise RuntimeError("no figures: the throughput section (which measures them) did not run or failed")
    result = shared["throughput"]
    idle, base_idle = result["pyworker_rss_idle_mib"], result["uvicorn_rss_idle_mib"]
    after, base_after = result["pyworker_rss_after_mib"], result["uvicorn_rss_after_mib"]
    return [
        Row(
            "RSS idle, seed example (after its first 200)",
            mib(idle),
            f"{mib(base_idle)} (bare uvicorn)",
            ratio(idle, base_idle),
            "≤ 60 MiB",
            met(idle <= 60),
        ),
        Row("RSS after the throughput runs", mib(after), f"{mib(base_after)} (bare uvicorn)", ratio(after, base_after)),
    ]


def workflow_rows(settings: Settings, shared: dict[str, Any]) -> list[Row]:
    import workflows

    result = workflows.measure(settings.workflow_steps, settings.storage_rounds)
    shared["workflows"] = result
    return [
        Row(
            f"Workflow of {settings.workflow_steps} trivial `step.do` steps, per step",
            f"{result['per_step_us']:.0f} µs",
            f"{result['plain_per_await_us']:.2f} µs (a plain `await` of the same function)",
            f"{result['ratio']:.0f}",
            "— (each step is stored in SQLite before the next)",
            spread=spread(result.get("ratio_rounds"), places=0),
        )
    ]


SECTIONS: dict[str, tuple[str, Section]] = {
    "coldstart": ("cold start", cold_start_rows),
    "throughput": ("throughput", throughput_rows),
    "rpc": ("binding call", binding_rows),
    "cross_process": ("binding call across processes", cross_process_rows),
    "reload": ("reload", reload_rows),
    "scale": ("scale", scale_rows),
    "memory": ("memory", memory_rows),
    "storage": ("storage", storage_rows),
    "workflows": ("workflows", workflow_rows),
    "assets": ("assets", assets_rows),
    "queues": ("queues", queue_rows),
    "durable_objects": ("Durable Objects", durable_object_rows),
}


def error(exc: BaseException) -> str:
    message = " ".join(str(exc).split()) or type(exc).__name__
    return f"error: {message}".replace("|", "\\|")


def run_sections(settings: Settings, only: list[str]) -> tuple[list[Row], dict[str, Any]]:
    """The rows of every section in ``only``, and what sections shared (throughput figures, rpc's dict)."""
    rows: list[Row] = []
    shared: dict[str, Any] = {}
    for key, (title, section) in SECTIONS.items():
        if key not in only:
            continue
        started, load = time.perf_counter(), os.getloadavg()[0]
        print(f"running {key}...", file=sys.stderr, flush=True)
        try:
            found = section(settings, shared)
        except Exception as exc:
            traceback.print_exc(file=sys.stderr)
            found = [Row(title, error(exc))]
        for row in found:
            row.load = f"{load:.2f} → {os.getloadavg()[0]:.2f}"
        rows += found
        print(f"  {key} took {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    return rows, shared


def table(rows: list[Row]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(row.cells()) + " |" for row in rows]
    return "\n".join(lines)


def revision() -> str:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", ".", ":!bench/RESULTS.md"], cwd=ROOT, capture_output=True, text=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + (" with uncommitted changes" if dirty.strip() else "")


def notes(settings: Settings, shared: dict[str, Any]) -> str:
    client = shared.get("throughput", {}).get("client", "wrk if installed, else bench/loadgen.py")
    rpc = shared.get("rpc")
    lines = [
        "- Every baseline is measured in the same run as the pyworker figure; ratio = pyworker / baseline. "
        'Figures are medians; "rounds" gives the smallest and largest of the rounds they come from (of the '
        'per-round ratio when both sides were measured round by round) and how many there were. "load" is the '
        "machine's 1-minute load average (`os.getloadavg`) when the section started and ended.",
        "- Cold start: `pyworker dev fixtures/seed/worker_a fixtures/seed/worker_b --log-level warn` vs "
        "`uvicorn baseline_app:app` (`bench/baseline_app.py`), launch → first 200, median.",
        f"- Throughput: {client} in its own process (wrk: 2 threads, `--latency`), 50 keep-alive connections "
        "on 127.0.0.1, "
        f"{settings.warmup:g} s warm-up then {settings.duration:g} s measured per server and route, in "
        f"{settings.rounds} interleaved rounds with every server running (so a slow spell hits all alike); "
        "CPU µs/req is the server process's user + system time over the requests it served. The baseline app has "
        "the same routes (`/` calls `add(1, 2)` directly) and runs with `--no-access-log`. pyworker runs twice: "
        "default logging (one line per request, to /dev/null) and `--log-level warn`.",
        "- Across processes: `bench/cross_process.py`: the caller's `fetch` loops over `await self.env.CALLEE.add(1, "
        "2)`; per call = (request with n calls - request with none) / n, median of the rounds, the ways interleaved; "
        "servers unpinned (the two processes hand each call back and forth).",
        "- Binding call: `bench/rpc.py`"
        + (f" (all it returned: {', '.join(f'{k} = {v:.2f}' for k, v in rpc.items())})." if rpc else "."),
        f"- Reload: seed example + 8 generated workers; one worker's `src/entry.py` rewritten {settings.changes} "
        "times, polled every ~1 ms with a keep-alive client until the new text appears. Baseline: `--no-reload`; "
        "terminate the process and start it again after each write. Stages: the server runs at `--log-level debug`, "
        "whose line on each reload says how long after the file's modification time its watcher reported the "
        "change and how long the import and swap took.",
        f"- Scale: N generated workers chained by service bindings (`NEXT`), only the first exposed; "
        f"launch → first 200 and RSS, median of {settings.scale_runs}. The chain request forwards with "
        "`env.NEXT.fetch(...)` while an `x-hops` header says so, and must come back with the last worker's name.",
        "- Storage: `bench/storage.py`, in process: each KV/D1/R2 operation through the binding object worker code "
        f"calls, {settings.storage_ops} operations per round, {settings.storage_rounds} rounds interleaved with the "
        "same single-row operation on a bare `sqlite3` connection (same file settings: WAL, synchronous=NORMAL); "
        "figures are medians, the ratio the median of the per-round ratios.",
        "- RSS is VmRSS of the process that holds the listening socket (found through /proc), read once the "
        "server has answered 200; the memory rows come from the throughput section's default-logging server.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a fast smoke run; figures not for quoting")
    parser.add_argument("--only", nargs="+", choices=list(SECTIONS), default=list(SECTIONS))
    parser.add_argument("--output", type=Path, help="default: bench/RESULTS.md, or bench/SOAK.md with --soak")
    parser.add_argument(
        "--soak", action="store_true", help="run the soak (bench/soak.py) instead; writes bench/SOAK.md"
    )
    parser.add_argument(
        "--profile", choices=list(SECTIONS), metavar="NAME",
        help="run one section under cProfile (its servers too); writes bench/profiles/NAME.txt (and .svg with py-spy)",
    )  # fmt: skip
    args = parser.parse_args()
    if args.soak:
        run_soak(args.quick, args.output or BENCH / "SOAK.md")
        return
    settings = QUICK if args.quick else Settings()
    if args.profile:
        run_profile(args.profile, settings, args.quick)
        return
    full = args.output is None and not args.quick and set(args.only) == set(SECTIONS)
    args.output = args.output or BENCH / "RESULTS.md"
    started = time.perf_counter()
    rows, shared = run_sections(settings, args.only)
    took = time.perf_counter() - started
    when = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    mode = (
        "`python bench/run.py --quick` (smoke run: figures not for quoting)" if args.quick else "`python bench/run.py`"
    )
    body = table(rows)
    print(body)
    print(f"\nMachine: {machine()}")
    args.output.write_text(
        "# Benchmark results\n\n"
        f"{when}, {mode}, {took:.0f} s in all; pyworker at {revision()}.\n\n"
        f"Machine: {machine()}\n\n"
        f"{body}\n\n"
        "## How these were measured\n\n"
        f"{notes(settings, shared)}\n\n"
        "Scripts and how to run them: `bench/README.md`.\n"
    )
    print(f"wrote {args.output} ({took:.0f} s)", file=sys.stderr)
    if full and readme_table.rewrite():  # a partial or quick run leaves the README's figures alone
        print(f"rewrote the benchmark table in {readme_table.README}", file=sys.stderr)


def run_profile(name: str, settings: Settings, quick: bool) -> None:
    """``--profile NAME``: the section under cProfile; its rows are printed, RESULTS.md is not touched."""
    rows: list[Row] = []
    rerun = [str(BENCH / "run.py"), "--only", name, "--output", os.devnull, *(["--quick"] if quick else [])]
    written = profiling.profile(name, lambda: rows.extend(run_sections(settings, [name])[0]), BENCH / "profiles", rerun)
    print(table(rows))
    for path in written:
        print(f"wrote {path}", file=sys.stderr)


def run_soak(quick: bool, output: Path) -> None:
    """``--soak``: load held, reloads under load, freed generations, bad inputs and slowloris; one table."""
    settings = soak.QUICK if quick else soak.Settings()
    started = time.perf_counter()
    result = soak.measure(settings)
    took = time.perf_counter() - started
    header = ["soak", "pyworker", "baseline (same run)", "target", "met?"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in soak.rows(result, settings)]
    body = "\n".join(lines)
    command = "`python bench/run.py --soak" + (" --quick` (figures not for quoting)" if quick else "`")
    when = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    print(body)
    output.write_text(
        "# Soak results\n\n"
        f"{when}, {command}, {took:.0f} s in all; pyworker at {revision()}.\n\n"
        f"Machine: {machine()}\n\n{body}\n\n"
        "## The mixed load, sampled every 10 s\n\n"
        f"{soak.soak_mixed.samples_table(result['mixed'])}\n\n"
        "## How\n\n"
        f"{soak.__doc__}\n"
        f"Raw figures: `{json.dumps(result)}`\n"
    )
    print(f"wrote {output} ({took:.0f} s)", file=sys.stderr)


if __name__ == "__main__":
    main()
