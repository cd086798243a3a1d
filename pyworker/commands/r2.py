"""``pyworker r2 object put|get|delete BUCKET/KEY``, as wrangler's with ``--local``: the bucket is named directly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from pyworker.bindings.r2 import R2Bucket
from pyworker.commands.project import Project
from pyworker.config import WorkerConfig
from pyworker.errors import CommandError
from pyworker.storage.host import Storage
from pyworker.storage.r2 import R2Store


def split_path(object_path: str) -> tuple[str, str]:
    bucket, _, key = object_path.partition("/")
    if not bucket or not key:
        raise CommandError(f'"{object_path}" is not BUCKET/KEY: give the bucket name, a slash, then the object key.')
    return bucket, key


def _bucket(storage: Storage, name: str) -> R2Bucket:
    return R2Bucket(name, R2Store(storage, name))


def put(project: Project, object_path: str, file: Path | None, content_type: str | None) -> None:
    bucket, key = split_path(object_path)
    if file is None:
        raise CommandError("Say what to upload with --file FILE.")
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise CommandError(f"Cannot read {file}: {exc}.") from exc
    metadata = {"contentType": content_type} if content_type else {}

    async def work(storage: Storage, workers: list[WorkerConfig]) -> None:
        project.printer.write(f'Creating object "{key}" in bucket "{bucket}".')
        await _bucket(storage, bucket).put(key, data, {"httpMetadata": metadata})

    project.run(work)
    project.printer.write("Upload complete.")


def get(project: Project, object_path: str, file: Path | None) -> None:
    project.writes = False
    """Write the object to ``--file``, or to stdout without it."""
    bucket, key = split_path(object_path)

    async def work(storage: Storage, workers: list[WorkerConfig]) -> Any:
        found = await _bucket(storage, bucket).get(key)
        return None if found is None else bytes(await found.arrayBuffer())

    data = project.run(work)
    if data is None:
        raise CommandError(f'The specified key "{key}" does not exist in bucket "{bucket}".')
    if file is None:
        click.echo(data, nl=False)
        return
    project.printer.write(f'Downloading "{key}" from "{bucket}".')
    file.write_bytes(data)
    project.printer.write("Download complete.")


def delete(project: Project, object_path: str) -> None:
    bucket, key = split_path(object_path)

    async def work(storage: Storage, workers: list[WorkerConfig]) -> None:
        project.printer.write(f'Deleting object "{key}" from bucket "{bucket}".')
        await _bucket(storage, bucket).delete(key)

    project.run(work)
    project.printer.write("Delete complete.")
