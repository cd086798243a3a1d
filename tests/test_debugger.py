"""--debugpy: a listener on loopback when debugpy is installed, how to install it when not; the d key's text."""

from __future__ import annotations

import sys
import types

from pyworker.printer import Printer
from pyworker.session.debugger import debugger_help, start_debugpy


def test_debugpy_listens_on_loopback_and_says_how_to_attach(monkeypatch, output):
    calls = []
    fake = types.ModuleType("debugpy")
    fake.listen = lambda address: calls.append(address)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "debugpy", fake)
    line = start_debugpy(5678, Printer(output, colour=False))
    assert calls == [("127.0.0.1", 5678)]
    expected = (
        'debugpy listens on 127.0.0.1:5678: in VS Code, run the debug configuration "Python Debugger: Remote '
        'Attach" with host 127.0.0.1 and port 5678 (breakpoints in worker code then stop there).'
    )
    assert output.lines() == [expected]
    assert line == expected
    assert debugger_help(line).split("\n") == [
        expected,
        "Put breakpoint() in worker code to stop there in pdb, in this terminal (c continues, q abandons the request).",
    ]


def test_without_debugpy_one_warning_says_how_to_install_it(monkeypatch, output):
    monkeypatch.setitem(sys.modules, "debugpy", None)  # import debugpy raises ImportError
    start_debugpy(5678, Printer(output, colour=False))
    assert output.lines() == [
        f"Warning: --debugpy: debugpy is not installed in {sys.prefix}. Install it with {sys.executable} -m pip "
        "install debugpy, then restart pyworker dev --debugpy."
    ]


def test_a_busy_debugpy_port_is_one_warning(monkeypatch, output):
    fake = types.ModuleType("debugpy")

    def listen(address):
        raise RuntimeError("Address already in use")

    fake.listen = listen  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "debugpy", fake)
    start_debugpy(5679, Printer(output, colour=False))
    assert output.lines() == [
        "Warning: --debugpy: cannot listen on 127.0.0.1:5679: Address already in use. "
        "Pick another port with --debugpy=PORT."
    ]
