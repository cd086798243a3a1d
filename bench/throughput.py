"""Throughput: requests/s and p50/p99 latency at 50 connections, pyworker vs bare uvicorn + Starlette.

python bench/throughput.py [--duration 12] [--rounds 6] [--warmup 1] [--connections 50] [--client auto|wrk|python]

Routes: worker_a ``/hello`` (no binding) and ``/`` (one RPC call to worker_b), against
``bench/baseline_app.py`` with the same two routes (``/`` calls ``add`` directly). pyworker runs
twice: with the default log level (a line per request, what users see; output goes to
/dev/null) and with ``--log-level warn``; uvicorn too, with its access log (the baseline of the
logged run: a line per request on both sides) and without (the quiet run's). The load generator
runs in its own process: ``wrk --latency`` when installed, else ``bench/loadgen.py``. All servers
run at once and take turns (``--rounds`` interleaved loads per route), so drift on a shared machine
hits each alike. The server's RSS is read when idle (after its first 200) and again after the load.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import shutil
import statistics
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from _common import (
    BENCH,
    CHILD_ENV,
    CLIENT_CPUS,
    FIXTURES,
    cpu_seconds,
    free_port,
    launched,
    listening_pid,
    pinned,
    pyworker_cmd,
    rss_mib,
    uvicorn_cmd,
    wait_for_200,
)

SEED = [str(FIXTURES / "seed/worker_a"), str(FIXTURES / "seed/worker_b")]
ROUTES = {"hello": "/hello", "rpc": "/"}
SERVERS: dict[str, Callable[[int], list[str]]] = {
    "uvicorn": lambda port: uvicorn_cmd("baseline_app:app", port),
    "uvicorn_logged": lambda port: uvicorn_cmd("baseline_app:app", port, logged=True),
    "pyworker": lambda port: pyworker_cmd(*SEED, "--port", str(port)),
    "pyworker_quiet": lambda port: pyworker_cmd(*SEED, "--port", str(port), "--log-level", "warn"),
}
EXPECTED = {"/hello": "Hello from worker_a", "/": "3"}


def pick_client(client: str = "auto") -> str:
    """``wrk`` when asked for or (``auto``) installed, else the Python load generator."""
    if client == "auto":
        return "wrk" if shutil.which("wrk") else "python"
    if client == "wrk" and not shutil.which("wrk"):
        raise RuntimeError('--client wrk was asked for, but "wrk" is not on PATH.')
    return client


def load(url: str, client: str, connections: int, duration: float, warmup: float) -> dict[str, float]:
    """requests/s, p50_ms, p99_ms and errors for ``duration`` seconds of load after a warm-up."""
    if client == "wrk":
        return _wrk(url, connections, duration, warmup)
    cmd = [sys.executable, str(BENCH / "loadgen.py"), url, "--connections", str(connections)]
    cmd += ["--duration", str(duration), "--warmup", str(warmup)]
    out = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        timeout=warmup + duration + 60,
        env=CHILD_ENV,
        preexec_fn=pinned(CLIENT_CPUS),
    )
    if out.returncode:
        raise RuntimeError(f"loadgen.py failed on {url}: {out.stderr.strip().splitlines()[-1:]}")
    result: dict[str, float] = json.loads(out.stdout)
    return result


def _wrk(url: str, connections: int, duration: float, warmup: float) -> dict[str, float]:
    threads = str(min(len(CLIENT_CPUS) or 2, connections))  # one per core it may use
    base = ["wrk", "-t", threads, "-c", str(connections), "--latency"]
    if warmup > 0:  # wrk takes whole seconds only
        subprocess.run(
            [*base, "-d", f"{max(1, round(warmup))}s", url],
            capture_output=True,
            check=True,
            preexec_fn=pinned(CLIENT_CPUS),
        )
    seconds = max(1, round(duration))
    out = subprocess.run(
        [*base, "-d", f"{seconds}s", url], capture_output=True, text=True, check=True, preexec_fn=pinned(CLIENT_CPUS)
    )
    return parse_wrk(out.stdout)


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def parse_wrk(text: str) -> dict[str, float]:
    """The figures we report, from ``wrk --latency`` output."""

    def find(pattern: str) -> re.Match[str]:
        match = re.search(pattern, text, re.MULTILINE)
        if match is None:
            raise RuntimeError(f"Unexpected wrk output (no {pattern!r}): {text!r}")
        return match

    requests = find(r"^\s*(\d+) requests in")
    result = {"requests": float(requests.group(1)), "rps": float(find(r"^Requests/sec:\s+([\d.]+)").group(1))}
    for pct in ("50", "99"):
        value = find(rf"^\s*{pct}(?:\.0+)?%\s+([\d.]+)(us|ms|s|m)\b")
        result[f"p{pct}_ms"] = float(value.group(1)) * _UNITS[value.group(2)]
    errors = 0
    if bad := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text):
        errors += int(bad.group(1))
    if sock := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text):
        errors += sum(int(n) for n in sock.groups())
    result["errors"] = float(errors)
    return result


@dataclass
class _Running:
    proc: subprocess.Popen[bytes]
    base: str
    pid: int


def _launch(stack: contextlib.ExitStack, server: str) -> _Running:
    port = free_port()
    proc = stack.enter_context(launched(SERVERS[server](port)))
    base = f"http://127.0.0.1:{port}"
    wait_for_200(base + "/hello", proc)
    return _Running(proc, base, listening_pid(proc, port))


def _combine(samples: list[dict[str, float]]) -> dict[str, float]:
    """Rounds of one server on one route: requests/s over all rounds, latency percentiles as medians."""
    combined = {"requests": sum(s["requests"] for s in samples), "errors": sum(s["errors"] for s in samples)}
    # CPU the server spent per request: steadier than requests/s when the machine is shared.
    combined["cpu_us_per_request"] = sum(s["cpu_s"] for s in samples) / max(1.0, combined["requests"]) * 1e6
    combined["rps"] = statistics.fmean(s["rps"] for s in samples)
    for key in ("p50_ms", "p99_ms"):
        combined[key] = statistics.median(s[key] for s in samples)
    return combined


def _check(base: str, path: str) -> None:
    """Both servers must answer the same thing, or the comparison means nothing."""
    response = httpx.get(base + path)
    if response.status_code != 200 or response.text != EXPECTED[path]:
        raise RuntimeError(
            f"{base + path} answered {response.status_code} {response.text!r}, expected 200 {EXPECTED[path]!r}"
        )


def measure(
    duration: float = 12.0,
    warmup: float = 1.0,
    connections: int = 50,
    client: str = "auto",
    servers: Sequence[str] = tuple(SERVERS),
    rounds: int = 6,
) -> dict[str, Any]:
    """Flat results: ``client``, then ``<server>_<route>_<rps|p50_ms|p99_ms|errors|requests>`` and
    ``<server>_rss_idle_mib`` / ``<server>_rss_after_mib`` for each server (uvicorn, uvicorn_logged,
    pyworker, pyworker_quiet) and route (hello, rpc), plus ``<server>_<route>_cpu_us_per_request``.

    All servers run at once and take turns: each route gets ``rounds`` short loads per server,
    interleaved, so a slow spell on a shared machine hits every server alike.
    """
    chosen = pick_client(client)
    result: dict[str, Any] = {"client": chosen, "connections": connections, "duration_s": duration}
    with contextlib.ExitStack() as stack:
        running = {server: _launch(stack, server) for server in servers}
        for server, run in running.items():
            result[f"{server}_rss_idle_mib"] = rss_mib(run.pid)
        for route, path in ROUTES.items():
            samples: dict[str, list[dict[str, float]]] = {server: [] for server in servers}
            for run in running.values():
                _check(run.base, path)
                if warmup > 0:
                    load(run.base + path, chosen, connections, warmup, 0)
            for _ in range(rounds):
                for server, run in running.items():
                    cpu = cpu_seconds(run.pid)
                    sample = load(run.base + path, chosen, connections, duration / rounds, 0)
                    sample["cpu_s"] = cpu_seconds(run.pid) - cpu
                    samples[server].append(sample)
            for server in servers:
                for key, value in _combine(samples[server]).items():
                    result[f"{server}_{route}_{key}"] = value
                result[f"{server}_{route}_rps_rounds"] = [sample["rps"] for sample in samples[server]]
        for server, run in running.items():
            result[f"{server}_rss_after_mib"] = rss_mib(run.pid)
            if run.proc.poll() is not None:
                raise RuntimeError(f"{server} exited with {run.proc.returncode} during the load")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=12.0, help="seconds of load per server and route")
    parser.add_argument("--rounds", type=int, default=6, help="interleaved turns the duration is split into")
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--servers", nargs="+", choices=list(SERVERS), default=list(SERVERS))
    args = parser.parse_args()
    result = measure(args.duration, args.warmup, args.connections, args.client, args.servers, args.rounds)
    print(f"load generator: {result['client']}, {args.connections} connections, {args.duration:g} s per run")
    for server in args.servers:
        for route, path in ROUTES.items():
            key = f"{server}_{route}"
            print(
                f"{server:15} {path:7} {result[key + '_rps']:8.0f} req/s  p50 {result[key + '_p50_ms']:6.2f} ms  "
                f"p99 {result[key + '_p99_ms']:6.2f} ms  CPU {result[key + '_cpu_us_per_request']:5.0f} µs/req  "
                f"errors {result[key + '_errors']:.0f}"
            )
        print(
            f"{server:15} RSS idle {result[server + '_rss_idle_mib']:.1f} MiB, "
            f"after load {result[server + '_rss_after_mib']:.1f} MiB"
        )


if __name__ == "__main__":
    main()
