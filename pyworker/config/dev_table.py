"""The ``[dev]`` table of a worker's config: where it listens, its ``request.cf``, and which process runs it.

``process = "own"`` runs the worker in a child ``pyworker dev`` of its own (its own Django
settings, ``os.environ`` and imported packages); ``python`` names that child's interpreter,
relative to the worker's directory (a virtual environment's ``bin/python``), and so implies
``process = "own"``. Neither is a wrangler key: wrangler warns about them and goes on.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pyworker.config.cf import read_cf
from pyworker.config.files import shown
from pyworker.config.model import DevSettings
from pyworker.errors import ConfigError

PROCESSES = ("own", "shared")  # "shared": the default, the one pyworker dev process


def read_dev(value: Any, where: str, directory: Path) -> DevSettings:
    """The ``[dev]`` table ``value`` of the config ``where`` names, in the worker's ``directory``."""
    if value is None:
        return DevSettings()
    if not isinstance(value, dict):
        raise ConfigError(f'{where}: "dev" must be a table, got {shown(value)}.')
    port, ip = value.get("port"), value.get("ip")
    if port is not None and (not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536):
        raise ConfigError(f"{where}: dev.port must be a port number (1-65535), got {shown(port)}.")
    if ip is not None and not isinstance(ip, str):
        raise ConfigError(f'{where}: dev.ip must be a string such as "127.0.0.1", got {shown(ip)}.')
    cf = value.get("cf")
    if cf is not None and not isinstance(cf, str):
        raise ConfigError(f'{where}: dev.cf must be the path of a JSON file such as "cf.json", got {shown(cf)}.')
    python = _python(value.get("python"), where, directory)
    process = value.get("process")
    if process is not None and process not in PROCESSES:
        raise ConfigError(
            f'{where}: dev.process must be "own" (run this worker in a process of its own) or "shared", '
            f"got {shown(process)}."
        )
    if python is not None and process == "shared":
        raise ConfigError(f'{where}: dev.python needs a process of its own: drop process = "shared".')
    return DevSettings(
        port=port,
        ip=ip,
        cf=None if cf is None else read_cf(directory / cf, f"{where}: dev.cf", cf),
        process="own" if python is not None else process,
        python=python,
    )


def _python(value: Any, where: str, directory: Path) -> Path | None:
    """The interpreter ``dev.python`` names; not resolved, as a virtual environment's python is a symlink."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        example = ".venv/bin/python"
        raise ConfigError(f'{where}: dev.python must be the path of a Python such as "{example}", got {shown(value)}.')
    path = Path(os.path.abspath(directory / value))
    if not path.is_file():
        raise ConfigError(
            f"{where}: dev.python points to {value}, which does not exist. Create that virtual environment "
            "and install pyworker in it, or remove dev.python."
        )
    if not os.access(path, os.X_OK):
        raise ConfigError(f"{where}: dev.python points to {value}, which is not executable.")
    return path
