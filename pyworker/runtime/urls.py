"""URLs as the WHATWG URL Standard parses them: what ``new URL()``, ``new Request()`` and ``fetch()`` see.

workerd parses URLs with ada, the WHATWG parser Node.js uses too; pyworker uses the same
parser (the ``ada-url`` package), so tab, CR and LF are stripped, spaces and non-ASCII
characters are percent-encoded, ``..`` segments are resolved and the host is lower-cased
exactly as on Cloudflare: ``http://h/echo?text=Hey Ada\\nbye`` is ``http://h/echo?text=Hey%20Adabye``.
"""

from __future__ import annotations

import functools

from ada_url import URL as _URL


@functools.lru_cache(maxsize=512)  # a worker fetches the same few URLs over and over
def whatwg_url(url: str, base: str | None = None) -> str:
    """``url`` (resolved against ``base``) as the WHATWG parser serialises it.

    Raises ``TypeError`` naming the URL when it is not a valid absolute URL, as ``new Request()`` does.
    """
    try:
        parsed = _URL(url) if base is None else _URL(url, base)
    except ValueError:
        raise TypeError(
            f'Invalid URL: "{url}". A request needs an absolute URL such as "https://example.com/".'
        ) from None
    return str(parsed.href)


def parse_url(url: str, base: str | None = None) -> _URL:
    """The parsed URL (its ``pathname``, ``search``, ``host``...); ``ValueError`` when it is not one."""
    return _URL(url) if base is None else _URL(url, base)
