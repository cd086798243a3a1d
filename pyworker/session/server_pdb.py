"""The dev server's pdb (:mod:`pyworker.session.debugger`), in a module of its own: pdb is imported
only when worker code reaches ``breakpoint()``, not at start-up (it pulls ``cmd``, ``code``, ``glob``...)."""

from __future__ import annotations

import pdb
from collections.abc import Callable
from typing import TextIO


class ServerPdb(pdb.Pdb):
    """pdb with no SIGINT handler of its own, that tells when its session ends."""

    def __init__(self, ended: Callable[[], None], stdin: TextIO, stdout: TextIO) -> None:
        super().__init__(stdin=stdin, stdout=stdout, nosigint=True)
        self._ended = ended

    def set_continue(self) -> None:
        super().set_continue()
        self._ended()

    def set_quit(self) -> None:
        super().set_quit()
        self._ended()
