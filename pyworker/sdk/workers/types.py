"""``workers.types``: the type aliases and typed dicts of the SDK."""

from __future__ import annotations

from collections.abc import Awaitable
from http import HTTPMethod
from typing import Any, Protocol, TypeAlias, TypedDict

from pyworker.runtime.formdata import FormData


class Context(Protocol):
    def waitUntil(self, other: Awaitable[Any]) -> None: ...


JSBody: TypeAlias = "bytes | memoryview"
Body: TypeAlias = "str | FormData | JSBody"
Headers: TypeAlias = "dict[str, str] | list[tuple[str, str]] | js.Headers"  # type: ignore[name-defined]  # noqa: F821


class RequestInitCfProperties(TypedDict, total=False):
    apps: bool | None
    cacheEverything: bool | None
    cacheKey: str | None
    cacheTags: list[str] | None
    cacheTtl: int
    cacheTtlByStatus: dict[str, int]
    image: Any | None
    mirage: bool | None
    polish: str | None
    resolveOverride: str | None
    scrapeShield: bool | None
    webp: bool | None


class FetchKwargs(TypedDict, total=False):
    headers: Headers | None
    body: Body | None
    method: HTTPMethod | None
    redirect: str | None
    cf: RequestInitCfProperties | None
    fetcher: Any | None


__all__ = ["Body", "Context", "FetchKwargs", "FormData", "Headers", "JSBody", "RequestInitCfProperties"]
