"""URLs as the WHATWG URL Standard parses them: what ``new URL()``, ``new Request()`` and ``fetch()`` see.

workerd parses URLs with ada, the WHATWG parser Node.js uses too; pyworker uses the same
parser (the ``ada-url`` package), so tab, CR and LF are stripped, spaces and non-ASCII
characters are percent-encoded, ``..`` segments are resolved and the host is lower-cased
exactly as on Cloudflare: ``http://h/echo?text=Hey Ada\\nbye`` is ``http://h/echo?text=Hey%20Adabye``.
"""

from __future__ import annotations

import functools
import re

from ada_url import URL as _URL

# A URL the WHATWG parser writes back unchanged: http(s), a lower-case host name whose last label is not
# numeric (an IPv4 address in disguise) or a canonical dotted quad, no userinfo, a port that is not the
# default, a path with no dot segments, and only characters no percent-encode set touches. Such URLs
# (nearly all a worker fetches) skip the parser, which costs about 10 µs a call through cffi.
_CANONICAL = re.compile(
    r"(https?)://"
    r"(?:(?:[a-z0-9-]+\.)*[a-z0-9-]*[a-z][a-z0-9-]*\.?"
    r"|(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9]))"
    r"(?::([1-9][0-9]{0,4}))?"
    r"/[A-Za-z0-9\-._~!$&()*+,;=:@%/]*"
    r"(?:\?[A-Za-z0-9\-._~!$&()*+,;=:@%/?]*)?"
)
_DOT_SEGMENT = re.compile(r"/(?:\.|%2e){1,2}(?:[/?#]|$)", re.IGNORECASE)
_DEFAULT_PORTS = {"http": "80", "https": "443"}


@functools.lru_cache(maxsize=1024)  # a worker fetches the same few URLs over and over
def whatwg_url(url: str, base: str | None = None) -> str:
    """``url`` (resolved against ``base``) as the WHATWG parser serialises it.

    Raises ``TypeError`` naming the URL when it is not a valid absolute URL, as ``new Request()`` does.
    """
    if base is None:
        match = _CANONICAL.fullmatch(url)
        if match is not None and _kept(match) and not _DOT_SEGMENT.search(url):
            return url
    try:
        parsed = _URL(url) if base is None else _URL(url, base)
    except ValueError:
        raise TypeError(
            f'Invalid URL: "{url}". A request needs an absolute URL such as "https://example.com/".'
        ) from None
    return str(parsed.href)


def _kept(match: re.Match[str]) -> bool:
    """The port stays as written: none, or one in range that is not the scheme's default."""
    port = match[2]
    return port is None or (int(port) <= 65535 and port != _DEFAULT_PORTS[match[1]])
