"""The page a browser gets when a worker fails: the error and its traceback, as wrangler dev shows one.

Only for a request that says it takes HTML (``Accept: text/html``, what browsers send for
a page); other clients (curl, ``fetch``, tests) get the plain-text 500 as before, so what
code sees does not change with who asks. The page is the dev server's, never a
deployed worker's: on Cloudflare the visitor gets error 1101.
"""

from __future__ import annotations

from pyworker.errors import UncaughtBaseException, WorkerLoadError
from pyworker.runtime.http import Request, Response
from pyworker.runtime.responses import error_summary
from pyworker.tracebacks import format_user_traceback

_STYLE = (
    "body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#222}"
    "h1{font-size:1.3rem;color:#b00020}pre{background:#f6f6f6;padding:1rem;overflow:auto;font-size:13px}"
    "p.note{color:#666}"
)


def wants_html(request: Request) -> bool:
    """Whether the client asked for a page (a browser navigating), not for data."""
    return "text/html" in (request.headers.get("accept") or "").lower()


def error_page(worker: str, request: Request, exc: BaseException) -> Response | None:
    """The HTML 500 for ``exc`` when ``request`` wants HTML; None for other clients."""
    if not wants_html(request):
        return None
    if isinstance(exc, WorkerLoadError):
        title, detail = f'Worker "{worker}" failed to load', str(exc)
    else:
        title = error_summary(exc)
        shown = exc.__cause__ if isinstance(exc, UncaughtBaseException) and exc.__cause__ is not None else exc
        detail = "".join(format_user_traceback(shown)).rstrip()
    import html  # here: html (and its entities) cost ~2 ms at start-up, for a page only errors show

    body = (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>\n"
        f"<h1>{html.escape(title)}</h1>\n"
        f"<p>{html.escape(request.method)} {html.escape(request.url)} on worker <b>{html.escape(worker)}</b></p>\n"
        f"<pre>{html.escape(detail)}</pre>\n"
        '<p class="note">Shown by pyworker dev to browsers only; other clients get the plain-text 500. '
        "Deployed, a visitor would see Cloudflare's error 1101.</p>\n"
        "</body></html>\n"
    )
    return Response(body, 500, headers={"content-type": "text/html; charset=utf-8"})
