from __future__ import annotations

import re
import socket
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import pyworker.serving.server as server_module
from pyworker import __version__
from pyworker.cli import main
from pyworker.errors import ConfigError
from pyworker.printer import Printer
from pyworker.serving.server import DevOptions, DevServer
from tests.test_config import BROKEN as BROKEN_CONFIGS
from tests.test_config import worker as write_config_worker

SEED = Path(__file__).resolve().parent.parent / "fixtures" / "seed"
MINIMAL_TOML = 'name = "w"\nmain = "src/entry.py"\n'


@pytest.fixture(autouse=True)
def never_serve(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real serving belongs to the e2e tests; if a case here ever got that far, fail instead of hanging."""

    async def serve(self: DevServer) -> None:
        raise AssertionError("test_cli.py must not start serving")

    monkeypatch.setattr(DevServer, "serve", serve)


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def worker(
    root: Path, directory: str, config: str, filename: str = "wrangler.toml", files: dict[str, str] | None = None
) -> Path:
    """Write ``<root>/<directory>`` with a config, an empty ``src/entry.py`` and any other ``files``."""
    path = root / directory
    for relative, text in {"src/entry.py": "", **(files or {})}.items():
        (path / relative).parent.mkdir(parents=True, exist_ok=True)
        (path / relative).write_text(textwrap.dedent(text))
    (path / filename).write_text(textwrap.dedent(config))
    return path


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def assert_one_error_line(result: Result, message: str) -> None:
    assert result.exit_code == 1, result.output
    assert result.stderr == f"Error: {message}\n"
    assert result.stdout == ""
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)


# -- version and help --------------------------------------------------------------------


@pytest.mark.parametrize("flag", ["--version", "-v"])
def test_version(flag: str) -> None:
    result = invoke(flag)
    assert result.exit_code == 0
    assert result.output == f"pyworker, version {__version__}\n"


def test_help_lists_the_dev_command() -> None:
    result = invoke("--help")
    assert result.exit_code == 0
    assert result.output.startswith("Usage: main [OPTIONS] COMMAND [ARGS]...\n")
    assert re.search(r"^  dev +Serve the workers in PATHS", result.output, re.MULTILINE)
    for command in ("check  Check workers as deployed together", "init   Write a new project that pyworker dev",
                    "types  Write a typed stub of each worker's env."):  # fmt: skip
        name, text = command.split(maxsplit=1)
        assert re.search(rf"^  {name} +{re.escape(text)}", result.output, re.MULTILINE)


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_dev_help_lists_the_options(flag: str) -> None:
    result = invoke("dev", flag)
    assert result.exit_code == 0
    assert result.output.startswith("Usage: main dev [OPTIONS] [PATHS]...\n")
    option_lines = [line.split()[0:3] for line in result.output.splitlines() if line.startswith("  -")]
    assert option_lines == [
        ["-c,", "--config", "PATH"],
        ["--port", "INTEGER", "RANGE"],
        ["--ip", "TEXT", "Address"],
        ["-e,", "--env", "TEXT"],
        ["--var", "KEY:VALUE", "Set"],
        ["--log-level", "[debug|info|log|warn|error|none]"],
        ["--request-timeout", "SECONDS", "How"],
        ["--reload", "/", "--no-reload"],
        ["--persist-to", "DIRECTORY", "Keep"],
        ["--workflow-sleep-scale", "FACTOR", "Multiply"],
        ["--cf", "FILE", "request.cf"],
        ["--crons", "Fire", "each"],
        ["--test-scheduled", "Accepted", "for"],
        ["--show-interactive-dev-session", "[true|false]"],
        ["--debugpy", "[PORT]", "Listen"],
        ["--local", "Run", "locally:"],
        ["--env-file", "FILE", "Read"],
        ["--own-process", "NAME", "Run"],
        ["--http", "[auto|httptools|h11]", "The"],
        ["--loop", "[auto|uvloop|asyncio]", "The"],
        ["--live-reload", "HTML", "responses"],
        ["-h,", "--help", "Show"],
    ]


# -- usage errors (click's own, exit code 2) -----------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--var", "NOCOLON"],
            "Error: Invalid value for '--var': \"NOCOLON\" is not KEY:VALUE, e.g. --var API_HOST:example.com",
        ),
        (
            ["--var", ":value"],
            "Error: Invalid value for '--var': \":value\" is not KEY:VALUE, e.g. --var API_HOST:example.com",
        ),
        (["--port", "70000"], "Error: Invalid value for '--port': 70000 is not in the range 0<=x<=65535."),
        (
            ["--log-level", "loud"],
            "Error: Invalid value for '--log-level': 'loud' is not one of "
            "'debug', 'info', 'log', 'warn', 'error', 'none'.",
        ),
    ],
)
def test_usage_errors_exit_2(root: Path, args: list[str], message: str) -> None:
    result = invoke("dev", *args)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == message
    assert result.stdout == ""


# -- what the options build (run is replaced: no server) -----------------------------------


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> list[DevOptions]:
    calls: list[DevOptions] = []

    def run(options: DevOptions, printer: Printer) -> None:
        calls.append(options)

    monkeypatch.setattr(server_module, "run", run)
    return calls


def test_options_build_dev_options(captured: list[DevOptions], test_registry: Path) -> None:
    result = invoke(
        "dev",
        "a",
        "b",
        "-c",
        "c/wrangler.json",
        "--config",
        "d.toml",
        "--port",
        "9000",
        "--ip",
        "0.0.0.0",
        "-e",
        "staging",
        "--var",
        "A:1",
        "--var",
        "URL:http://x:80/y",
        "--var",
        "EMPTY:",
        "--var",
        "A:2",
        "--log-level",
        "debug",
        "--no-reload",
    )
    assert result.exit_code == 0, result.output
    assert result.output == ""
    assert captured == [
        DevOptions(
            paths=[Path("a"), Path("b"), Path("c/wrangler.json"), Path("d.toml")],
            port=9000,
            ip="0.0.0.0",
            env="staging",
            vars={"A": "2", "URL": "http://x:80/y", "EMPTY": ""},
            log_level="debug",
            reload=False,
            registry=test_registry,
        )
    ]


def test_defaults_serve_the_current_directory(captured: list[DevOptions], test_registry: Path) -> None:
    result = invoke("dev")
    assert result.exit_code == 0, result.output
    assert captured == [
        DevOptions(
            paths=[Path(".")],
            port=None,
            ip=None,
            env=None,
            vars={},
            log_level="info",
            reload=True,
            registry=test_registry,
        )
    ]


def test_an_empty_registry_variable_turns_the_registry_off(
    captured: list[DevOptions], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WRANGLER_REGISTRY_PATH", "")
    result = invoke("dev")
    assert result.exit_code == 0, result.output
    assert captured[0].registry is None


def test_ctrl_c_before_serving_exits_cleanly(monkeypatch: pytest.MonkeyPatch) -> None:
    def run(options: DevOptions, printer: Printer) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(server_module, "run", run)
    result = invoke("dev")
    assert (result.exit_code, result.output) == (0, "")


def test_pyworker_errors_from_run_become_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    def run(options: DevOptions, printer: Printer) -> None:
        raise ConfigError("something is wrong.") from OSError("cause")

    monkeypatch.setattr(server_module, "run", run)
    assert_one_error_line(invoke("dev"), "something is wrong.")


# -- broken configs: exit 1, one "Error: " line ---------------------------------------------


# Every broken config test_config.py checks must also end `pyworker dev` with that one line.
@pytest.mark.parametrize(("filename", "text", "message"), BROKEN_CONFIGS)
def test_broken_config(root: Path, filename: str, text: str, message: str) -> None:
    write_config_worker(root, text, filename, files={"src/index.js": ""})
    assert_one_error_line(invoke("dev", "w"), message)


@pytest.mark.parametrize(("filename", "text", "message"), BROKEN_CONFIGS[:2])
def test_broken_config_given_with_c(root: Path, filename: str, text: str, message: str) -> None:
    write_config_worker(root, text, filename)
    assert_one_error_line(invoke("dev", "-c", f"w/{filename}"), message)


def test_bad_dev_vars(root: Path) -> None:
    worker(root, "w", MINIMAL_TOML, files={".dev.vars": "A=1\nB='open\n"})
    assert_one_error_line(
        invoke("dev", "w"), ".dev.vars in w, line 2: the value of B opens a ' quote that never closes."
    )


def test_bad_env_specific_dev_vars(root: Path) -> None:
    worker(root, "w", MINIMAL_TOML + "[env.staging]\n", files={".dev.vars.staging": "bad line\n"})
    assert_one_error_line(
        invoke("dev", "w", "-e", "staging"), '.dev.vars.staging in w, line 1: expected KEY=VALUE, got "bad line".'
    )


def test_directory_without_config(root: Path) -> None:
    (root / "empty").mkdir()
    assert_one_error_line(
        invoke("dev", "empty"),
        "No wrangler.toml, wrangler.json or wrangler.jsonc in empty. Pass a worker directory or its config file.",
    )


def test_current_directory_without_config(root: Path) -> None:
    assert_one_error_line(
        invoke("dev"),
        "No wrangler.toml, wrangler.json or wrangler.jsonc in .. Pass a worker directory or its config file.",
    )


def test_path_that_does_not_exist(root: Path) -> None:
    assert_one_error_line(
        invoke("dev", "missing"), "missing does not exist. Pass a worker directory or its config file."
    )


def test_file_that_is_not_a_config(root: Path) -> None:
    worker(root, "w", MINIMAL_TOML)
    assert_one_error_line(
        invoke("dev", "w/src/entry.py"),
        "w/src/entry.py is not a wrangler config: expected a .toml, .json or .jsonc file.",
    )


def test_duplicate_worker_names(root: Path) -> None:
    worker(root, "a", 'name = "same"\nmain = "src/entry.py"\n')
    worker(root, "b", '{"name": "same", "main": "src/entry.py"}', "wrangler.json")
    assert_one_error_line(
        invoke("dev", "a", "b"),
        'Two workers are named "same": a/wrangler.toml and b/wrangler.json. Give each worker a unique name.',
    )


def test_second_worker_broken_still_one_line(root: Path) -> None:
    worker(root, "a", 'name = "a"\nmain = "src/entry.py"\n')
    worker(root, "b", 'name = "b"\n')
    assert_one_error_line(
        invoke("dev", "a", "b"),
        'wrangler.toml in b: "main" is missing. Set main = "src/entry.py" to the worker\'s Python module.',
    )


# -- port in use -------------------------------------------------------------------------


@pytest.fixture
def busy_port() -> Iterator[int]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)
    try:
        yield sock.getsockname()[1]
    finally:
        sock.close()


def test_port_in_use(busy_port: int) -> None:
    result = invoke("dev", str(SEED / "worker_a"), str(SEED / "worker_b"), "--port", str(busy_port))
    assert_one_error_line(
        result,
        f"Port {busy_port} on 127.0.0.1 is already in use (wanted by worker worker_a). "
        "Stop whatever is using it, or pick another with --port or [dev] port.",
    )


def test_port_in_use_from_dev_port(root: Path, busy_port: int) -> None:
    worker(root, "w", MINIMAL_TOML + f"[dev]\nport = {busy_port}\n")
    assert_one_error_line(
        invoke("dev", "w"),
        f"Port {busy_port} on 127.0.0.1 is already in use (wanted by worker w). "
        "Stop whatever is using it, or pick another with --port or [dev] port.",
    )


def test_request_timeout_option(captured: list[DevOptions]) -> None:
    assert invoke("dev", "--request-timeout", "2.5").exit_code == 0
    assert captured[-1].request_timeout == 2.5
    result = invoke("dev", "--request-timeout", "0")
    assert result.exit_code == 2
    assert "--request-timeout" in result.output
