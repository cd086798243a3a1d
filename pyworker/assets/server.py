"""One worker's assets as Cloudflare's asset worker serves them, and the router in front of the worker.

:meth:`AssetServer.route` is what an incoming request meets first: it answers from the
directory, or returns ``None`` to let the worker's ``fetch`` run (``run_worker_first``, or no
asset for the path). :meth:`AssetServer.fetch` is ``env.ASSETS.fetch``: always an answer,
404 for a path with no asset.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from urllib.parse import quote, unquote, urljoin, urlsplit

from pyworker.assets.config import AssetsConfig, glob_rule
from pyworker.assets.files import AssetFiles
from pyworker.assets.intent import Intent, Intents
from pyworker.assets.respond import asset_response
from pyworker.assets.rules import Parsed, find_redirect, parse_headers, parse_redirects, replace
from pyworker.runtime.http import Request, Response

_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_SAFE = "-_.!~*'()"  # what encodeURIComponent leaves alone
_NO_INTENT = object()


def decode_path(pathname: str) -> str:
    """Each segment decoded as ``decodeURIComponent`` would (left as it is if it cannot be), ``//`` folded."""
    parts = []
    for part in pathname.split("/"):
        if "%" in part and not _BAD_ESCAPE.search(part):
            with contextlib.suppress(UnicodeDecodeError):  # overlong or broken UTF-8: kept, so it names no file
                part = unquote(part, errors="strict")
        parts.append(part)
    return re.sub("/+", "/", "/".join(parts))


def encode_path(pathname: str) -> str:
    return "/".join(quote(part, safe=_SAFE) for part in pathname.split("/"))


class AssetServer:
    """Serves the directory of ``config``; ``warn`` prints a skipped ``_headers``/``_redirects`` line."""

    def __init__(self, config: AssetsConfig, warn: Callable[[str], None]) -> None:
        self.config = config
        self.files = AssetFiles(config.directory)
        self._warn = warn
        self._include = [glob_rule(rule) for rule in config.include]
        self._exclude = [glob_rule(rule) for rule in config.exclude]

    # -- routing ------------------------------------------------------------------------
    async def route(self, request: Request) -> Response | None:
        """The response for an incoming request when the assets answer it; ``None``: run the worker."""
        config = self.config
        if not config.has_worker:
            return self._answer(request, config.not_found_handling, True)
        if config.worker_first:
            return None
        path = urlsplit(request.url).path
        if any(rule.match(path) for rule in self._exclude):
            return self._answer(request, config.not_found_handling, True)
        if any(rule.match(path) for rule in self._include):
            return None
        keep = config.static_routing or (
            config.navigation_prefers_assets and request._headers.get("sec-fetch-mode") == "navigate"
        )
        return self._answer(request, config.not_found_handling if keep else "none", False)

    async def fetch(self, request: Request) -> Response:
        """``env.ASSETS.fetch(request)``: the asset, a redirect, or 404."""
        answer = self._answer(request, self.config.not_found_handling, True)
        assert answer is not None
        return answer

    # -- the asset worker ---------------------------------------------------------------
    def _answer(self, request: Request, not_found: str, always: bool) -> Response | None:
        found = self._resolve(request, not_found)
        if found is _NO_INTENT:
            if not always:
                return None
            found = Response(None, 404)
        assert isinstance(found, Response)
        return self._custom_headers(request, found)

    def _resolve(self, request: Request, not_found: str) -> Response | object:
        url = urlsplit(request.url)
        search = f"?{url.query}" if url.query else ""
        pathname, proxied = url.path or "/", False
        redirect = find_redirect(self._redirects(), url.netloc, pathname)
        if redirect is not None:
            to, status = redirect
            if status != 200:
                return Response(None, status, headers={"location": _location(request.url, to, search)})
            pathname, proxied = urlsplit(urljoin(request.url, to)).path, True
        decoded = decode_path(pathname)
        intents = Intents(self.files.find, self.config.html_handling, not_found)
        intent = intents.get(decoded)
        if intent is None:
            return Response(None, 404) if proxied else _NO_INTENT
        if str(request.method).upper() not in ("GET", "HEAD"):
            return Response(None, 405)
        destination = encode_path(intent.redirect or decoded)
        if intent.redirect or (destination != pathname and intent.asset is not None):
            return Response(None, 307, headers={"location": destination + search})
        return self._serve(intent, request)

    def _serve(self, intent: Intent, request: Request) -> Response:
        assert intent.asset is not None
        return asset_response(intent.asset, intent.status, request)

    def _custom_headers(self, request: Request, response: Response) -> Response:
        url = urlsplit(request.url)
        assigned: set[str] = set()
        for rule in self._headers().headers:
            groups = rule.rule.match(url.netloc, url.path)
            if groups is None:
                continue
            for name in rule.unset:
                response._headers.delete(name)
            for name, value in rule.set.items():
                value = replace(value, groups)
                if name in assigned:
                    response._headers.append(name, value)
                else:
                    response._headers.set(name, value)
                    assigned.add(name)
        return response

    # -- the rules files, re-read when they change ---------------------------------------------
    def _headers(self) -> Parsed:
        return self.files.meta("_headers", lambda text: self._parsed("_headers", text, parse_headers))

    def _redirects(self) -> Parsed:
        html = self.config.html_handling
        return self.files.meta(
            "_redirects", lambda text: self._parsed("_redirects", text, lambda t: parse_redirects(t, html))
        )

    def _parsed(self, name: str, text: str | None, parse: Callable[[str], Parsed]) -> Parsed:
        if text is None:
            return Parsed()
        parsed = parse(text)
        for message in parsed.invalid:
            self._warn(f"{name}: {message}")
        return parsed


def _location(url: str, to: str, search: str) -> str:
    """Where a ``_redirects`` rule sends the client: the request's query string kept unless ``to`` has one."""
    destination = urlsplit(urljoin(url, to))
    origin = urlsplit(url)
    query = f"?{destination.query}" if destination.query else search
    fragment = f"#{destination.fragment}" if destination.fragment else ""
    if (destination.scheme, destination.netloc) == (origin.scheme, origin.netloc):
        return f"{destination.path}{query}{fragment}"
    return f"{destination.scheme}://{destination.netloc}{destination.path}{query}{fragment}"
