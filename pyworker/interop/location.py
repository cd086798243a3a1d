"""Where the dev registry lives: exactly wrangler 4.86's ``getRegistryPath()``.

``$WRANGLER_REGISTRY_PATH`` when set (an empty value disables the registry, as wrangler
reads it), else ``registry`` in wrangler's global config directory: ``~/.wrangler`` when
that is a directory (wrangler's legacy place), else ``.wrangler`` in the XDG config
directory (``$XDG_CONFIG_HOME``, else ``~/.config``; ``~/Library/Preferences`` on macOS,
``%APPDATA%\\xdg.config`` on Windows, as the ``xdg-app-paths`` package wrangler uses).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

REGISTRY_VARIABLE = "WRANGLER_REGISTRY_PATH"
SECRET_SUFFIX = ".pyworker-secret"


def registry_path(environ: Mapping[str, str], home: Path, platform: str = sys.platform) -> Path | None:
    """The registry directory wrangler would use with ``environ``; None when it is disabled."""
    if REGISTRY_VARIABLE in environ:
        value = environ[REGISTRY_VARIABLE]
        return Path(value) if value else None
    return global_config_dir(environ, home, platform) / "registry"


def global_config_dir(environ: Mapping[str, str], home: Path, platform: str = sys.platform) -> Path:
    """wrangler's ``getGlobalWranglerConfigPath()``."""
    legacy = home / ".wrangler"
    if legacy.is_dir():
        return legacy
    return _xdg_config(environ, home, platform) / ".wrangler"


def _xdg_config(environ: Mapping[str, str], home: Path, platform: str) -> Path:
    if environ.get("XDG_CONFIG_HOME"):
        return Path(environ["XDG_CONFIG_HOME"])
    if platform == "darwin":
        return home / "Library" / "Preferences"
    if platform == "win32":
        app_data = environ.get("APPDATA")
        return (Path(app_data) if app_data else home / "AppData" / "Roaming") / "xdg.config"
    return home / ".config"


def secret_path(registry: Path) -> Path:
    """The per-registry secret: a sibling of the directory, so wrangler's stale sweep never deletes it."""
    return registry.with_name(registry.name + SECRET_SUFFIX)
