"""Which file a path serves, or where it redirects: ``html_handling`` and ``not_found_handling``.

The order of checks is Cloudflare's asset worker's, case by case, so ``/about``,
``/about.html``, ``/about/`` and ``/about/index.html`` end where they end on Cloudflare.
A redirect is only offered when its destination would serve the very same file (same ETag)
and is not a file itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pyworker.assets.files import Asset

Exists = Callable[[str], Asset | None]


@dataclass(frozen=True, slots=True)
class Intent:
    """Serve ``asset`` with ``status`` (200, or 404 for a ``404.html``), or redirect to ``redirect``."""

    asset: Asset | None = None
    status: int = 200
    redirect: str | None = None
    not_found: bool = False  # served by not_found_handling


def _serve(asset: Asset | None) -> Intent | None:
    return None if asset is None else Intent(asset)


class Intents:
    def __init__(self, exists: Exists, html_handling: str, not_found_handling: str) -> None:
        self.exists = exists
        self.html = html_handling
        self.not_found_handling = not_found_handling

    def get(self, path: str, skip: bool = False) -> Intent | None:
        if self.html == "none":
            return _serve(self.exists(path)) or self.not_found(path)
        exact = self.exists(path)
        if path.endswith("/index") and exact is not None:
            return Intent(exact)
        found = {
            "auto-trailing-slash": self._auto,
            "force-trailing-slash": self._force,
            "drop-trailing-slash": self._drop,
        }[self.html](path, exact, skip)
        return found or self.not_found(path)

    def _redirect(self, file: str, destination: str, skip: bool) -> Intent | None:
        """Redirect to ``destination`` if it would serve ``file`` (and is not a file itself)."""
        if skip or self.exists(destination) is not None:
            return None
        intent = self.get(destination, True)
        target = self.exists(file)
        if intent is not None and intent.asset is not None and target is not None and intent.asset.etag == target.etag:
            return Intent(redirect=destination)
        return None

    def _first(self, skip: bool, *steps: tuple[str, str] | str | Asset | None) -> Intent | None:
        """The first step that applies: an asset found already, a path (serve it if it exists), or
        ``(file, destination)`` (redirect if the destination would serve the file). Lazy: a step
        after the one that applies is never looked up."""
        for step in steps:
            if isinstance(step, str):
                step = self.exists(step)
            if isinstance(step, Asset):
                return Intent(step)
            if isinstance(step, tuple) and (found := self._redirect(step[0], step[1], skip)) is not None:
                return found
        return None

    def _auto(self, path: str, exact: Asset | None, skip: bool) -> Intent | None:
        r = self._first
        found: Intent | None = None
        if path.endswith("/index"):
            found = r(skip, (f"{path}.html", path[: -len("index")]), (f"{path[:-6]}.html", path[:-6]))
        elif path.endswith("/index.html"):
            found = r(skip, (path, path[: -len("index.html")]), (f"{path[:-11]}.html", path[:-11]))
        elif path.endswith("/"):
            found = r(skip, f"{path}index.html", (f"{path[:-1]}.html", path[:-1]))
        elif path.endswith(".html"):
            found = r(skip, (path, path[:-5]), (f"{path[:-5]}/index.html", f"{path[:-5]}/"))
        return found or r(skip, exact, f"{path}.html", (f"{path}/index.html", f"{path}/"))

    def _force(self, path: str, exact: Asset | None, skip: bool) -> Intent | None:
        r = self._first
        found: Intent | None = None
        if path.endswith("/index"):
            found = r(skip, (f"{path}.html", path[:-5]), (f"{path[:-6]}.html", path[:-5]))
        elif path.endswith("/index.html"):
            found = r(skip, (path, path[:-10]), (f"{path[:-11]}.html", path[:-10]))
        elif path.endswith("/"):
            found = r(skip, f"{path}index.html", f"{path[:-1]}.html")
        elif path.endswith(".html"):
            found = r(skip, (path, f"{path[:-5]}/"), exact, (f"{path[:-5]}/index.html", f"{path[:-5]}/"))
        return found or r(skip, exact, (f"{path}.html", f"{path}/"), (f"{path}/index.html", f"{path}/"))

    def _drop(self, path: str, exact: Asset | None, skip: bool) -> Intent | None:
        r = self._first
        found: Intent | None = None
        if path.endswith("/index"):
            if path == "/index":
                found = r(skip, ("/index.html", "/"))
            else:
                found = r(skip, (f"{path[:-6]}.html", path[:-6]), (f"{path}.html", path[:-6]))
        elif path.endswith("/index.html"):
            if path == "/index.html":
                found = r(skip, ("/index.html", "/"))
            else:
                found = r(skip, (path, path[:-11]), exact, (f"{path[:-11]}.html", path[:-11]))
        elif path.endswith("/"):
            if path == "/":
                found = r(skip, "/index.html")
            else:
                found = r(skip, (f"{path[:-1]}.html", path[:-1]), (f"{path[:-1]}/index.html", path[:-1]))
        elif path.endswith(".html"):
            found = r(skip, (path, path[:-5]), (f"{path[:-5]}/index.html", path[:-5]))
        return found or r(skip, exact, f"{path}.html", f"{path}/index.html")

    def not_found(self, path: str) -> Intent | None:
        if self.not_found_handling == "single-page-application":
            index = self.exists("/index.html")
            return None if index is None else Intent(index, not_found=True)
        if self.not_found_handling == "404-page":
            directory = path
            while directory:
                directory = directory[: directory.rfind("/")]
                page = self.exists(f"{directory}/404.html")
                if page is not None:
                    return Intent(page, 404, not_found=True)
        return None
