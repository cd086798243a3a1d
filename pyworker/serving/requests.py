"""From an ASGI request to the worker's ``Request``: what is refused before any worker runs, and the URL.

The URL is built from parts that were checked, never pasted, then parsed as WHATWG does (as
wrangler and Cloudflare give ``request.url``: host lower-cased, default port and dot segments
gone, the rest percent-encoded): the Host header must be a
host with an optional port, an absolute-form target is the URL itself (RFC 9112 section
3.2.2), and the forms meant for the server alone (``OPTIONS *``, ``CONNECT``, the
HTTP/2 preface ``PRI``) are answered here without calling the worker. Limits on the
head (header count and size, target length) and on a declared body size are checked
here too; a body that grows past its limit while it arrives is the client link's job.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

from pyworker.options import ClientLimits
from pyworker.runtime.body import BodySource
from pyworker.runtime.headers import Headers
from pyworker.runtime.http import Request, Response, incoming_request
from pyworker.runtime.urls import whatwg_url
from pyworker.types import Scope

ALLOWED_METHODS = "GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS"
# A host name or IPv4 address (letters, digits, "-", "_", "."), or an IPv6 literal in brackets; then a port.
_HOST = re.compile(r"(?P<name>[A-Za-z0-9_](?:[A-Za-z0-9_.-]*)|\[(?P<ipv6>[0-9A-Fa-f:.]+)\])(?::(?P<port>\d{1,5}))?")
_ABSOLUTE = re.compile(r"(?P<scheme>https?)://(?P<authority>[^/?#]*)(?P<rest>.*)", re.IGNORECASE | re.DOTALL)


def read_request(
    scope: Scope,
    target: str,
    limits: ClientLimits,
    body: Callable[[], AsyncIterator[bytes]],
    cf: dict[str, Any] | None = None,
) -> Request | Response:
    """The worker's ``Request`` (``body()`` gives its body as it arrives), or the server's own answer
    to a request no worker should see. ``target`` is :func:`raw_target`'s.

    One pass over the headers, and one function call on the usual path: this runs on every request.
    """
    version = scope.get("http_version", "1.1")
    method = scope["method"]
    if (version != "1.1" and version != "1.0") or method == "CONNECT" or method == "PRI" or target == "*":
        return _special(version, method, target)
    if len(target) > limits.max_target_bytes:
        return _close(414, f"URI Too Long: the target has more than {limits.max_target_bytes} bytes.")
    raw = scope["headers"]
    if len(raw) > limits.max_headers:
        return _close(431, f"Request Header Fields Too Large: more than {limits.max_headers} headers.")
    size, hosts, lengths, chunked = 0, [], [], False
    for name, value in raw:
        size += len(name) + len(value) + 4
        if name == b"host":
            hosts.append(value)
        elif name == b"content-length":
            lengths.append(value)
        elif name == b"transfer-encoding":
            chunked = True
    if size > limits.max_header_bytes:
        return _close(431, f"Request Header Fields Too Large: more than {limits.max_header_bytes} bytes of headers.")
    url = None
    if target[:1] == "/" and len(hosts) == 1:
        try:  # noqa: SIM105  # a try costs nothing here; suppress() would be a call on every request
            url = _origin_url(scope.get("scheme", "http"), hosts[0], target)
        except TypeError:
            pass  # a URL WHATWG refuses: said below
    if url is None:
        if target[:1] == "/" and len(hosts) == 1 and valid_host(hosts[0].decode("latin-1")):
            url = f"{scope.get('scheme', 'http')}://{hosts[0].decode('latin-1')}{target}"
        else:
            problem, url = _unusual_url(scope, target, hosts, version)
            if problem is not None:
                return _close(400, f"Bad Request: {problem}")
        try:  # as wrangler and Cloudflare give it: WHATWG-parsed (dot segments resolved), without a fragment
            url = whatwg_url(url.partition("#")[0])
        except TypeError:
            return _close(400, f'Bad Request: "{_shown(url)}" is not a valid URL.')
    if lengths:
        if len(set(lengths)) > 1 or not lengths[0].isdigit():
            return _close(400, "Bad Request: the Content-Length header is not one number.")
        if int(lengths[0]) > limits.max_body_bytes:
            return too_large(limits)
    source = BodySource(stream=body()) if chunked or (lengths and int(lengths[0])) else None
    return incoming_request(url, method, Headers.from_raw(raw), source, cf)


def _special(version: str, method: str, target: str) -> Response:
    """HTTP/2 and other versions, ``CONNECT``, ``PRI`` and the asterisk form: the server answers them."""
    if method == "OPTIONS" and target == "*" and (version == "1.1" or version == "1.0"):
        return Response(None, 200, headers={"allow": ALLOWED_METHODS, "content-length": "0"})
    status, text = server_refusal(version, method, target)
    return _close(status, text)


def server_refusal(version: str, method: str, target: str) -> tuple[int, str]:
    """The status and text the server answers a request no worker should see with (not ``OPTIONS *``)."""
    if version != "1.1" and version != "1.0":
        return 505, f"HTTP/{version} is not supported here: pyworker dev speaks HTTP/1.1."
    if method == "CONNECT" or method == "PRI":
        return 501, f"{method} is not supported: pyworker dev serves workers, it is not a proxy."
    return 400, f'Bad Request: the target "*" is only for OPTIONS, not {method}.'


def _unusual_url(scope: Scope, target: str, hosts: list[bytes], version: str) -> tuple[str | None, str]:
    """(what is wrong, or None; the URL) for an absolute-form target, or a Host that is missing, doubled or bad."""
    if not target.startswith("/"):
        match = _ABSOLUTE.fullmatch(target)
        if match is None:
            return f'the target "{_shown(target)}" is neither a path ("/...") nor an absolute http(s) URL.', ""
        if not valid_host(match["authority"]):
            return f'the target\'s host "{_shown(match["authority"])}" is not a host name with an optional port.', ""
        return None, f"{match['scheme'].lower()}://{match['authority']}{match['rest'] or '/'}"
    if len(hosts) > 1:
        return "the request has more than one Host header.", ""
    if not hosts and version == "1.0":  # HTTP/1.0 may leave Host out: the URL names the server's own address
        server = scope.get("server") or ("localhost", None)
        host = f"{server[0]}:{server[1]}" if server[1] else str(server[0])
        return None, f"{scope.get('scheme', 'http')}://{host}{target}"
    host = _readable(hosts[0]) if hosts else ""
    return f'the Host header "{_shown(host)}" is not a host name with an optional port.', ""


def too_large(limits: ClientLimits) -> Response:
    return _close(413, f"Content Too Large: the request body has more than {limits.max_body_bytes} bytes.")


@functools.lru_cache(maxsize=1024)  # clients ask for the same few targets of the same host again and again
def _origin_url(scheme: str, host: bytes, target: str) -> str | None:
    """The URL of an origin-form request (``GET /x`` with one Host), WHATWG-parsed, without a fragment;
    ``None`` when the Host is not a host with an optional port. Raises ``TypeError`` as :func:`whatwg_url`."""
    name = host.decode("latin-1")
    if not valid_host(name):
        return None
    return whatwg_url(f"{scheme}://{name}{target}".partition("#")[0])


@functools.lru_cache(maxsize=256)  # a client sends the same Host on every request
def valid_host(host: str) -> bool:
    """Whether ``host`` is a host name, IPv4 address or bracketed IPv6 address, with an optional port."""
    match = _HOST.fullmatch(host)
    if match is None or (match["port"] is not None and int(match["port"]) > 65535):
        return False
    if match["ipv6"] is not None:
        try:
            ipaddress.IPv6Address(match["ipv6"])
        except ValueError:
            return False
    return True


def raw_target(scope: Scope) -> str:
    """The request target as the client sent it (still percent-encoded), query included."""
    raw_path = scope.get("raw_path")
    path = raw_path.decode("latin-1") if raw_path else str(scope["path"])
    query = scope.get("query_string", b"")
    return path + ("?" + query.decode("latin-1") if query else "")


def _close(status: int, text: str) -> Response:
    """An answer from the server itself; the connection closes after it (its head may be unread)."""
    return Response(text, status, headers={"connection": "close"})


def _readable(raw: bytes) -> str:
    """A header's bytes as the client most likely wrote them: UTF-8, else one character per byte."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _shown(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."
