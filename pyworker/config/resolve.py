"""Turn a parsed wrangler config into a :class:`WorkerConfig`, applying wrangler's env rules."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pyworker.config.dev_table import read_dev
from pyworker.config.dotenv import read_local_vars
from pyworker.config.files import describe, display_path, find_config, read_config_file, shown
from pyworker.config.keys import ignored_keys
from pyworker.config.model import Limits, ServiceBinding, WorkerConfig
from pyworker.errors import ConfigError

# Keys that `[env.NAME]` does not inherit from the top level (wrangler's rules):
# every binding kind, plus vars and define.
NON_INHERITABLE = frozenset(
    {
        "vars", "define", "services", "durable_objects", "kv_namespaces", "r2_buckets",
        "d1_databases", "queues", "analytics_engine_datasets", "ai", "vectorize", "hyperdrive",
        "browser", "dispatch_namespaces", "mtls_certificates", "send_email", "tail_consumers",
        "unsafe", "version_metadata", "workflows", "pipelines", "secrets_store_secrets",
        "images", "logfwdr", "ratelimits", "worker_loaders", "containers",
    }
)  # fmt: skip

# Binding kinds pyworker emulates beyond services: each is read by its provider in pyworker/bindings/.
STORAGE_BINDINGS = frozenset({"kv_namespaces", "d1_databases", "r2_buckets", "workflows", "queues", "durable_objects"})

# Binding kinds pyworker does not emulate yet: reported once, then ignored.
UNSUPPORTED_BINDINGS = tuple(
    sorted(NON_INHERITABLE - {"vars", "define", "services", "unsafe", "tail_consumers"} - STORAGE_BINDINGS)
)

# Of those, the kinds that are on env as an object whose every use says pyworker does not emulate it
# (pyworker/bindings/placeholders.py); the others are left off env.
PLACEHOLDER_BINDINGS = frozenset(
    {"ai", "vectorize", "mtls_certificates", "dispatch_namespaces", "browser", "worker_loaders", "version_metadata",
     "hyperdrive", "analytics_engine_datasets", "images", "ratelimits", "secrets_store_secrets", "pipelines",
     "send_email"}
)  # fmt: skip

KNOWN_KEYS = frozenset(
    {"name", "main", "compatibility_date", "compatibility_flags", "workers_dev", "routes", "route",
     "services", "vars", "dev", "env", "limits"}
)  # fmt: skip


def load_config(
    path: Path,
    env_name: str | None = None,
    var_overrides: Mapping[str, str] | None = None,
    env_files: Sequence[Path] | None = None,
) -> WorkerConfig:
    """Read the worker config at ``path`` (a directory or a config file); ``env_files`` is ``--env-file``."""
    config_path = find_config(path)
    raw = read_config_file(config_path)
    where = describe(config_path)
    warnings: list[str] = []
    chosen_env: str | None = None
    if env_name:
        envs = raw.get("env") or {}
        if not isinstance(envs, dict):
            raise ConfigError(f'{where}: "env" must be a table of environments, got {type(envs).__name__}.')
        if env_name in envs:
            raw = _apply_env(raw, envs[env_name], env_name, where)
            chosen_env = env_name
        else:
            warnings.append(f"{where} has no [env.{env_name}] section; using its top-level settings.")
    # Like wrangler, `.dev.vars.<env>` follows the requested env even without an [env.NAME] section.
    secrets = read_local_vars(config_path.parent, env_name, display_path(config_path.parent), env_files)
    return _build(raw, config_path, where, chosen_env, secrets, dict(var_overrides or {}), warnings)


def _apply_env(top: dict[str, Any], section: Any, env_name: str, where: str) -> dict[str, Any]:
    if not isinstance(section, dict):
        raise ConfigError(f"{where}: [env.{env_name}] must be a table, got {type(section).__name__}.")
    merged = {k: v for k, v in top.items() if k not in NON_INHERITABLE and k != "env"}
    merged.update(section)
    if "name" not in section and isinstance(top.get("name"), str):
        merged["name"] = f"{top['name']}-{env_name}"
    return merged


def _build(
    raw: dict[str, Any],
    config_path: Path,
    where: str,
    env_name: str | None,
    secrets: dict[str, str],
    var_overrides: dict[str, str],
    warnings: list[str],
) -> WorkerConfig:
    name = raw.get("name")
    if name is not None and not isinstance(name, str):
        raise ConfigError(f'{where}: "name" must be a string, got {shown(name)}.')
    if not name or not name.strip():
        raise ConfigError(f'{where}: "name" is missing. Add name = "my-worker".')
    main_value = raw.get("main")
    if main_value is not None and not isinstance(main_value, str):
        raise ConfigError(f'{where}: "main" must be a string such as "src/entry.py", got {shown(main_value)}.')
    if (not main_value or not main_value.strip()) and isinstance(raw.get("assets"), dict):
        main = None  # a worker of static assets only, as Cloudflare allows
    elif not main_value or not main_value.strip():
        raise ConfigError(f'{where}: "main" is missing. Set main = "src/entry.py" to the worker\'s Python module.')
    else:
        main = _main_path(config_path, main_value, where)
    warnings.extend(_unsupported(raw, where))
    ignored = ignored_keys(raw, UNSUPPORTED_BINDINGS)
    if ignored:
        warnings.append(f"{where}: pyworker does not act on these keys yet and ignores them: {', '.join(ignored)}.")
    return WorkerConfig(
        name=name,
        main=main,
        config_path=config_path,
        compatibility_date=_optional(raw, "compatibility_date", str, where),
        compatibility_flags=tuple(_string_list(raw, "compatibility_flags", where)),
        workers_dev=_optional(raw, "workers_dev", bool, where),
        routes=_routes(raw, where),
        services=tuple(_services(raw.get("services"), where)),
        vars=_vars(raw.get("vars"), where),
        secrets=secrets,
        var_overrides=var_overrides,
        dev=read_dev(raw.get("dev"), where, config_path.parent),
        limits=_limits(raw.get("limits"), where),
        env_name=env_name,
        extra={k: v for k, v in raw.items() if k not in KNOWN_KEYS},
        warnings=tuple(warnings),
    )


def _unsupported(raw: dict[str, Any], where: str) -> list[str]:
    """One warning for the kinds left off env, one for those on env as placeholders."""
    declared = [key for key in UNSUPPORTED_BINDINGS if raw.get(key)]
    ignored = [key for key in declared if key not in PLACEHOLDER_BINDINGS]
    placeholders = [key for key in declared if key in PLACEHOLDER_BINDINGS]
    found = []
    if ignored:
        found.append(f"{where}: pyworker does not support these bindings yet and ignores them: {', '.join(ignored)}.")
    if placeholders:
        found.append(
            f"{where}: pyworker does not emulate these bindings: {', '.join(placeholders)}. They are on env, "
            "and using one raises an error that says whether wrangler dev runs it locally."
        )
    return found


def _main_path(config_path: Path, main_value: str, where: str) -> Path:
    try:
        main = (config_path.parent / main_value).resolve()
    except (OSError, RuntimeError, ValueError) as exc:  # NUL bytes, symlink loops
        raise ConfigError(f'{where}: "main" is not a usable path: {shown(main_value)}.') from exc
    if main.is_dir():
        raise ConfigError(
            f'{where}: "main" points to {main_value}, which is a directory. '
            'Point it at the worker\'s Python module, e.g. main = "src/entry.py".'
        )
    if not main.is_file():
        raise ConfigError(f'{where}: "main" points to {main_value}, which does not exist.')
    if main.suffix != ".py":
        raise ConfigError(f'{where}: "main" points to {main_value}, which is not a Python module (.py).')
    return main


def _optional(raw: dict[str, Any], key: str, kind: type, where: str) -> Any:
    value = raw.get(key)
    if value is not None and not isinstance(value, kind):
        raise ConfigError(f'{where}: "{key}" must be a {kind.__name__}, got {shown(value)}.')
    return value


def _string_list(raw: dict[str, Any], key: str, where: str) -> list[str]:
    value = raw.get(key) or []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f'{where}: "{key}" must be a list of strings, got {shown(value)}.')
    return value


def _routes(raw: dict[str, Any], where: str) -> tuple[Any, ...]:
    routes = raw.get("routes")
    if routes is None:
        routes = [raw["route"]] if raw.get("route") else []
    if not isinstance(routes, list):
        raise ConfigError(f'{where}: "routes" must be a list, got {shown(routes)}.')
    return tuple(routes)


def _services(value: Any, where: str) -> list[ServiceBinding]:
    if value is None:
        return []
    example = '{ binding = "B", service = "worker_b" }'
    if not isinstance(value, list):
        raise ConfigError(f'{where}: "services" must be a list of tables like {example}, got {shown(value)}.')
    services: list[ServiceBinding] = []
    for item in value:
        if not isinstance(item, dict):
            raise ConfigError(f'{where}: each entry of "services" must be a table like {example}, got {shown(item)}.')
        binding, service = item.get("binding"), item.get("service")
        if not isinstance(binding, str) or not binding.isidentifier():
            raise ConfigError(f'{where}: a service binding needs "binding", a valid name, got {shown(binding)}.')
        if not isinstance(service, str) or not service:
            raise ConfigError(f'{where}: service binding {binding} needs "service", the worker\'s name.')
        entrypoint = item.get("entrypoint")
        if entrypoint is not None and not isinstance(entrypoint, str):
            raise ConfigError(f'{where}: service binding {binding}: "entrypoint" must be a string.')
        props = item.get("props") or {}
        if not isinstance(props, dict):
            raise ConfigError(f'{where}: service binding {binding}: "props" must be a table, got {shown(props)}.')
        services.append(ServiceBinding(binding, service, entrypoint, props))
    names = [s.binding for s in services]
    for binding in names:
        if names.count(binding) > 1:
            raise ConfigError(f'{where}: the binding name {binding} is used twice in "services".')
    return services


def _vars(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f'{where}: "vars" must be a table of names to values, got {shown(value)}.')
    return dict(value)


def _limits(value: Any, where: str) -> Limits:
    if value is None:
        return Limits()
    if not isinstance(value, dict):
        raise ConfigError(f'{where}: "limits" must be a table such as {{ subrequests = 50000 }}, got {value!r}.')
    numbers: dict[str, int | None] = {}
    for key in ("subrequests", "cpu_ms"):
        number = value.get(key)
        if number is not None and (not isinstance(number, int) or isinstance(number, bool) or number < 1):
            raise ConfigError(f"{where}: limits.{key} must be a whole number of at least 1, got {number!r}.")
        numbers[key] = number
    return Limits(**numbers)
