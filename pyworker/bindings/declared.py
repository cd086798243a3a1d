"""Reading a storage binding kind's entries from a worker's config, with one clear error per mistake."""

from __future__ import annotations

from typing import Any

from pyworker.config.files import describe
from pyworker.config.model import WorkerConfig
from pyworker.errors import ConfigError


def entries(config: WorkerConfig, key: str, example: str) -> list[dict[str, Any]]:
    """The tables of ``key`` (``kv_namespaces``...), each with a unique, valid ``binding`` name."""
    where = describe(config.config_path)
    value = config.extra.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ConfigError(f'{where}: "{key}" must be a list of tables like {example}, got {value!r}.')
    seen: set[str] = set()
    for item in value:
        if not isinstance(item, dict):
            raise ConfigError(f'{where}: each entry of "{key}" must be a table like {example}, got {item!r}.')
        binding = item.get("binding")
        if not isinstance(binding, str) or not binding.isidentifier():
            raise ConfigError(f'{where}: an entry of "{key}" needs "binding", a valid name, got {binding!r}.')
        if binding in seen:
            raise ConfigError(f'{where}: the binding name {binding} is used twice in "{key}".')
        seen.add(binding)
    return value


def text(config: WorkerConfig, key: str, entry: dict[str, Any], field: str, required: bool = False) -> str | None:
    """``entry[field]`` as a non-empty string, or ``None`` when it is absent and not required."""
    value = entry.get(field)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        where = describe(config.config_path)
        wanted = "needs" if value is None else "must have"
        raise ConfigError(
            f'{where}: {key} binding {entry["binding"]} {wanted} "{field}" as a non-empty string, got {value!r}.'
        )
    return value
