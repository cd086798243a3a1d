"""A worker's ``pyproject.toml`` dependencies, checked against the environment pyworker runs in.

On Cloudflare, ``pywrangler sync`` installs ``[project] dependencies`` into the worker's
bundle. pyworker runs worker code in its own Python environment, so each requirement
missing there (or installed at a version it excludes) gets one line naming the worker, the
requirement and the command that installs it here. The worker is still loaded: if its
import then fails, the load error ends with the same advice.
"""

from __future__ import annotations

import importlib.util
import shlex
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

from pyworker.config.files import display_path
from pyworker.config.model import WorkerConfig

# Distributions whose modules pyworker itself provides to worker code (workers, asgi, js, pyodide).
PROVIDED = frozenset({"workers-runtime-sdk", "workers-py", "pyodide-py", "webtypy"})


@dataclass(frozen=True)
class Unmet:
    """One requirement of a worker's ``pyproject.toml`` that the running environment does not satisfy."""

    worker: str
    pyproject: Path
    requirement: str
    installed: str | None = None  # the version found, when it is the wrong one
    problem: str | None = None  # why the requirement could not be checked at all

    def sentence(self) -> str:
        where = display_path(self.pyproject)
        if self.problem is not None:
            return f"{where}: dependency {self.requirement!r} {self.problem}"
        found = "is not installed" if self.installed is None else f"is installed at {self.installed}"
        return (
            f'{where} requires "{self.requirement}", which {found} in the Python environment pyworker runs in: '
            f"run {install_command([self.requirement])}"
        )

    def line(self) -> str:
        """The start-up line: names the worker, the requirement and the install command."""
        return f'Worker "{self.worker}": {self.sentence()}'


def unmet_dependencies(config: WorkerConfig) -> list[Unmet]:
    """The requirements in the worker's ``pyproject.toml`` (next to its config) this environment lacks."""
    pyproject = config.directory / "pyproject.toml"
    try:
        data = tomllib.loads(pyproject.read_text())
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return [Unmet(config.name, pyproject, "(all)", problem=f"could not be read: {exc}. Fix the file.")]
    project = data.get("project")
    dependencies = project.get("dependencies", []) if isinstance(project, dict) else []
    unmet = []
    for text in dependencies if isinstance(dependencies, list) else []:
        problem = _check(str(text))
        if problem is not None:
            unmet.append(Unmet(config.name, pyproject, str(text), *problem))
    return unmet


def _check(text: str) -> tuple[str | None, str | None] | None:
    """``None`` when ``text`` is satisfied here, else ``(installed version, problem)``."""
    import importlib.metadata  # here: only a worker with requirements pays for these imports at start-up

    from packaging.requirements import InvalidRequirement, Requirement

    try:
        requirement = Requirement(text)
    except InvalidRequirement as exc:
        reason = str(exc).splitlines()[0].rstrip(".")
        return None, f"is not a valid requirement ({reason}). Fix it in pyproject.toml."
    if requirement.marker is not None and not requirement.marker.evaluate():
        return None
    if requirement.name.lower().replace("_", "-") in PROVIDED:
        return None
    try:
        version = importlib.metadata.version(requirement.name)
    except importlib.metadata.PackageNotFoundError:
        return None, None
    if requirement.specifier and not requirement.specifier.contains(version, prereleases=True):
        return version, None
    return None


def install_command(requirements: list[str]) -> str:
    """The command that installs ``requirements`` into the environment running pyworker."""
    quoted = " ".join(shlex.quote(requirement) for requirement in requirements)
    python = shlex.quote(sys.executable)
    import shutil  # here: shutil imports the archive modules (lzma...) that start-up does not need

    if importlib.util.find_spec("pip") is None and shutil.which("uv") is not None:
        return f"uv pip install --python {python} {quoted}"
    return f"{python} -m pip install {quoted}"


def load_advice(unmet: list[Unmet]) -> str:
    """What a failed import's message ends with when the worker's dependencies are not all installed."""
    missing = [item for item in unmet if item.problem is None]
    if not missing:
        return ""
    names = ", ".join(f'"{item.requirement}"' for item in missing)
    return (
        f". {display_path(missing[0].pyproject)} requires {names}, not satisfied in the Python environment "
        f"pyworker runs in: run {install_command([item.requirement for item in missing])}"
    )
