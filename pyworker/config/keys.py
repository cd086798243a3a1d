"""Which keys of a worker's config pyworker acts on, so that every other key gets a warning.

A key pyworker reads goes in :data:`ACTED_ON`: ``None`` when the whole value is used, or the
set of its sub-keys that are (``"dev": {"port", "ip", "cf"}``: ``dev.inspector_port`` warns).
A branch that adds support for a key (``triggers``, ``assets``, ``queues``...) adds it here.
:data:`DEPLOY_ONLY` keys matter only to ``wrangler deploy`` (they do nothing under ``wrangler
dev`` either), so they never warn; binding kinds are reported by their own warning.
"""

from __future__ import annotations

from typing import Any

ACTED_ON: dict[str, frozenset[str] | None] = {
    "name": None,
    "main": None,
    "compatibility_date": None,
    "compatibility_flags": None,
    "services": None,
    "vars": None,
    "dev": frozenset({"port", "ip", "cf", "process", "python"}),
    "env": None,
    "limits": frozenset({"subrequests", "cpu_ms"}),
    "kv_namespaces": None,
    "d1_databases": None,
    "r2_buckets": None,
    "workflows": None,
    "triggers": frozenset({"crons"}),
    "assets": None,
    "queues": None,
    "durable_objects": frozenset({"bindings"}),
    "migrations": None,
}

DEPLOY_ONLY = frozenset(
    {
        "$schema", "account_id", "workers_dev", "preview_urls", "routes", "route", "keep_vars", "logpush",
        "upload_source_maps", "send_metrics", "observability", "placement", "tail_consumers", "minify",
        "keep_names", "first_deploy", "legacy_env", "usage_model", "streaming_tail_consumers", "tags",
    }
)  # fmt: skip


def ignored_keys(raw: dict[str, Any], reported: frozenset[str] | tuple[str, ...] = ()) -> list[str]:
    """Keys (``triggers.crons``) of ``raw`` that pyworker does not act on, but for ``reported`` ones."""
    ignored: list[str] = []
    for key, value in raw.items():
        if key in DEPLOY_ONLY or key in reported:
            continue
        if key not in ACTED_ON:
            if isinstance(value, dict) and value:
                ignored.extend(f"{key}.{sub}" for sub in value)
            else:
                ignored.append(key)
            continue
        used = ACTED_ON[key]
        if used is not None and isinstance(value, dict):
            ignored.extend(f"{key}.{sub}" for sub in value if sub not in used)
    return ignored
