"""Which workers run in a process of their own, and the command line that starts that process.

A worker does when its config says ``[dev] process = "own"`` (or names a ``[dev] python``)
or ``pyworker dev --own-process NAME`` names it. Its process is a ``pyworker dev`` of that
one worker (``python -m pyworker dev <its config> --child SPEC``) with the parent's options:
the same ``-e``, ``--var``, ``--env-file``, log level, timeouts and state directory, so it reads
the same data and its lines look the same. ``SPEC`` (:class:`~pyworker.options.ChildSpec`, as
JSON) says what only a child is told: the socket it serves and how its lines are painted.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pyworker.config.model import WorkerConfig
from pyworker.errors import ConfigError
from pyworker.options import ChildSpec, DevOptions

CHILD_FLAG = "--child"


def own_process_workers(configs: Sequence[WorkerConfig], options: DevOptions) -> list[WorkerConfig]:
    """The workers of ``configs`` that run in a process of their own; a name ``--own-process`` gives
    that is no worker's is an error. In a child, none: it is that process."""
    if options.child is not None:
        return []
    names = [config.name for config in configs]
    for name in options.own_process:
        if name not in names:
            raise ConfigError(
                f'--own-process {name}: no worker is named "{name}" (the workers are: {", ".join(names)}). '
                "Give a worker's name from its config."
            )
    return [config for config in configs if config.dev.process == "own" or config.name in options.own_process]


def python_of(config: WorkerConfig) -> str:
    """The interpreter of ``config``'s process: its ``[dev] python``, else this one."""
    return str(config.dev.python) if config.dev.python is not None else sys.executable


def child_command(config: WorkerConfig, options: DevOptions, spec: ChildSpec, persist_to: Path) -> list[str]:
    """The command line of ``config``'s process; ``persist_to`` is the parent's state directory (above ``v3``)."""
    command = [python_of(config), "-m", "pyworker", "dev", str(config.config_path), CHILD_FLAG, encode_spec(spec)]
    command += ["--show-interactive-dev-session=false", "--log-level", options.log_level]
    command += ["--request-timeout", repr(options.request_timeout)]
    command += ["--workflow-sleep-scale", repr(options.workflow_sleep_scale), "--persist-to", str(persist_to)]
    if options.env:
        command += ["--env", options.env]
    for key, value in options.vars.items():
        command += ["--var", f"{key}:{value}"]
    for env_file in options.env_files:
        command += ["--env-file", str(env_file.absolute())]
    flags = {"--no-reload": not options.reload, "--crons": options.crons, "--live-reload": options.live_reload}
    return command + [flag for flag, given in flags.items() if given]


def encode_spec(spec: ChildSpec) -> str:
    return json.dumps(dataclasses.asdict(spec), separators=(",", ":"))


def decode_spec(text: str) -> ChildSpec:
    """The :class:`ChildSpec` of ``--child``: only its own fields, of their own types."""
    try:
        raw: Any = json.loads(text)
        spec = ChildSpec(**raw)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{CHILD_FLAG} is for pyworker dev's own use: {text[:60]!r} is not what it writes.") from exc
    if not isinstance(spec.worker, str) or not isinstance(spec.colour, bool):
        raise ConfigError(f"{CHILD_FLAG} is for pyworker dev's own use: {text[:60]!r} is not what it writes.")
    return spec
