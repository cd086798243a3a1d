"""``_headers`` and ``_redirects``: parsed and matched as Cloudflare's asset worker does.

A rule's path may hold one ``*`` (captured as ``:splat``) and ``:name`` placeholders (one
segment each); a rule starting ``https://`` matches the host too. Invalid lines are skipped,
each with Cloudflare's message, which the caller prints.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

MAX_LINE_LENGTH = 2000
MAX_HEADER_RULES = 100
MAX_STATIC_REDIRECTS = 2000
MAX_DYNAMIC_REDIRECTS = 100
STATUSES = frozenset({200, 301, 302, 303, 307, 308})
_PLACEHOLDER = re.compile(r":([A-Za-z]\w*)")
_PATH_LIKE = re.compile(r"^([^\s]+://|/)")
_HAS_HOST = re.compile(r"^\w+://")


def rule_regex(rule: str) -> re.Pattern[str] | None:
    """``/blog/:slug/*`` as a regex with named groups ``slug`` and ``splat``; ``None`` if it cannot be one."""
    text = "(?P<splat>.*)".join(re.escape(part) for part in rule.split("*"))
    if rule.startswith("https://"):
        cut = text.find("/", len("https://"))
        host, path = (text, "") if cut == -1 else (text[:cut], text[cut:])
        text = _PLACEHOLDER.sub(r"(?P<\1>[^/.]+)", host) + path
    text = _PLACEHOLDER.sub(r"(?P<\1>[^/]+)", text)
    try:
        return re.compile(f"^{text}$")
    except re.error:  # two wildcards, or a placeholder used twice
        return None


def replace(text: str, groups: dict[str, str]) -> str:
    for name, value in groups.items():
        text = text.replace(f":{name}", value or "")
    return text


@dataclass(frozen=True)
class Rule:
    """One compiled rule: what it matches (the path, or ``https://host/path`` when ``cross_host``)."""

    regex: re.Pattern[str]
    cross_host: bool

    def match(self, host: str, path: str) -> dict[str, str] | None:
        found = self.regex.match(f"https://{host}{path}" if self.cross_host else path)
        return None if found is None else {k: v or "" for k, v in found.groupdict().items()}


def _compile(path: str) -> Rule | None:
    regex = rule_regex(path)
    return None if regex is None else Rule(regex, path.startswith("https://"))


@dataclass
class HeaderRule:
    rule: Rule
    set: dict[str, str] = field(default_factory=dict)
    unset: list[str] = field(default_factory=list)


@dataclass
class Redirect:
    to: str
    status: int
    rule: Rule | None = None  # None: a static rule, matched by exact path


@dataclass
class Parsed:
    """What a rules file gave: its rules and one message per line skipped."""

    headers: list[HeaderRule] = field(default_factory=list)
    static: dict[str, Redirect] = field(default_factory=dict)
    dynamic: list[Redirect] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)


def _skip(parsed: Parsed, number: int, line: str, message: str) -> None:
    parsed.invalid.append(f"{message} (line {number}: {line})")


def _rule_lines(lines: list[str], parsed: Parsed) -> Iterator[tuple[int, str]]:
    """``(line number, line)`` of each line that may be a rule: not blank, not a comment, not too long."""
    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if len(line) > MAX_LINE_LENGTH:
            parsed.invalid.append(_too_long(number))
            continue
        yield number, line


def parse_headers(text: str) -> Parsed:
    parsed = Parsed()
    current: tuple[str, HeaderRule | None] | None = None
    lines = text.split("\n")
    for number, line in _rule_lines(lines, parsed):
        if _PATH_LIKE.match(line):
            if len(parsed.headers) >= MAX_HEADER_RULES:
                parsed.invalid.append(
                    f"Maximum number of rules supported is {MAX_HEADER_RULES}. "
                    f"Skipping remaining {len(lines) - number + 1} lines of file."
                )
                break
            if line.count("*") > 1:
                _skip(
                    parsed,
                    number,
                    line,
                    "Only one wildcard is allowed per rule. Use a named placeholder (e.g. :project) instead. "
                    f"Skipping {line}.",
                )
                current = (line, None)
                continue
            rule = _compile(line)
            current = (line, None if rule is None else HeaderRule(rule))
            if rule is not None:
                parsed.headers.append(current[1])  # type: ignore[arg-type]
            continue
        if current is None:
            _skip(parsed, number, line, "Expected a path beginning with at least one forward-slash")
            continue
        target = current[1]
        if target is None:
            continue
        if ":" not in line:
            if line.startswith("! "):
                target.unset.append(line[2:].strip())
            else:
                _skip(parsed, number, line, "Expected a colon-separated header pair (e.g. name: value)")
            continue
        name, _, value = line.partition(":")
        name, value = name.strip().lower(), value.strip()
        if " " in name or not name or not value:
            problem = (
                "Header name cannot include spaces"
                if " " in name
                else "No header name specified"
                if not name
                else "No header value specified"
            )
            _skip(parsed, number, line, problem)
            continue
        target.set[name] = f"{target.set[name]}, {value}" if name in target.set else value
    parsed.headers = [rule for rule in parsed.headers if rule.set or rule.unset]
    return parsed


_URLS = "URLs should either be relative (e.g. begin with a forward-slash), or use HTTPS (e.g. begin with https://)."
_LOOP = (
    "Infinite loop detected in this rule and has been ignored. This will cause a redirect to strip `.html` or "
    "`/index` and end up triggering this rule again. Please fix or remove this rule to silence this warning."
)


def _too_long(number: int) -> str:
    return f"Ignoring line {number} as it exceeds the maximum allowed length of {MAX_LINE_LENGTH}."


def _redirect_line(line: str, html_handling: str) -> tuple[str, str, int] | str:
    """``(from, to, status)`` of one ``_redirects`` line, or why Cloudflare skips it."""
    tokens = re.sub(r"\s+#.*$", "", line).split()
    if not 2 <= len(tokens) <= 3:
        return f"Expected exactly 2 or 3 whitespace-separated tokens. Got {len(tokens)}."
    source, to, status_text = tokens[0], tokens[1], tokens[2] if len(tokens) == 3 else "302"
    if not (source.startswith("/") or source.startswith("https://")) or not (to.startswith("/") or _HAS_HOST.match(to)):
        return _URLS
    status = int(status_text) if status_text.isdigit() else 0
    if status not in STATUSES:
        return f"Valid status codes are 200, 301, 302 (default), 303, 307, or 308. Got {status_text}."
    relative = not _HAS_HOST.match(to)
    to_index = re.search(r"/index(\.html)?$", to) is not None
    if relative and to_index and (source.endswith("/*") or (source.endswith("/") and html_handling != "none")):
        return _LOOP
    if status == 200 and not relative:
        return f"Proxy (200) redirects can only point to relative paths. Got {to}"
    return source, to, status


def parse_redirects(text: str, html_handling: str) -> Parsed:
    parsed = Parsed()
    seen: set[str] = set()
    static_allowed = True
    lines = text.split("\n")
    for number, line in _rule_lines(lines, parsed):
        found = _redirect_line(line, html_handling)
        if isinstance(found, str) or found[0] in seen:
            message = found if isinstance(found, str) else f"Ignoring duplicate rule for path {found[0]}."
            _skip(parsed, number, line, message)
            continue
        source, to, status = found
        seen.add(source)
        if static_allowed and "*" not in source and _PLACEHOLDER.search(source) is None:
            if len(parsed.static) >= MAX_STATIC_REDIRECTS:
                parsed.invalid.append(
                    f"Maximum number of static rules supported is {MAX_STATIC_REDIRECTS}. Skipping line."
                )
                continue
            parsed.static[source] = Redirect(to, status)
            continue
        static_allowed = False
        if len(parsed.dynamic) >= MAX_DYNAMIC_REDIRECTS:
            parsed.invalid.append(
                f"Maximum number of dynamic rules supported is {MAX_DYNAMIC_REDIRECTS}. "
                f"Skipping remaining {len(lines) - number + 1} lines of file."
            )
            break
        rule = _compile(source)
        if rule is not None:
            parsed.dynamic.append(Redirect(to, status, rule))
    return parsed


def find_redirect(parsed: Parsed, host: str, path: str) -> tuple[str, int] | None:
    """``(destination, status)`` of the first redirect matching ``path``, placeholders filled in."""
    static = parsed.static.get(f"https://{host}{path}") or parsed.static.get(path)
    if static is not None:
        return static.to, static.status
    for redirect in parsed.dynamic:
        assert redirect.rule is not None
        groups = redirect.rule.match(host, path)
        if groups is not None:
            target = replace(redirect.to, groups).strip()
            return (target if _HAS_HOST.match(target) else re.sub("/+", "/", target)), redirect.status
    return None
