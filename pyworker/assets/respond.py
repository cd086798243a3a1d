"""An asset file as a response: strong ETag, ``If-None-Match`` → 304, ``Range`` → 206/416, ``HEAD``.

Small files are read whole (one read is cheaper than a stream); larger ones are streamed in
chunks, so a big file never sits in memory.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

from pyworker.assets.content_types import content_type
from pyworker.assets.files import Asset
from pyworker.runtime.http import Request, Response

CACHE_CONTROL = "public, max-age=0, must-revalidate"
READ_WHOLE = 1 << 20  # bytes: files up to this size are read at once
CHUNK = 256 * 1024
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def asset_response(asset: Asset, status: int, request: Request) -> Response:
    """The response serving ``asset`` (``status`` 200, or 404 for a ``404.html`` page)."""
    etag = f'"{asset.etag}"'
    headers = [("etag", etag), ("content-type", content_type(asset.path))]
    if not request._headers.has("authorization") and not request._headers.has("range"):
        headers.append(("cache-control", CACHE_CONTROL))
    if request._headers.get("if-none-match") in (etag, f"W/{etag}"):
        return Response(None, 304, headers=headers)
    head = str(request.method).upper() == "HEAD"
    start, end = 0, asset.size - 1
    wanted = request._headers.get("range") if status == 200 else None
    span = None if wanted is None else byte_range(wanted, asset.size)
    if span == ():
        headers.append(("content-range", f"bytes */{asset.size}"))
        return Response(None if head else b"", 416, headers=headers)
    if span:
        start, end = span
        status = 206
        headers.append(("content-range", f"bytes {start}-{end}/{asset.size}"))
    length = end - start + 1 if asset.size else 0
    headers.append(("content-length", str(length)))
    if head:
        return Response(None, status, headers=headers)
    if length <= READ_WHOLE:
        return Response(_read(asset.path, start, length), status, headers=headers)
    return Response(_stream(asset.path, start, length), status, headers=headers)


def byte_range(value: str, size: int) -> tuple[int, ...] | None:
    """``(first, last)`` of a single ``bytes=`` range, ``()`` when it cannot be satisfied, ``None`` to ignore it.

    A header that is not one ``bytes=a-b`` range is ignored (the whole file is served), as
    by any server that does not do multipart ranges.
    """
    found = _RANGE.match(value.strip())
    if found is None or not (found.group(1) or found.group(2)):
        return None
    first, last = found.group(1), found.group(2)
    if not first:  # the last N bytes
        count = int(last)
        return () if count == 0 or size == 0 else (max(size - count, 0), size - 1)
    start = int(first)
    if start >= size:
        return ()
    stop = min(int(last), size - 1) if last else size - 1
    return None if stop < start else (start, stop)


def _read(path: str, start: int, length: int) -> bytes:
    with open(path, "rb") as file:
        file.seek(start)
        return file.read(length)


async def _stream(path: str, start: int, length: int) -> AsyncIterator[bytes]:
    with open(path, "rb") as file:
        file.seek(start)
        left = length
        while left > 0:
            chunk = file.read(min(CHUNK, left))
            if not chunk:
                break
            left -= len(chunk)
            yield chunk
