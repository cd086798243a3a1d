"""Where a worker's imports are looked for, in Cloudflare's order.

On Cloudflare the worker's modules (``main``'s directory) come first, then the packages
``pywrangler sync`` installs into ``python_modules/``, then ``vendor/`` (workerd's
``setup_python_search_path``: ``vendor`` only without the
``python_workers_force_new_vendor_path`` flag), then the runtime's own packages.
``vendor/`` is ``<main's directory>/vendor``; ``python_modules/`` is looked for there and
beside the worker's config, where pywrangler makes it.
"""

from __future__ import annotations

from pathlib import Path

from pyworker.config.model import WorkerConfig


def import_paths(config: WorkerConfig) -> list[Path]:
    """The worker's import directories, first to last: its import root, then those that exist of
    ``python_modules/`` and ``vendor/``."""
    root = config.import_root
    paths = [root]
    for candidate in (root / "python_modules", config.directory / "python_modules"):
        if candidate.is_dir() and candidate not in paths:
            paths.append(candidate)
            break
    vendor = root / "vendor"
    if vendor.is_dir() and "python_workers_force_new_vendor_path" not in config.compatibility_flags:
        paths.append(vendor)
    return paths
