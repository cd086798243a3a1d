"""Helpers shared by the benchmarks: free ports, launching servers, waiting for the first 200."""

from __future__ import annotations

import contextlib
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import httpx
import profiling

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
BENCH = Path(__file__).resolve().parent
POLL_INTERVAL = 0.002  # seconds between readiness probes
# Servers use and write bytecode caches, as an installed pyworker does (pip compiles a wheel's modules):
# with PYTHONDONTWRITEBYTECODE set (this machine sets it), every launch compiled pyworker's own ~180
# modules from source, about 0.2 s of each cold start.
CHILD_ENV = {**{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}, "NO_COLOR": "1"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pyworker_cmd(*args: str) -> list[str]:
    """``python -m pyworker dev ARGS``; under ``run.py --profile``, the same under cProfile (``profiling.py``)."""
    return profiling.server_command(["dev", *args]) or [sys.executable, "-m", "pyworker", "dev", *args]


def server_stack() -> tuple[str, str]:
    """(HTTP parser, event loop) that ``pyworker dev`` serves with here (``PYWORKER_HTTP``/``PYWORKER_LOOP`` too)."""
    from pyworker.serving.stack import event_loop, http_parser

    return http_parser(os.environ.get("PYWORKER_HTTP", "auto")), event_loop(os.environ.get("PYWORKER_LOOP", "auto"))


def uvicorn_cmd(app: str, port: int, logged: bool = False) -> list[str]:
    """Bare uvicorn on the same parser and loop as pyworker, so a ratio measures pyworker, not the stack.

    ``logged``: with uvicorn's access log (a line per request, like pyworker's default request line).
    """
    http, loop = server_stack()
    logs = ["--log-level", "info", "--access-log"] if logged else ["--log-level", "warning", "--no-access-log"]
    return [
        sys.executable, "-m", "uvicorn", app, "--port", str(port), *logs,
        "--app-dir", str(BENCH), "--http", http, "--loop", loop,
    ]  # fmt: skip


# With two cores or more, servers run on the last CPU and load generators on the others, so
# a server never shares its core with the client loading it (or with another server). Without
# this, where the scheduler happens to put each process biases a whole run.
_CPUS = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
SERVER_CPUS = set(_CPUS[-1:]) if len(_CPUS) >= 2 else set()
CLIENT_CPUS = set(_CPUS[:-1]) if len(_CPUS) >= 2 else set()


def pinned(cpus: set[int]) -> Callable[[], None] | None:
    """A ``preexec_fn`` that runs the child on ``cpus`` (threads it starts included), or None."""
    if not cpus:
        return None
    return lambda: os.sched_setaffinity(0, cpus)


@contextlib.contextmanager
def launched(
    cmd: Sequence[str], server: bool = True, stdout: int = subprocess.DEVNULL
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``cmd`` (output discarded unless ``stdout`` is ``subprocess.PIPE``) for the ``with`` block; always
    stop it, even on Ctrl-C.

    A ``server`` runs on :data:`SERVER_CPUS`. If the block fails because the process died,
    the error says so and quotes the end of its stderr.
    """
    with tempfile.TemporaryFile() as stderr:
        proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            stdout=stdout,
            stderr=stderr,
            env=CHILD_ENV,
            preexec_fn=pinned(SERVER_CPUS) if server else None,
        )
        try:
            yield proc
        except Exception as exc:
            if proc.poll() is None:
                raise
            stderr.seek(0)
            last = (stderr.read().decode(errors="replace").strip().splitlines() or ["(empty)"])[-1]
            raise RuntimeError(f"{exc}; its last line of stderr: {last}") from exc
        finally:
            stop(proc)


def describe(proc: subprocess.Popen[bytes]) -> str:
    """``python -m pyworker dev`` / ``python -m uvicorn``: a command, short enough for an error row."""
    args = [str(arg) for arg in proc.args] if isinstance(proc.args, list) else [str(proc.args)]
    return f"`{' '.join(args[1:4] if args[1:2] == ['-m'] else args[:3])}`"


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Terminate ``proc`` and wait for it; kill it if it ignores SIGTERM for 10 s."""
    if proc.poll() is None:
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
                raise RuntimeError(f"{describe(proc)} exited with {proc.returncode} before answering")
            try:
                if client.get(url).status_code == 200:
                    return time.perf_counter()
            except httpx.TransportError:
                pass
            time.sleep(POLL_INTERVAL)
    raise TimeoutError(f"{url} did not answer 200 within {timeout}s")


def cold_start(cmd_for_port: Callable[[int], Sequence[str]], path: str = "/", runs: int = 7) -> list[float]:
    """Seconds from launch to first 200, ``runs`` times."""
    times = []
    for _ in range(runs):
        port = free_port()
        cmd = cmd_for_port(port)
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


def cpu_seconds(pid: int) -> float:
    """User + system CPU time ``pid`` has used so far (Linux, clock-tick resolution)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def listening_pid(proc: subprocess.Popen[bytes], port: int) -> int:
    """The pid, among ``proc`` and its descendants, that holds the socket listening on ``port``.

    ``proc.pid`` is the server today (``python -m pyworker`` does not fork), but a supervisor
    (a reloader, a wrapper script) would make it the wrong process to weigh.
    """
    inodes = _listening_inodes(port)
    pids = [proc.pid, *_descendants(proc.pid)]
    for pid in pids:
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                with contextlib.suppress(OSError):
                    link = os.readlink(f"/proc/{pid}/fd/{fd}")
                    if link.startswith("socket:[") and link[8:-1] in inodes:
                        return pid
    raise RuntimeError(f"No process among {pids} (pid {proc.pid} and its children) listens on port {port}.")


def _listening_inodes(port: int) -> set[str]:
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as rows:
            next(rows)  # header
            for row in rows:
                fields = row.split()
                # local_address is HEXIP:HEXPORT; state 0A is LISTEN; field 9 is the inode
                if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "0A":
                    inodes.add(fields[9])
    return inodes


def _descendants(pid: int) -> list[int]:
    found: list[int] = []
    pending = [pid]
    while pending:
        parent = pending.pop()
        with contextlib.suppress(OSError):
            for task in os.listdir(f"/proc/{parent}/task"):
                with open(f"/proc/{parent}/task/{task}/children") as children:
                    kids = [int(kid) for kid in children.read().split()]
                found.extend(kids)
                pending.extend(kids)
    return found


def write_worker(
    directory: Path,
    name: str,
    source: str,
    *,
    services: dict[str, str] | None = None,
    internal: bool = False,
    port: int | None = None,
) -> Path:
    """Write a small worker (``wrangler.toml`` + ``src/entry.py``) into ``directory/name``."""
    root = directory / name
    (root / "src").mkdir(parents=True, exist_ok=True)
    lines = [f'name = "{name}"', 'main = "src/entry.py"', 'compatibility_date = "2025-11-01"']
    if services:
        entries = ", ".join(f'{{ binding = "{b}", service = "{s}" }}' for b, s in services.items())
        lines.append(f"services = [{entries}]")
    if internal:
        lines.append("workers_dev = false")
    if port is not None:
        lines += ["", "[dev]", f"port = {port}"]
    (root / "wrangler.toml").write_text("\n".join(lines) + "\n")
    (root / "src" / "entry.py").write_text(source)
    return root


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
