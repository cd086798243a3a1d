"""The one place worker configs are read for a dev server: at start-up and again on reload.

Both read a config with the same ``-e`` and ``--var`` from :class:`~pyworker.options.DevOptions`.
"""

from __future__ import annotations

from pyworker.config.files import display_path, worker_paths
from pyworker.config.model import WorkerConfig
from pyworker.config.resolve import load_config
from pyworker.errors import ConfigError
from pyworker.options import DevOptions


def load_workers(options: DevOptions) -> list[WorkerConfig]:
    """Read every worker ``options.paths`` names; two workers with one name is an error."""
    configs: list[WorkerConfig] = []
    seen: dict[str, WorkerConfig] = {}
    for path in [worker for given in options.paths for worker in worker_paths(given)]:
        config = load_config(path, options.env, options.vars, options.env_files)
        if config.name in seen:
            first = seen[config.name]
            if first.config_path == config.config_path:
                continue  # the same worker given twice
            raise ConfigError(
                f'Two workers are named "{config.name}": {display_path(first.config_path)} and '
                f"{display_path(config.config_path)}. Give each worker a unique name."
            )
        seen[config.name] = config
        configs.append(config)
    return configs


def reread(config: WorkerConfig, options: DevOptions) -> WorkerConfig:
    """Read ``config``'s file again (after an edit); a rename is refused, as bindings use the name."""
    try:
        fresh = load_config(config.config_path, options.env, options.vars, options.env_files)
    except ConfigError as exc:
        raise ConfigError(f"{exc} Keeping the last good config until it is fixed.") from exc
    if fresh.name != config.name:
        raise ConfigError(
            f'{display_path(config.config_path)} renames worker "{config.name}" to "{fresh.name}": '
            "other workers bind to it by name, so restart pyworker dev to rename it. Keeping the last good config."
        )
    return fresh
