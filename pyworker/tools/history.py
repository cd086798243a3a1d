"""A worker's tree as it was at a git revision, read with ``git`` itself into a temporary directory."""

from __future__ import annotations

import contextlib
import io
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path

from pyworker.config.files import display_path
from pyworker.errors import CommandError


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except OSError as exc:
        raise CommandError(f"--since needs git, which could not be run: {exc}.") from exc


def repository(directory: Path) -> Path:
    """The top of the git work tree holding ``directory``."""
    done = _git(directory, "rev-parse", "--show-toplevel")
    if done.returncode != 0:
        raise CommandError(f"--since needs a git repository, and {display_path(directory)} is not in one.")
    return Path(done.stdout.decode().strip()).resolve()


def verify(top: Path, ref: str) -> str:
    """``ref`` as a commit id; an unknown revision is an error naming it."""
    done = _git(top, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if done.returncode != 0 or ref.startswith("-"):
        raise CommandError(
            f'--since {ref}: no commit "{ref}" in the git repository at {display_path(top)}; '
            "give a branch, a tag or a commit id."
        )
    return done.stdout.decode().strip()


def changed(top: Path, commit: str, relative: str) -> bool:
    """Whether anything under ``relative`` differs from ``commit``: edits, deletions or new untracked files."""
    if _git(top, "diff", "--quiet", commit, "--", relative).returncode != 0:
        return True
    untracked = _git(top, "ls-files", "--others", "--exclude-standard", "--", relative)
    return bool(untracked.stdout.strip())


@contextlib.contextmanager
def checkout(top: Path, commit: str, relative: str) -> Iterator[Path | None]:
    """``relative`` as it was at ``commit``, in a temporary directory (``None`` if it did not exist then)."""
    if _git(top, "cat-file", "-e", f"{commit}:{relative}").returncode != 0:  # "commit:" is its whole tree
        yield None
        return
    archive = _git(top, "archive", "--format=tar", commit, "--", relative or ".")
    if archive.returncode != 0:
        raise CommandError(f"git archive {commit} -- {relative} failed: {archive.stderr.decode().strip()}")
    with tempfile.TemporaryDirectory(prefix="pyworker-since-") as tmp:
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(tmp, filter="data")
        yield Path(tmp) / relative
