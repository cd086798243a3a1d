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


# -- the terminal cannot be forged ------------------------------------------------------------
def test_control_characters_in_a_request_line_print_escaped():
    stream = io.StringIO()
    Printer(stream, colour=False).request("a", "GET", "/x\n[b] GET /admin 200 OK\x1b]0;owned\x07\x00\x9b", 200, "OK", 1)
    assert stream.getvalue() == "[a] GET /x\\n[b] GET /admin 200 OK\\x1b]0;owned\\x07\\x00\\x9b 200 OK (1ms)\n"


def test_control_characters_in_worker_text_print_escaped_line_by_line():
    stream = io.StringIO()
    Printer(stream, colour=True).worker("a", "ValueError: \x1b[2J\x1b[31mred\nsecond\u202eline\ttab")
    assert stream.getvalue() == (
        "\x1b[36m[a]\x1b[0m ValueError: \\x1b[2J\\x1b[31mred\n\x1b[36m[a]\x1b[0m second\\u202eline\ttab\n"
    )


def test_an_exception_message_cannot_forge_lines():
    stream = io.StringIO()
    try:
        raise ValueError("\x1b]0;title\x07\rfake")
    except ValueError as exc:
        Printer(stream, colour=False).exception("a", exc)
    assert stream.getvalue().splitlines()[-1] == "[a] ValueError: \\x1b]0;title\\x07\\rfake"
    assert "\x1b" not in stream.getvalue() and "\x07" not in stream.getvalue()


def test_a_long_url_is_cut_in_the_request_line():
    stream = io.StringIO()
    Printer(stream, colour=False).request("a", "GET", "/" + "x" * 5000, 200, "OK", 1)
    line = stream.getvalue().rstrip("\n")
    assert line == "[a] GET /" + "x" * 199 + "... (5001 characters) 200 OK (1ms)"


def test_warnings_and_tables_escape_control_characters():
    stream = io.StringIO()
    printer = Printer(stream, colour=False)
    printer.warning("bad \x1b[31m")
    printer.table(["worker"], [["w\x1b[31m"]])
    assert stream.getvalue() == "Warning: bad \\x1b[31m\nworker\nw\\x1b[31m\n"


def test_on_a_terminal_prefixes_are_coloured_and_padded_to_the_longest_name():
    stream = io.StringIO()
    printer = Printer(stream, colour=True)
    printer.known(["a", "worker_b"])
    printer.worker("a", "one")
    printer.worker("worker_b", "two")
    assert stream.getvalue() == "\x1b[36m[a]\x1b[0m        one\n\x1b[33m[worker_b]\x1b[0m two\n"
    plain = io.StringIO()
    piped = Printer(plain, colour=False)
    piped.known(["a", "worker_b"])
    piped.worker("a", "one")
    assert plain.getvalue() == "[a] one\n"


def test_a_long_method_is_cut_in_the_request_line():
    stream = io.StringIO()
    Printer(stream, colour=False).request("a", "X" * 5000, "/", 400, "Bad Request", 1)
    line = stream.getvalue().rstrip("\n")
    assert line == "[a] " + "X" * 32 + "... (5000 characters) / 400 Bad Request (1ms)"
