"""Helpers shared by the benchmarks: free ports, launching servers, waiting for the first 200."""

from __future__ import annotations

import contextlib
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
BENCH = Path(__file__).resolve().parent
POLL_INTERVAL = 0.002  # seconds between readiness probes


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pyworker_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "pyworker", "dev", *args]


def uvicorn_cmd(app: str, port: int) -> list[str]:
    return [
        sys.executable, "-m", "uvicorn", app, "--port", str(port), "--log-level", "warning",
        "--no-access-log", "--app-dir", str(BENCH),
    ]  # fmt: skip


@contextlib.contextmanager
def launched(cmd: Sequence[str]) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(
        cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "NO_COLOR": "1"}
    )
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait_for_200(url: str, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> float:
    """Poll ``url`` until it answers 200; return when that happened (perf_counter)."""
    end = time.perf_counter() + timeout
    with httpx.Client(timeout=1.0) as client:
        while time.perf_counter() < end:
            if proc.poll() is not None:
                raise RuntimeError(f"{proc.args} exited with {proc.returncode} before answering")
            try:
                if client.get(url).status_code == 200:
                    return time.perf_counter()
            except httpx.TransportError:
                pass
            time.sleep(POLL_INTERVAL)
    raise TimeoutError(f"{url} did not answer 200 within {timeout}s")


def cold_start(cmd_for_port: object, path: str = "/", runs: int = 7) -> list[float]:
    """Seconds from launch to first 200, ``runs`` times."""
    times = []
    for _ in range(runs):
        port = free_port()
        cmd = cmd_for_port(port)  # type: ignore[operator]
        started = time.perf_counter()
        with launched(cmd) as proc:
            times.append(wait_for_200(f"http://127.0.0.1:{port}{path}", proc) - started)
    return times


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def percentile(values: Sequence[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def rss_mib(pid: int) -> float:
    """Resident memory of ``pid`` in MiB (Linux)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )
