"""The ``encodeBody`` option of a response: the runtime compresses a body per its ``Content-Encoding``.

On Cloudflare a ``Response`` with ``Content-Encoding: gzip`` and the default
``encodeBody: "automatic"`` carries the body the worker gave, and the runtime compresses it on
the way out; with ``"manual"`` (``asgi.fetch(..., options=Options(encode_body="manual"))``)
the body is sent as it is, already compressed. pyworker does the same for ``gzip`` and
``deflate`` (zlib); for ``br`` it uses the ``brotli`` package when installed, else it sends the
body unencoded without the header, with a one-time hint.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator, Callable
from typing import Any

from pyworker.printer import Printer
from pyworker.runtime.body import headers_of
from pyworker.runtime.http import Response

Compressor = Callable[[bytes, bool], bytes]  # (chunk, last) -> bytes to send
_NULL_BODY = frozenset({101, 204, 205, 304})


def compressor(response: Response, printer: Printer, worker: str) -> Compressor | None:
    """How to encode ``response``'s body on the way out, or ``None`` to send it as it is.

    Drops the worker's ``Content-Length`` when it encodes: it counted the unencoded bytes.
    """
    if response._encode_body == "manual" or response.body is None or response.status in _NULL_BODY:
        return None
    headers = headers_of(response)
    encoding = (headers.get("content-encoding") or "").strip().lower()
    if encoding in ("gzip", "deflate"):
        headers.delete("content-length")
        return _zlib(zlib.compressobj(wbits=31 if encoding == "gzip" else 15))
    if encoding == "br":
        headers.delete("content-length")
        try:
            import brotli  # type: ignore[import-not-found]
        except ImportError:
            headers.delete("content-encoding")
            printer.hint(
                worker,
                ("encode-br",),
                "hint: a response has Content-Encoding: br, which Cloudflare compresses with Brotli; pyworker sends "
                "it uncompressed, without the header (pip install brotli to compress it as deployed).",
            )
            return None
        return _brotli(brotli.Compressor())
    return None


def _zlib(engine: Any) -> Compressor:
    def encode(chunk: bytes, last: bool) -> bytes:
        data: bytes = engine.compress(chunk)
        return data + engine.flush() if last else data

    return encode


def _brotli(engine: Any) -> Compressor:
    def encode(chunk: bytes, last: bool) -> bytes:
        data: bytes = engine.process(chunk)
        return data + engine.finish() if last else data

    return encode


async def encoded(chunks: AsyncIterator[bytes], encode: Compressor) -> AsyncIterator[bytes]:
    """``chunks`` compressed as they come."""
    try:
        async for chunk in chunks:
            data = encode(chunk, False)
            if data:
                yield data
        yield encode(b"", True)
    finally:
        await chunks.aclose()  # type: ignore[attr-defined]
