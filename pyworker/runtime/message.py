"""``request.headers`` / ``response.headers`` as the SDK returns them: a fresh ``http.client.HTTPMessage``.

The SDK's ``_js_headers_to_http_message`` copies the JavaScript ``Headers`` into an
``HTTPMessageMapping`` on every access, so ``resp.headers["X"] = "1"`` changes a copy that is
never sent. pyworker does the same, and the first time a worker assigns into such a copy it
prints one hint naming the line (through the printer, under the worker's prefix).
"""

from __future__ import annotations

import http.client
import sys
from collections.abc import Mapping
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from pyworker.runtime.scope import current_worker

if TYPE_CHECKING:
    from pyworker.runtime.headers import Headers

_PACKAGE_DIR = str(Path(__file__).resolve().parent.parent)
_STDLIB_EMAIL = str(Path(http.client.__file__).resolve().parent.parent / "email")


class HTTPMessageMapping(http.client.HTTPMessage, Mapping[str, str]):  # type: ignore[misc]
    """The SDK's ``workers.utils.HTTPMessageMapping``: an ``HTTPMessage`` that is also a ``Mapping``.

    A copy pyworker made of a request's or response's headers remembers whose they are, so
    that changing it can print the hint (the change itself stays on the copy, as on Cloudflare).
    """

    def __setitem__(self, name: str, value: Any) -> None:
        _hint(self, f"{name!r}")
        super().__setitem__(name, value)

    def __delitem__(self, name: str) -> None:
        _hint(self, f"{name!r}")
        super().__delitem__(name)

    def add_header(self, _name: str, _value: str, **_params: Any) -> None:
        _hint(self, f"{_name!r}")
        super().add_header(_name, _value, **_params)

    def replace_header(self, _name: str, _value: str) -> None:
        _hint(self, f"{_name!r}")
        super().replace_header(_name, _value)


def message_of(headers: Headers, owner: str) -> HTTPMessageMapping:
    """A new ``HTTPMessageMapping`` with ``headers``' entries, as the SDK builds it (values stripped).

    ``owner`` (``"Response"`` or ``"Request"``) is named by the hint if worker code changes the copy.
    """
    result = HTTPMessageMapping.__new__(HTTPMessageMapping)
    state = result.__dict__
    state.update(_FRESH)  # what HTTPMessage's __init__ sets, without running it: this runs on every read
    for name in _FRESH_LISTS:
        state[name] = []
    # What ``result[key] = value`` stores under HTTPMessage's compat32 policy, without its per-call overhead.
    state["_headers"] = [(key, value.strip()) for key, value in headers.entries()]
    state["_pyworker_owner"] = owner
    return result


# The state of a new HTTPMessageMapping, as this Python's email package makes it; each list is made anew.
_FRESH = dict(vars(HTTPMessageMapping()))
_FRESH_LISTS = tuple(name for name, value in _FRESH.items() if isinstance(value, list))


def _hint(message: HTTPMessageMapping, name: str) -> None:
    owner = message.__dict__.get("_pyworker_owner")
    scope = current_worker.get()
    if owner is None or scope is None or scope.printer is None:
        return
    root = getattr(scope.namespace, "root", None)
    where = _users_line(sys._getframe(2), root.parent if isinstance(root, Path) else None)
    scope.printer.hint(
        scope.name,
        ("headers-copy",),
        f"hint: {where}changes the headers of a {owner} after it was made ({name}); {owner.lower()}.headers is a "
        f"copy made on each access, so the change is not sent, as on Cloudflare. Give headers to the constructor, "
        f"{owner}(..., headers={{...}}), or change the {owner.lower()}'s own: "
        f"{owner.lower()}.js_object.headers.set(name, value).",
    )


def _users_line(frame: FrameType | None, base: Path | None) -> str:
    """``src/entry.py:12: `` for the first frame outside pyworker and the email package, if any."""
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith((_PACKAGE_DIR, _STDLIB_EMAIL)):
            return f"{_shown_path(filename, base)}:{frame.f_lineno}: "
        frame = frame.f_back
    return ""


def _shown_path(filename: str, base: Path | None) -> str:
    """The file as the user knows it: from the current directory, else from the worker's directory."""
    path = Path(filename).resolve()
    for start in (Path.cwd(), base):
        if start is not None and path.is_relative_to(start.resolve()):
            return path.relative_to(start.resolve()).as_posix()
    return filename
