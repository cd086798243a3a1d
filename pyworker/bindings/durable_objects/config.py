"""Reading ``durable_objects.bindings`` and ``migrations`` from a worker's config, as wrangler does."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pyworker.config.files import describe
from pyworker.config.model import WorkerConfig
from pyworker.errors import ConfigError

EXAMPLE = '{ name = "COUNTER", class_name = "Counter" }'
MIGRATION_KEYS = ("new_sqlite_classes", "new_classes", "renamed_classes", "deleted_classes", "transferred_classes")


@dataclass(frozen=True)
class ObjectBinding:
    """One entry of ``durable_objects.bindings``: ``env.<binding>`` reaches class ``class_name`` of ``script``."""

    binding: str
    class_name: str
    script: str  # the worker exporting the class: ``script_name``, else this worker
    local: bool  # no ``script_name``: the class is this worker's own


def object_bindings(config: WorkerConfig) -> list[ObjectBinding]:
    """The entries of ``durable_objects.bindings``, each checked, with one clear error per mistake."""
    where = describe(config.config_path)
    section = config.extra.get("durable_objects")
    if section is None:
        return []
    if not isinstance(section, dict) or not isinstance(section.get("bindings", []), list):
        raise ConfigError(f'{where}: "durable_objects" must be a table with "bindings", a list like [{EXAMPLE}].')
    found: list[ObjectBinding] = []
    for entry in section.get("bindings", []):
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: each Durable Object binding must be a table like {EXAMPLE}, got {entry!r}.")
        name, class_name, script = entry.get("name"), entry.get("class_name"), entry.get("script_name")
        if not isinstance(name, str) or not name.isidentifier():
            raise ConfigError(f'{where}: a Durable Object binding needs "name", a valid name, got {name!r}.')
        if not isinstance(class_name, str) or not class_name.isidentifier():
            raise ConfigError(
                f'{where}: Durable Object binding {name} needs "class_name", the exported class, got {class_name!r}.'
            )
        if script is not None and (not isinstance(script, str) or not _safe(script)):
            raise ConfigError(f'{where}: Durable Object binding {name}: "script_name" must be a worker name, '
                              f"got {script!r}.")  # fmt: skip
        if script is None and not _safe(config.name):
            raise ConfigError(
                f"{where}: the worker name {config.name!r} cannot name a Durable Object state folder: use letters, "
                "digits, '-' and '_'."
            )
        if any(binding.binding == name for binding in found):
            raise ConfigError(f'{where}: the binding name {name} is used twice in "durable_objects".')
        found.append(ObjectBinding(name, class_name, script or config.name, script is None or script == config.name))
    return found


def _safe(name: str) -> bool:
    """A worker name that is one path component (it names the state folder ``<worker>-<class>``)."""
    return bool(name) and "/" not in name and "\\" not in name and "\0" not in name and name not in (".", "..")


def migrated_classes(config: WorkerConfig) -> tuple[set[str], list[str]]:
    """The classes ``migrations`` creates (in tag order, following renames and deletions), and any problems."""
    where = describe(config.config_path)
    migrations = config.extra.get("migrations") or []
    if not isinstance(migrations, list):
        raise ConfigError(f'{where}: "migrations" must be a list of tables like [{{ tag = "v1", ... }}].')
    classes: set[str] = set()
    for migration in migrations:
        if not isinstance(migration, dict) or not isinstance(migration.get("tag"), str):
            raise ConfigError(f'{where}: each migration needs "tag", a string, got {migration!r}.')
        for key in MIGRATION_KEYS:
            if not isinstance(migration.get(key, []), list):
                raise ConfigError(f'{where}: migration {migration["tag"]}: "{key}" must be a list.')
        classes.update(_names(migration.get("new_sqlite_classes", [])) | _names(migration.get("new_classes", [])))
        for renamed in migration.get("renamed_classes", []):
            if isinstance(renamed, dict) and renamed.get("from") in classes:
                classes.discard(renamed["from"])
                classes.add(str(renamed.get("to")))
        for transferred in migration.get("transferred_classes", []):
            if isinstance(transferred, dict) and transferred.get("to"):
                classes.add(str(transferred["to"]))
        classes -= _names(migration.get("deleted_classes", []))
    return classes, []


def _names(values: list[Any]) -> set[str]:
    return {value for value in values if isinstance(value, str)}


def migration_warning(config: WorkerConfig, bindings: list[ObjectBinding]) -> str | None:
    """wrangler's warning for classes this worker exports that no migration creates, with what to add."""
    classes, _ = migrated_classes(config)
    missing = sorted({b.class_name for b in bindings if b.local and b.class_name not in classes})
    if not missing:
        return None
    listed = ", ".join(f'"{name}"' for name in missing)
    return (
        f"{describe(config.config_path)}: you have configured `durable_objects` exported by this Worker "
        f"({', '.join(missing)}), but no `migrations` for them. This may not work as expected until you add a "
        f'`migrations` section. Add: [[migrations]] tag = "v1" new_sqlite_classes = [{listed}]'
    )
