"""The ``assets`` table of a worker's config, checked, with one clear error per mistake."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pyworker.config.files import describe
from pyworker.config.model import WorkerConfig
from pyworker.errors import ConfigError

HTML_HANDLING = ("auto-trailing-slash", "force-trailing-slash", "drop-trailing-slash", "none")
NOT_FOUND_HANDLING = ("none", "404-page", "single-page-application")
MAX_ROUTES_RULES = 100
MAX_ROUTES_RULE_LENGTH = 100
EXAMPLE = '{ directory = "./public", binding = "ASSETS" }'
# Cloudflare turns this on for compatibility dates from 2025-04-01 (or by its flag).
NAVIGATION_FLAG, NAVIGATION_OFF, NAVIGATION_DATE = (
    "assets_navigation_prefers_asset_serving", "assets_navigation_has_no_effect", "2025-04-01",
)  # fmt: skip


@dataclass(frozen=True)
class AssetsConfig:
    """One worker's assets: where they are and how requests reach them.

    ``worker_first`` is ``run_worker_first = true``; ``include``/``exclude`` are the rules of
    a ``run_worker_first`` list (``"/api/*"``, and ``"!/api/docs/*"`` without its ``!``).
    """

    directory: Path
    binding: str | None = None
    html_handling: str = "auto-trailing-slash"
    not_found_handling: str = "none"
    worker_first: bool = False
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    has_worker: bool = True
    navigation_prefers_assets: bool = False

    @property
    def static_routing(self) -> bool:
        return bool(self.include or self.exclude)


def read_assets(config: WorkerConfig) -> AssetsConfig | None:
    """The worker's ``assets`` table, or ``None`` when it has none."""
    raw = config.extra.get("assets")
    if raw is None:
        return None
    where = describe(config.config_path)
    if not isinstance(raw, dict):
        raise ConfigError(f'{where}: "assets" must be a table like {EXAMPLE}, got {raw!r}.')
    directory = raw.get("directory")
    if not isinstance(directory, str) or not directory:
        raise ConfigError(
            f'{where}: "assets" needs "directory", the folder to serve, like {EXAMPLE}; got {directory!r}.'
        )
    path = (config.directory / directory).resolve()
    if not path.is_dir():
        raise ConfigError(f"{where}: assets.directory points to {directory}, which is not a directory.")
    binding = raw.get("binding")
    if binding is not None and (not isinstance(binding, str) or not binding.isidentifier()):
        raise ConfigError(f'{where}: assets.binding must be a valid name such as "ASSETS", got {binding!r}.')
    worker_first, include, exclude = _run_worker_first(raw.get("run_worker_first", False), where)
    return AssetsConfig(
        directory=path,
        binding=binding,
        html_handling=_choice(raw, "html_handling", HTML_HANDLING, where),
        not_found_handling=_choice(raw, "not_found_handling", NOT_FOUND_HANDLING, where),
        worker_first=worker_first,
        include=include,
        exclude=exclude,
        has_worker=config.main is not None,
        navigation_prefers_assets=_navigation(config),
    )


def _choice(raw: dict[str, object], key: str, allowed: tuple[str, ...], where: str) -> str:
    value = raw.get(key, allowed[0])
    if value not in allowed:
        choices = ", ".join(f'"{choice}"' for choice in allowed)
        raise ConfigError(f"{where}: assets.{key} must be one of {choices}; got {value!r}.")
    return str(value)


def _run_worker_first(value: object, where: str) -> tuple[bool, tuple[str, ...], tuple[str, ...]]:
    """Cloudflare's checks of ``run_worker_first``, with its wording."""
    if isinstance(value, bool):
        return value, (), ()
    if not isinstance(value, list) or not all(isinstance(rule, str) for rule in value):
        raise ConfigError(
            f"{where}: assets.run_worker_first must be true, false or a list of routes "
            f'such as ["/api/*"]; got {value!r}.'
        )
    if not value:
        raise ConfigError(f"{where}: No `run_worker_first` rules were provided; must provide at least 1 rule.")
    if len(value) > MAX_ROUTES_RULES:
        raise ConfigError(
            f"{where}: Too many `run_worker_first` rules were provided; "
            f"{len(value)} rules provided exceeds max of {MAX_ROUTES_RULES}."
        )
    include, exclude, invalid = [], [], []
    for rule in value:
        if rule.startswith("!/"):
            exclude.append(rule[1:])
        elif rule.startswith("/"):
            include.append(rule)
        else:
            reason = (
                "negative rules must start with '!/'" if rule.startswith("!") else "rules must start with '/' or '!/'"
            )
            invalid.append(f"'{rule}': {reason}")
        if len(rule) > MAX_ROUTES_RULE_LENGTH:
            invalid.append(f"'{rule}': all rules must be less than {MAX_ROUTES_RULE_LENGTH} characters in length")
        if value.count(rule) > 1 and f"'{rule}': rule is a duplicate; rules must be unique" not in invalid:
            invalid.append(f"'{rule}': rule is a duplicate; rules must be unique")
    if invalid:
        raise ConfigError(f"{where}: Invalid routes in run_worker_first:\n" + "\n".join(invalid))
    if exclude and not include:
        raise ConfigError(
            f"{where}: Only negative `run_worker_first` rules were provided; must provide at least 1 non-negative rule"
        )
    return False, tuple(include), tuple(exclude)


def _navigation(config: WorkerConfig) -> bool:
    flags = config.compatibility_flags
    if NAVIGATION_FLAG in flags:
        return True
    if NAVIGATION_OFF in flags:
        return False
    return (config.compatibility_date or "2021-11-02") >= NAVIGATION_DATE


def glob_rule(rule: str) -> re.Pattern[str]:
    """A ``run_worker_first`` rule as Cloudflare matches it: ``*`` is any run of characters."""
    return re.compile("^" + ".*".join(re.escape(part) for part in rule.split("*")) + "$")
