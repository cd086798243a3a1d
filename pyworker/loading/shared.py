"""What workers in one ``pyworker dev`` process still share, and the start-up line when that matters.

On Cloudflare each worker has an isolate of its own. Here each worker generation has its
own modules (:mod:`pyworker.loading.router`) and its own view of ``os.environ``
(:mod:`pyworker.loading.environ`), but everything else in the process is shared:
installed packages are imported once, so their module-level state is one for all workers
(Django's settings, app registry and URL resolver cache, ``logging``'s loggers and
handlers, ``sys.modules`` entries of the standard library and of pyworker's own
dependencies, the current directory, the process's real environment as subprocesses see it).

Two Django projects in one process cannot both configure Django: whichever worker's code
touches ``django.conf.settings`` first sets it up for all. :func:`shared_state_conflicts`
finds loaded workers that need such a singleton differently, for one warning line each that
says the line to add to a worker's config to give it a process of its own
(:mod:`pyworker.interop.children`), where it has a Django of its own.
When a worker that configured one is reloaded, :func:`forget_shared_state` resets it first
(Django: its settings, URL resolver cache and template engines), so the new code is what
serves; models Django registered stay registered, as they would in one process.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Protocol

from pyworker.config.files import display_path
from pyworker.loading.router import ImportRouter


def _reset_django() -> None:
    conf, functional = sys.modules.get("django.conf"), sys.modules.get("django.utils.functional")
    if conf is not None and functional is not None:
        conf.settings._wrapped = functional.empty
    urls = sys.modules.get("django.urls")
    if urls is not None:
        urls.clear_url_caches()
    template = sys.modules.get("django.template")
    if template is not None:
        template.engines.__dict__.pop("templates", None)
        template.engines._engines = {}


# Environment variables that configure a process-wide singleton of a library:
# (name, what it configures, how to make it read its configuration again).
SINGLETONS: tuple[tuple[str, str, Callable[[], None]], ...] = (
    ("DJANGO_SETTINGS_MODULE", "Django's settings", _reset_django),
)


class Loaded(Protocol):
    """A loaded worker generation (:class:`~pyworker.loading.modules.WorkerModules`)."""

    worker: str
    environ: dict[str, str | None]

    def owns(self, head: str) -> bool: ...


def shared_state_conflicts(generations: Sequence[Loaded], config_files: Mapping[str, Path]) -> list[str]:
    """One line per singleton that two or more of ``generations`` configure differently, naming them all
    and the line that gives all but the first (by name) a process of its own, in its ``config_files`` entry."""
    lines = []
    for variable, what, _ in SINGLETONS:
        needs: dict[str, tuple[str, str]] = {}
        for generation in generations:
            value = generation.environ[variable] if variable in generation.environ else os.environ.get(variable)
            if value:
                own = generation.owns(value.partition(".")[0])
                origin = f"its own {value.partition('.')[0]}" if own else "the installed packages"
                needs[generation.worker] = (value, origin)
        if len(set(needs.values())) > 1:
            workers = sorted(needs)
            uses = "; ".join(f'"{name}" sets {variable}="{needs[name][0]}" from {needs[name][1]}' for name in workers)
            moved = workers[1:]
            where = _and([own_process_line(config_files[name]) for name in moved if name in config_files])
            whom = "a process of its own" if len(moved) == 1 else "processes of their own"
            lines.append(
                f"Workers {_quoted(workers)} need {what} differently ({uses}), but one process has one: "
                f"add {where} to run {_quoted(moved)} in {whom}."
            )
    return lines


def own_process_line(config_file: Path) -> str:
    """``[dev] process = "own" to shop/wrangler.toml`` (in JSON: ``"dev": {"process": "own"} to ...``)."""
    line = '[dev] process = "own"' if config_file.suffix == ".toml" else '"dev": {"process": "own"}'
    return f"{line} to {display_path(config_file)}"


def _quoted(names: Sequence[str]) -> str:
    return _and([f'"{name}"' for name in names])


def _and(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def forget_shared_state(worker: str) -> None:
    """Before ``worker``'s code is imported again: reset the singletons its loaded code configured."""
    router = next((finder for finder in sys.meta_path if isinstance(finder, ImportRouter)), None)
    loaded = [g for g in list(router.generations.values()) if g.worker == worker] if router is not None else []
    for variable, _, reset in SINGLETONS:
        if any(variable in getattr(generation, "environ", {}) for generation in loaded) or os.environ.get(variable):
            reset()
