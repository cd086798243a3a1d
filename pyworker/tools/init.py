"""``pyworker init DIR --template NAME``: write a new project that ``pyworker dev DIR`` serves at once.

Templates are package data (``templates/<name>/``): files ending ``.py-tpl`` become ``.py``
(so the package's own tools never read them as modules), ``__module__`` is the project's
Python package name, and ``{{name}}``, ``{{module}}``, ``{{date}}``, ``{{secret_key}}`` are
filled in. Nothing is ever overwritten: DIR must be new or empty.
"""

from __future__ import annotations

import datetime
import re
import secrets
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from pyworker.config.files import display_path
from pyworker.errors import CommandError
from pyworker.printer import Printer

TEMPLATES = ("hello", "fastapi", "rpc-pair", "django")
_VALID_NAME = re.compile(r"[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?")
GITIGNORE = ".wrangler/\n.dev.vars*\n__pycache__/\n.venv/\n"

_NEXT_STEPS = {
    "rpc-pair": "{dir}/gateway answers on http://127.0.0.1:8787 and calls {dir}/backend over RPC.",
    "django": "Django answers on http://127.0.0.1:8787 (pip install django if it is not installed).",
    "fastapi": "FastAPI answers on http://127.0.0.1:8787 (pip install fastapi if it is not installed).",
    "hello": "It answers on http://127.0.0.1:8787.",
}


@dataclass(frozen=True)
class InitOptions:
    """What ``pyworker init`` was asked: the directory, the template, the worker's name (default: DIR's)."""

    directory: Path
    template: str = "hello"
    name: str | None = None


def worker_name(options: InitOptions) -> str:
    """``--name``, else DIR's name made a valid worker name (lowercase letters, digits, ``-`` and ``_``)."""
    if options.name is not None:
        if not _VALID_NAME.fullmatch(options.name):
            raise CommandError(
                f'--name "{options.name}" is not a valid worker name: use 1 to 63 lowercase letters, digits, '
                '"-" or "_", starting and ending with a letter or digit.'
            )
        return options.name
    derived = re.sub(r"[^a-z0-9_-]+", "-", options.directory.resolve().name.lower()).strip("-_")[:63].strip("-_")
    if not _VALID_NAME.fullmatch(derived):
        raise CommandError(
            f'Cannot make a worker name from the directory name "{options.directory.resolve().name}"; '
            "pass one with --name."
        )
    return derived


def create(options: InitOptions, printer: Printer) -> list[Path]:
    """Write the project; returns the files written, in order."""
    if options.template not in TEMPLATES:
        raise CommandError(f'There is no template "{options.template}"; choose one of {", ".join(TEMPLATES)}.')
    target = options.directory
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise CommandError(
            f"{display_path(target)} already exists and is not an empty directory: pyworker init never "
            "overwrites files. Choose a new directory."
        )
    name = worker_name(options)
    values = {
        "name": name,
        "module": re.sub(r"\W", "_", name).lstrip("0123456789_") or "project",
        "date": datetime.date.today().isoformat(),
        "secret_key": secrets.token_urlsafe(40),
    }
    written: list[Path] = []
    source = resources.files("pyworker.tools").joinpath("templates", options.template)
    for relative, template in sorted(_walk(source, "")):
        path = target / relative.replace("__module__", values["module"]).removesuffix("-tpl")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_fill(template.read_text(encoding="utf-8"), values), encoding="utf-8")
        written.append(path)
    (target / ".gitignore").write_text(GITIGNORE, encoding="utf-8")
    written.append(target / ".gitignore")
    shown = display_path(target)
    printer.write(f'Created {shown} from the "{options.template}" template (worker "{name}"):')
    for path in written:
        printer.write(f"  {display_path(path)}")
    printer.write(f"Next: pyworker dev {shown}   {_NEXT_STEPS[options.template].format(dir=shown)}")
    printer.write(f"Test: cd {shown} && python -m pytest")
    return written


def _walk(folder: Traversable, prefix: str) -> list[tuple[str, Traversable]]:
    found: list[tuple[str, Traversable]] = []
    for item in folder.iterdir():
        if item.name == "__pycache__":
            continue
        relative = f"{prefix}{item.name}"
        if item.is_dir():
            found += _walk(item, f"{relative}/")
        else:
            found.append((relative, item))
    return found


def _fill(text: str, values: dict[str, str]) -> str:
    return re.sub(r"\{\{(\w+)\}\}", lambda m: values.get(m.group(1), m.group(0)), text)
