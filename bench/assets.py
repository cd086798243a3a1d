"""Static assets: requests/s of ``pyworker dev`` serving an assets directory against Starlette's
``StaticFiles`` under bare uvicorn, on the same files, in the same run.

python bench/assets.py [--duration 6] [--rounds 3]

Both servers run at once and take turns (interleaved rounds), 50 keep-alive connections on
127.0.0.1, one small file (2 KiB CSS) and one larger one (512 KiB, past pyworker's read-whole
size, so streamed). pyworker runs an assets-only worker with ``--log-level warn``; uvicorn runs
with ``--no-access-log``. Ratio = pyworker / StaticFiles requests/s; the CPU ratio (StaticFiles'
server CPU per request / pyworker's) is steadier on a shared machine.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

from _common import cpu_seconds, free_port, launched, listening_pid, pyworker_cmd, wait_for_200
from throughput import load, pick_client

FILES = {"style.css": b"body { color: #333; }\n" * 93, "big.bin": bytes(range(256)) * 2048}
STATIC_APP = """
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

app = Starlette(routes=[Mount("/", StaticFiles(directory={directory!r}))])
"""
CONFIG = 'name = "static"\ncompatibility_date = "2025-06-01"\nassets = { directory = "public" }\n'


def _tree(root: Path) -> Path:
    public = root / "site" / "public"
    public.mkdir(parents=True)
    for name, data in FILES.items():
        (public / name).write_bytes(data)
    (root / "site" / "wrangler.toml").write_text(CONFIG)
    (root / "static_app.py").write_text(STATIC_APP.format(directory=str(public)))
    return root / "site"


def measure(duration: float = 6.0, rounds: int = 3, connections: int = 50, client: str = "auto") -> dict[str, Any]:
    """``<server>_<file>_rps`` for server pyworker/starlette and file small/large, and ``<file>_ratio``."""
    chosen = pick_client(client)
    result: dict[str, Any] = {"client": chosen}
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        site = _tree(Path(tmp))
        ports = {"pyworker": free_port(), "starlette": free_port()}
        commands = {
            "pyworker": pyworker_cmd(str(site), "--port", str(ports["pyworker"]), "--log-level", "warn", "--no-reload"),
            "starlette": [sys.executable, "-m", "uvicorn", "static_app:app", "--port", str(ports["starlette"]),
                          "--log-level", "warning", "--no-access-log", "--app-dir", tmp],
        }  # fmt: skip
        pids = {}
        for server, cmd in commands.items():
            proc = stack.enter_context(launched(cmd))
            wait_for_200(f"http://127.0.0.1:{ports[server]}/style.css", proc)
            pids[server] = listening_pid(proc, ports[server])
        for label, name in (("small", "style.css"), ("large", "big.bin")):
            samples: dict[str, list[float]] = {server: [] for server in commands}
            cpu = dict.fromkeys(commands, 0.0)
            served = dict.fromkeys(commands, 0.0)
            for server in commands:
                load(f"http://127.0.0.1:{ports[server]}/{name}", chosen, connections, 0.5, 0)
            for _ in range(rounds):
                for server in commands:
                    before = cpu_seconds(pids[server])
                    figures = load(
                        f"http://127.0.0.1:{ports[server]}/{name}", chosen, connections, duration / rounds, 0
                    )
                    cpu[server] += cpu_seconds(pids[server]) - before
                    served[server] += figures["requests"]
                    if figures["errors"]:
                        raise RuntimeError(f"{server} answered {figures['errors']:.0f} errors on /{name}")
                    samples[server].append(figures["rps"])
            for server in commands:
                result[f"{server}_{label}_rps"] = statistics.fmean(samples[server])
                result[f"{server}_{label}_cpu_us"] = cpu[server] / max(1.0, served[server]) * 1e6
            result[f"{label}_ratio"] = result[f"pyworker_{label}_rps"] / result[f"starlette_{label}_rps"]
            result[f"{label}_cpu_ratio"] = result[f"starlette_{label}_cpu_us"] / result[f"pyworker_{label}_cpu_us"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=6.0, help="seconds of load per server and file")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    result = measure(args.duration, args.rounds)
    for label in ("small", "large"):
        print(
            f"{label:6} pyworker {result[f'pyworker_{label}_rps']:8.0f} req/s  "
            f"StaticFiles {result[f'starlette_{label}_rps']:8.0f} req/s  ratio {result[f'{label}_ratio']:.2f}  "
            f"CPU/req {result[f'pyworker_{label}_cpu_us']:.0f} vs {result[f'starlette_{label}_cpu_us']:.0f} µs "
            f"(ratio {result[f'{label}_cpu_ratio']:.2f})"
        )


if __name__ == "__main__":
    main()
