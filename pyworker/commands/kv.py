"""``pyworker kv key put|get|list|delete`` and ``pyworker kv bulk put``, as wrangler's with ``--local``.

Values go through the same binding object a worker uses, so keys, sizes and expiry get the
same checks and messages.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import click

from pyworker.bindings.jsapi import json_parse
from pyworker.bindings.kv import KvNamespace, expiration_from, namespaces
from pyworker.commands.project import Project
from pyworker.config import WorkerConfig
from pyworker.errors import CommandError, ConfigError
from pyworker.storage.host import Storage
from pyworker.storage.kv import KvStore


def _namespace(project: Project, workers: list[WorkerConfig], binding: str | None, namespace_id: str | None) -> str:
    if namespace_id:
        return namespace_id
    if not binding:
        raise CommandError("Say which namespace: --binding NAME (from kv_namespaces) or --namespace-id ID.")
    for worker in workers:
        for name, found in namespaces(worker):
            if name == binding:
                return found
    raise ConfigError(
        f'A namespace with binding name "{binding}" was not found in "kv_namespaces" ({project.where(workers)}).'
    )


def _binding(storage: Storage, namespace: str) -> KvNamespace:
    return KvNamespace("KV", KvStore(storage, namespace))


def key_put(
    project: Project, key: str, value: str | None, path: Path | None, binding: str | None,
    namespace_id: str | None, ttl: int | None, expiration: int | None, metadata: str | None,
) -> None:  # fmt: skip
    """Write ``value`` (or the bytes of ``--path``) to ``key``."""
    if (value is None) == (path is None):
        raise CommandError("Give the value either as an argument or with --path FILE, not both and not neither.")
    data: str | bytes = value if value is not None else _read(path)
    options: dict[str, Any] = {}
    if ttl is not None:
        options["expirationTtl"] = ttl
    if expiration is not None:
        options["expiration"] = expiration
    if metadata is not None:
        options["metadata"] = _json(metadata, "--metadata")

    async def work(storage: Storage, workers: list[WorkerConfig]) -> None:
        namespace = _namespace(project, workers, binding, namespace_id)
        shown = f"the contents of {path}" if path is not None else f'the value "{value}"'
        project.printer.write(f'Writing {shown} to key "{key}" on namespace {namespace}.')
        await _binding(storage, namespace).put(key, data, options)

    project.run(work)


def key_get(project: Project, key: str, binding: str | None, namespace_id: str | None, text: bool) -> None:
    project.writes = False

    async def work(storage: Storage, workers: list[WorkerConfig]) -> Any:
        namespace = _namespace(project, workers, binding, namespace_id)
        return await _binding(storage, namespace).get(key, "arrayBuffer")

    value = project.run(work)
    if value is None:
        project.printer.write("Value not found")
        return
    data = bytes(value)
    if text:
        click.echo(data.decode("utf-8", errors="replace"))
    else:
        click.echo(data, nl=False)


def key_list(project: Project, binding: str | None, namespace_id: str | None, prefix: str | None) -> None:
    project.writes = False
    """Every live key (all pages), as wrangler prints them: a JSON array of ``{name, expiration?, metadata?}``."""

    async def work(storage: Storage, workers: list[WorkerConfig]) -> list[Any]:
        namespace = _binding(storage, _namespace(project, workers, binding, namespace_id))
        keys: list[Any] = []
        cursor = None
        while True:
            page = await namespace.list({"prefix": prefix, "cursor": cursor})
            keys.extend(dict(key) for key in page["keys"])
            cursor = page.get("cursor")
            if page["list_complete"]:
                return keys

    click.echo(json.dumps(project.run(work), indent=2, ensure_ascii=False))


def key_delete(project: Project, key: str, binding: str | None, namespace_id: str | None) -> None:
    async def work(storage: Storage, workers: list[WorkerConfig]) -> None:
        namespace = _namespace(project, workers, binding, namespace_id)
        project.printer.write(f'Deleting the key "{key}" on namespace {namespace}.')
        await _binding(storage, namespace).delete(key)

    project.run(work)


def bulk_put(project: Project, file: Path, binding: str | None, namespace_id: str | None) -> None:
    """Write every ``{key, value, expiration?, expiration_ttl?, metadata?, base64?}`` of a JSON file, in one go."""
    items = _json(_read(file).decode("utf-8", errors="replace"), str(file))
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise CommandError(f'{file} must hold a JSON array of objects like {{"key": "k", "value": "v"}}.')
    entries = []
    for index, item in enumerate(items):
        key, value = item.get("key"), item.get("value")
        if not isinstance(key, str) or not isinstance(value, str):
            raise CommandError(f'{file}: entry {index} needs "key" and "value", both strings; got {dict(item)!r}.')
        data = base64.b64decode(value) if item.get("base64") else value.encode()
        when = expiration_from({"expiration": item.get("expiration"), "expirationTtl": item.get("expiration_ttl")})
        metadata = None if item.get("metadata") is None else json.dumps(item["metadata"], separators=(",", ":"))
        entries.append((key, data, when, metadata))

    async def work(storage: Storage, workers: list[WorkerConfig]) -> None:
        await KvStore(storage, _namespace(project, workers, binding, namespace_id)).put_many(entries)

    project.run(work)
    project.printer.write("Success!")


def _read(path: Path | None) -> bytes:
    assert path is not None
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CommandError(f"Cannot read {path}: {exc}.") from exc


def _json(text: str, source: str) -> Any:
    try:
        return json_parse(text)
    except Exception as exc:
        raise CommandError(f"{source} is not valid JSON: {exc}.") from None
