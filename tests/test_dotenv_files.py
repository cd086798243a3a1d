"""``.env`` files and ``--env-file``, as wrangler v4 reads them beside ``.dev.vars``."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from pyworker.config import load_config
from pyworker.errors import ConfigError

CONFIG = 'name = "w"\nmain = "src/entry.py"\n[vars]\nGREETING = "from vars"\nKEEP = "kept"\n'


def worker(write_worker, files):
    return write_worker("w", {"src/entry.py": "x = 1\n", **files}, config=CONFIG)


def test_env_files_merge_with_the_most_specific_winning(write_worker):
    directory = worker(
        write_worker,
        {
            ".env": "GREETING=from .env\nA=env\nB=env\nC=env\n",
            ".env.staging": "A=env.staging\nB=env.staging\n",
            ".env.local": "A=env.local\nC=env.local\n",
            ".env.staging.local": "A=env.staging.local\n",
        },
    )
    values = load_config(directory, "staging").env_values()
    assert {key: values[key] for key in ("GREETING", "KEEP", "A", "B", "C")} == {
        "GREETING": "from .env",
        "KEEP": "kept",
        "A": "env.staging.local",
        "B": "env.staging",
        "C": "env.local",
    }
    assert load_config(directory).env_values()["A"] == "env.local"  # no env: .env and .env.local only


def test_a_dev_vars_file_means_env_files_are_not_read(write_worker):
    directory = worker(write_worker, {".dev.vars": "", ".env": "GREETING=from .env\n"})
    assert load_config(directory).env_values()["GREETING"] == "from vars"


def test_env_file_names_the_files_instead_later_ones_winning(write_worker, tmp_path):
    directory = worker(write_worker, {".env": "GREETING=from .env\n"})
    first, second = tmp_path / "one.env", tmp_path / "two.env"
    first.write_text("GREETING=one\nONLY=one\n")
    second.write_text("GREETING=two\n")
    values = load_config(directory, env_files=[first, second]).env_values()
    assert (values["GREETING"], values["ONLY"]) == ("two", "one")
    with pytest.raises(
        ConfigError, match=r'^--env-file ".*missing\.env": no such file\. Name an existing \.env file\.$'
    ):
        load_config(directory, env_files=[tmp_path / "missing.env"])


def test_cloudflare_load_dev_vars_from_dot_env_false_turns_them_off(write_worker, monkeypatch):
    directory = worker(write_worker, {".env": "GREETING=from .env\n"})
    monkeypatch.setenv("CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV", "false")
    assert load_config(directory).env_values()["GREETING"] == "from vars"


def test_dev_takes_env_file_and_local_and_refuses_remote(monkeypatch, tmp_path):
    from pyworker import cli
    from pyworker.serving import server

    captured = []
    monkeypatch.setattr(server, "run", lambda options, printer: captured.append(options))
    runner = CliRunner()
    env_file = tmp_path / "x.env"
    env_file.write_text("A=1\n")
    result = runner.invoke(cli.main, ["dev", "--local", "--env-file", str(env_file), "--live-reload", "--debugpy"])
    assert result.exit_code == 0, result.output
    assert captured[-1].env_files == (Path(env_file),)
    assert captured[-1].live_reload is True
    assert captured[-1].debugpy == 5678
    assert captured[-1].interactive is None
    result = runner.invoke(cli.main, ["dev", "--debugpy=6000", "--show-interactive-dev-session=false"])
    assert (captured[-1].debugpy, captured[-1].interactive) == (6000, False)
    result = runner.invoke(cli.main, ["dev", "--debugpy", "a", "--show-interactive-dev-session", "b"])
    assert result.exit_code == 0, result.output
    assert (captured[-1].debugpy, captured[-1].interactive, captured[-1].paths) == (5678, True, [Path("a"), Path("b")])
    result = runner.invoke(cli.main, ["dev", "--remote"])
    assert result.exit_code == 1
    assert result.output == (
        "Error: --remote is not supported: pyworker runs every worker locally (as wrangler dev --local does). "
        "Drop --remote, or use wrangler dev --remote to run on Cloudflare.\n"
    )
