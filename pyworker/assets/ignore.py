"""``.assetsignore``: gitignore patterns naming files of the assets directory never served.

As wrangler does, ``/.assetsignore``, ``/_redirects`` and ``/_headers`` are always ignored.
The usual gitignore rules apply: ``#`` comments, ``!`` re-includes, a trailing ``/`` matches
directories only, a pattern with a ``/`` inside is anchored at the directory, ``*``/``?``/``[...]``
stay within one path segment and ``**`` spans segments. A file inside an ignored directory
is ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ALWAYS = ("/.assetsignore", "/_redirects", "/_headers")


@dataclass(frozen=True)
class Pattern:
    regex: re.Pattern[str]
    negated: bool
    directory_only: bool


def _translate(body: str) -> str:
    out, i = [], 0
    while i < len(body):
        char = body[i]
        if body.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif body.startswith("/**", i) and i + 3 == len(body):
            out.append("/.*")
            i += 3
        elif body.startswith("**", i):
            out.append(".*")
            i += 2
        elif char == "*":
            out.append("[^/]*")
            i += 1
        elif char == "?":
            out.append("[^/]")
            i += 1
        elif char == "[" and (end := body.find("]", i + 2)) != -1:
            inner = body[i + 1 : end]
            inner = "^" + inner[1:] if inner[:1] == "!" else inner
            out.append("[" + inner.replace("\\", "\\\\") + "]")
            i = end + 1
        elif char == "\\" and i + 1 < len(body):
            out.append(re.escape(body[i + 1]))
            i += 2
        else:
            out.append(re.escape(char))
            i += 1
    return "".join(out)


def parse(lines: list[str]) -> list[Pattern]:
    """The patterns of a gitignore-style file; lines that are not patterns are skipped."""
    patterns = []
    for raw in lines:
        line = raw.rstrip("\r")
        if not line.endswith("\\ "):
            line = line.rstrip(" ")
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        if negated or line.startswith("\\!") or line.startswith("\\#"):
            line = line[1:]
        directory_only = line.endswith("/")
        line = line.rstrip("/")
        if not line:
            continue
        anchored = "/" in line
        body = _translate(line.lstrip("/"))
        prefix = "" if anchored else "(?:.*/)?"
        try:
            regex = re.compile(f"^{prefix}{body}$", re.DOTALL)
        except re.error:
            continue
        patterns.append(Pattern(regex, negated, directory_only))
    return patterns


class Ignore:
    """Whether a file of the assets directory (``a/b.txt``, relative, ``/``-separated) is ignored."""

    def __init__(self, text: str | None) -> None:
        self.patterns = parse(list(ALWAYS) + (text.split("\n") if text else []))

    def ignored(self, relative: str) -> bool:
        parts = relative.split("/")
        for depth in range(1, len(parts) + 1):
            prefix = "/".join(parts[:depth])
            is_directory = depth < len(parts)
            verdict = False
            for pattern in self.patterns:
                if pattern.directory_only and not is_directory:
                    continue
                if pattern.regex.match(prefix):
                    verdict = not pattern.negated
            if verdict:
                return True
        return False
