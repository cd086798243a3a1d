"""The printer: prefixes, levels, and batching of terminal writes."""

from __future__ import annotations

import io

import pytest

from pyworker.printer import Printer


class CountingStream(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)


def test_request_lines_name_the_worker_and_filter_by_level():
    stream = io.StringIO()
    Printer(stream, colour=False).request("a", "GET", "/x", 200, "OK", 1.4)
    Printer(stream, level="warn", colour=False).request("a", "GET", "/y", 200, "OK", 1.4)
    assert stream.getvalue() == "[a] GET /x 200 OK (1ms)\n"


def test_without_a_loop_batched_lines_go_out_at_once():
    stream = CountingStream()
    printer = Printer(stream, colour=False, batch=True)
    printer.write("one")
    assert stream.getvalue() == "one\n"


class _LoopTurn:
    """Awaiting this hands control to the event loop for exactly one turn."""

    def __await__(self):
        yield


@pytest.mark.anyio
async def test_lines_of_one_loop_turn_are_written_together():
    stream = CountingStream()
    printer = Printer(stream, colour=False, batch=True)
    printer.write("one")
    printer.worker("w", "two\nthree")
    assert stream.getvalue() == ""
    await _LoopTurn()
    assert stream.getvalue() == "one\n[w] two\n[w] three\n"
    assert stream.writes == 1
    printer.write("four")
    printer.drain()  # what the CLI does before exiting
    assert stream.getvalue().endswith("four\n")
