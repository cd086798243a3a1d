from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from pyworker.config import DevSettings, ServiceBinding, WorkerConfig, load_config
from pyworker.config import load_workers as load_configs
from pyworker.config.dotenv import parse_dotenv
from pyworker.config.files import strip_jsonc
from pyworker.errors import ConfigError
from pyworker.options import DevOptions

ENTRY = "from workers import Response, WorkerEntrypoint\n"
MINIMAL_TOML = 'name = "w"\nmain = "src/entry.py"\n'


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project directory that is also the working directory, so messages show short paths."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def worker(
    root: Path,
    config: str,
    filename: str = "wrangler.toml",
    files: dict[str, str] | None = None,
    directory: str = "w",
) -> Path:
    """Write ``<root>/<directory>`` with a config, ``src/entry.py`` and any other ``files``."""
    path = root / directory
    for relative, text in {"src/entry.py": ENTRY, **(files or {})}.items():
        (path / relative).parent.mkdir(parents=True, exist_ok=True)
        (path / relative).write_text(textwrap.dedent(text))
    (path / filename).write_text(textwrap.dedent(config))
    return path


def config_error(path: Path, env_name: str | None = None) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(path, env_name)
    return str(info.value)


# -- finding and reading config files ---------------------------------------------------


def test_reads_wrangler_toml_with_every_field(root: Path) -> None:
    directory = worker(
        root,
        """
        name = "api"
        main = "src/entry.py"
        compatibility_date = "2025-11-01"
        compatibility_flags = ["python_workers", "nodejs_compat"]
        workers_dev = true
        routes = ["example.com/*", { pattern = "api.example.com/*", zone_name = "example.com" }]
        account_id = "abc123"
        services = [
          { binding = "AUTH", service = "auth" },
          { binding = "ADMIN", service = "auth", entrypoint = "Admin", props = { role = "root", level = 3 } },
        ]

        [vars]
        GREETING = "hello"
        LIMIT = 10
        RATIO = 0.5
        DEBUG = false
        TAGS = ["a", "b"]

        [vars.NESTED]
        url = "https://example.com"
        ids = { first = 1 }

        [dev]
        port = 9000
        ip = "0.0.0.0"

        [build]
        command = "make"
        """,
    )
    config = load_config(directory)
    assert config == WorkerConfig(
        name="api",
        main=directory / "src" / "entry.py",
        config_path=directory / "wrangler.toml",
        compatibility_date="2025-11-01",
        compatibility_flags=("python_workers", "nodejs_compat"),
        workers_dev=True,
        routes=("example.com/*", {"pattern": "api.example.com/*", "zone_name": "example.com"}),
        services=(
            ServiceBinding("AUTH", "auth"),
            ServiceBinding("ADMIN", "auth", "Admin", {"role": "root", "level": 3}),
        ),
        vars={
            "GREETING": "hello",
            "LIMIT": 10,
            "RATIO": 0.5,
            "DEBUG": False,
            "TAGS": ["a", "b"],
            "NESTED": {"url": "https://example.com", "ids": {"first": 1}},
        },
        dev=DevSettings(port=9000, ip="0.0.0.0"),
        extra={"account_id": "abc123", "build": {"command": "make"}},
        warnings=("wrangler.toml in w: pyworker does not act on these keys yet and ignores them: build.command.",),
    )
    assert config.main.is_absolute()
    assert config.directory == directory
    assert config.import_root == directory / "src"
    assert config.internal is False


def test_minimal_config_has_empty_defaults(root: Path) -> None:
    directory = worker(root, MINIMAL_TOML)
    config = load_config(directory)
    assert config == WorkerConfig(name="w", main=directory / "src/entry.py", config_path=directory / "wrangler.toml")
    assert (config.compatibility_date, config.workers_dev, config.env_name) == (None, None, None)
    assert (config.routes, config.services, config.compatibility_flags) == ((), (), ())
    assert (config.vars, config.secrets, config.var_overrides, config.extra) == ({}, {}, {}, {})
    assert config.dev == DevSettings(port=None, ip=None)
    assert config.warnings == ()
    assert config.env_values() == {}


def test_reads_wrangler_json(root: Path) -> None:
    document = {
        "name": "api",
        "main": "src/entry.py",
        "compatibility_flags": ["python_workers"],
        "services": [{"binding": "B", "service": "b", "props": {"tenant": "t1"}}],
        "vars": {"LIMIT": 5, "OBJ": {"a": [1, 2]}},
        "dev": {"port": 8800},
    }
    directory = worker(root, json.dumps(document, indent=2), "wrangler.json")
    config = load_config(directory)
    assert config.config_path == directory / "wrangler.json"
    assert config.name == "api"
    assert config.compatibility_flags == ("python_workers",)
    assert config.services == (ServiceBinding("B", "b", None, {"tenant": "t1"}),)
    assert config.vars == {"LIMIT": 5, "OBJ": {"a": [1, 2]}}
    assert config.dev == DevSettings(port=8800)


JSONC = """\
// A worker config with comments.
{
  /* block comment
     spanning lines, with "quotes" and // slashes */
  "name": "api", // trailing comment
  "main": "src/entry.py",
  "compatibility_flags": [
    "python_workers",
  ],
  "vars": {
    "URL": "https://example.com//path", // "//" inside a string is not a comment
    "GLOB": "a/*b*/c",
    "QUOTED": "say \\"//hi\\"",
  },
  "routes": ["example.com/*",],
}
"""


def test_reads_wrangler_jsonc_with_comments_and_trailing_commas(root: Path) -> None:
    directory = worker(root, JSONC, "wrangler.jsonc")
    config = load_config(directory)
    assert config.config_path == directory / "wrangler.jsonc"
    assert config.name == "api"
    assert config.compatibility_flags == ("python_workers",)
    assert config.vars == {"URL": "https://example.com//path", "GLOB": "a/*b*/c", "QUOTED": 'say "//hi"'}
    assert config.routes == ("example.com/*",)


def test_wrangler_json_also_accepts_comments(root: Path) -> None:
    directory = worker(root, '{"name": "w", /* c */ "main": "src/entry.py",} // end\n', "wrangler.json")
    assert load_config(directory).name == "w"


def test_strip_jsonc_keeps_lines_and_columns() -> None:
    text = '{\n  /* a\n  b */ "k": [1, 2,], // c\n}'
    stripped = strip_jsonc(text)
    assert stripped.splitlines() == ["{", "      ", '       "k": [1, 2 ]      ', "}"]
    assert [len(line) for line in stripped.splitlines()] == [len(line) for line in text.splitlines()]
    assert json.loads(stripped) == {"k": [1, 2]}


def test_strip_jsonc_leaves_commas_before_values_alone() -> None:
    assert strip_jsonc('[1, /* x */ 2, "a,]"]') == '[1,         2, "a,]"]'


@pytest.mark.parametrize(
    ("present", "chosen"),
    [
        (("wrangler.toml", "wrangler.jsonc", "wrangler.json"), "wrangler.json"),
        (("wrangler.toml", "wrangler.json"), "wrangler.json"),
        (("wrangler.toml", "wrangler.jsonc"), "wrangler.jsonc"),
        (("wrangler.jsonc", "wrangler.json"), "wrangler.json"),
        (("wrangler.toml",), "wrangler.toml"),
    ],
)
def test_config_file_precedence(root: Path, present: tuple[str, ...], chosen: str) -> None:
    directory = root / "w"
    worker(root, MINIMAL_TOML)
    for filename in present:
        name = filename.replace(".", "-")
        if filename.endswith(".toml"):
            text = f'name = "{name}"\nmain = "src/entry.py"\n'
        else:
            text = json.dumps({"name": name, "main": "src/entry.py"})
        (directory / filename).write_text(text)
    config = load_config(directory)
    assert config.config_path == directory / chosen
    assert config.name == chosen.replace(".", "-")


def test_config_file_path_given_directly_wins_over_precedence(root: Path) -> None:
    directory = worker(root, 'name = "from-toml"\nmain = "src/entry.py"\n')
    (directory / "wrangler.json").write_text('{"name": "from-json", "main": "src/entry.py"}')
    assert load_config(directory).name == "from-json"
    config = load_config(directory / "wrangler.toml")
    assert config.name == "from-toml"
    assert config.config_path == directory / "wrangler.toml"


def test_config_file_with_another_name_and_relative_path(root: Path) -> None:
    directory = worker(root, 'name = "staging"\nmain = "src/entry.py"\n', "staging.toml")
    config = load_config(Path("w/staging.toml"))
    assert config.config_path == directory / "staging.toml"
    assert config.main == directory / "src/entry.py"


def test_main_is_resolved_against_the_config_directory(root: Path) -> None:
    directory = worker(root, 'name = "w"\nmain = "./src/../src/entry.py"\n', files={"src/other/mod.py": ""})
    config = load_config(Path("w"))
    assert config.main == directory / "src/entry.py"
    assert config.main.is_absolute()


@pytest.mark.parametrize(
    ("lines", "routes"),
    [
        ('route = "example.com/*"', ("example.com/*",)),
        (
            'route = { pattern = "example.com/*", custom_domain = true }',
            ({"pattern": "example.com/*", "custom_domain": True},),
        ),
        ('routes = ["a.com/*", "b.com/*"]', ("a.com/*", "b.com/*")),
        ("routes = []", ()),
        ('route = ""', ()),
    ],
)
def test_routes_and_route(root: Path, lines: str, routes: tuple[object, ...]) -> None:
    config = load_config(worker(root, MINIMAL_TOML + lines + "\n"))
    assert config.routes == routes
    assert "route" not in config.extra


@pytest.mark.parametrize(
    ("lines", "internal"),
    [
        ("", False),
        ("workers_dev = true", False),
        ("workers_dev = false", True),
        ('workers_dev = false\nroutes = ["example.com/*"]', False),
        ('workers_dev = false\nroute = "example.com/*"', False),
        ("workers_dev = false\nroutes = []", True),
    ],
)
def test_internal(root: Path, lines: str, internal: bool) -> None:
    assert load_config(worker(root, MINIMAL_TOML + lines + "\n")).internal is internal


def test_durable_objects_and_migrations_are_acted_on_without_a_warning(root: Path) -> None:
    # Cloudflare's 07-durable-objects example: pyworker emulates both keys, so neither may warn.
    config_text = {
        "name": "python-durable-object",
        "main": "src/entry.py",
        "durable_objects": {"bindings": [{"name": "LISTS", "class_name": "List"}]},
        "migrations": [{"tag": "v1", "new_sqlite_classes": ["List"]}],
    }
    directory = worker(root, json.dumps(config_text), filename="wrangler.jsonc")
    assert load_config(directory).warnings == ()


def test_unsupported_bindings_give_one_warning(root: Path) -> None:
    directory = worker(
        root,
        MINIMAL_TOML
        + """
        kv_namespaces = [{ binding = "KV", id = "1" }]
        r2_buckets = []

        [[d1_databases]]
        binding = "DB"
        database_id = "x"

        [ai]
        binding = "AI"
        """,
    )
    config = load_config(directory)
    assert config.warnings == (
        "wrangler.toml in w: pyworker does not emulate these bindings: ai. They are on env, and using one raises "
        "an error that says whether wrangler dev runs it locally.",
    )
    assert config.extra == {
        "kv_namespaces": [{"binding": "KV", "id": "1"}],
        "r2_buckets": [],
        "d1_databases": [{"binding": "DB", "database_id": "x"}],
        "ai": {"binding": "AI"},
    }


# -- environments -----------------------------------------------------------------------

ENV_CONFIG = """
name = "api"
main = "src/entry.py"
compatibility_date = "2025-11-01"
compatibility_flags = ["python_workers"]
workers_dev = false
routes = ["example.com/*"]
services = [{ binding = "B", service = "b" }]
kv_namespaces = [{ binding = "KV", id = "1" }]
account_id = "abc"

[vars]
TOP = "top"

[dev]
port = 9000

[env.staging]
[env.staging.vars]
STAGE = "staging"

[env.prod]
name = "api-production"
main = "src/prod.py"
compatibility_date = "2026-01-01"
workers_dev = true
routes = []
services = [{ binding = "P", service = "payments", entrypoint = "Billing" }]
"""


def test_env_inherits_settings_but_not_vars_or_bindings(root: Path) -> None:
    directory = worker(root, ENV_CONFIG)
    config = load_config(directory, "staging")
    assert config == WorkerConfig(
        name="api-staging",
        main=directory / "src/entry.py",
        config_path=directory / "wrangler.toml",
        compatibility_date="2025-11-01",
        compatibility_flags=("python_workers",),
        workers_dev=False,
        routes=("example.com/*",),
        services=(),
        vars={"STAGE": "staging"},
        dev=DevSettings(port=9000),
        env_name="staging",
        extra={"account_id": "abc"},
    )


def test_env_overrides_top_level_settings(root: Path) -> None:
    directory = worker(root, ENV_CONFIG, files={"src/prod.py": ENTRY})
    config = load_config(directory, "prod")
    assert config.name == "api-production"
    assert config.main == directory / "src/prod.py"
    assert config.compatibility_date == "2026-01-01"
    assert config.compatibility_flags == ("python_workers",)
    assert (config.workers_dev, config.routes, config.internal) == (True, (), False)
    assert config.services == (ServiceBinding("P", "payments", "Billing"),)
    assert config.vars == {}
    assert config.env_name == "prod"
    assert config.warnings == ()


def test_without_env_the_env_sections_are_ignored(root: Path) -> None:
    config = load_config(worker(root, ENV_CONFIG))
    assert config.name == "api"
    assert config.vars == {"TOP": "top"}
    assert config.services == (ServiceBinding("B", "b"),)
    assert config.env_name is None
    assert "env" not in config.extra
    assert config.warnings == ()


def test_env_name_suffix_in_json(root: Path) -> None:
    document = {"name": "api", "main": "src/entry.py", "env": {"dev": {"vars": {"X": 1}}}}
    config = load_config(worker(root, json.dumps(document), "wrangler.json"), "dev")
    assert (config.name, config.vars, config.env_name) == ("api-dev", {"X": 1}, "dev")


def test_missing_env_section_warns_and_uses_top_level(root: Path) -> None:
    directory = worker(root, ENV_CONFIG)
    config = load_config(directory, "qa")
    assert config.warnings == ("wrangler.toml in w has no [env.qa] section; using its top-level settings.",)
    assert config.name == "api"
    assert config.vars == {"TOP": "top"}
    assert config.services == (ServiceBinding("B", "b"),)
    assert config.env_name is None


def test_missing_env_when_config_has_no_envs_at_all(root: Path) -> None:
    config = load_config(worker(root, MINIMAL_TOML), "staging")
    assert config.name == "w"
    assert config.warnings == ("wrangler.toml in w has no [env.staging] section; using its top-level settings.",)


def test_env_without_name_anywhere_reports_missing_name(root: Path) -> None:
    directory = worker(root, 'main = "src/entry.py"\n[env.staging]\n')
    assert config_error(directory, "staging") == 'wrangler.toml in w: "name" is missing. Add name = "my-worker".'


# -- .dev.vars ---------------------------------------------------------------------------

DOTENV = r"""# a comment
    # an indented comment

PLAIN=value
SPACED = spaced value
export EXPORTED=yes
EMPTY=
SINGLE='it is $literal \n # not a comment'
DOUBLE="tab\there \"quoted\" back\\slash \$x"
INLINE=value # a comment
HASH=value#not-a-comment
QUOTED_THEN_COMMENT="kept" # dropped
MULTI="first
second\nthird"
SINGLE_MULTI='a
b'
URL=https://example.com/?a=1&b=2
dotted.key-name=ok
"""


def test_parse_dotenv() -> None:
    assert parse_dotenv(DOTENV, ".dev.vars") == {
        "PLAIN": "value",
        "SPACED": "spaced value",
        "EXPORTED": "yes",
        "EMPTY": "",
        "SINGLE": "it is $literal \\n # not a comment",
        "DOUBLE": 'tab\there "quoted" back\\slash \\$x',
        "INLINE": "value",
        "HASH": "value#not-a-comment",
        "QUOTED_THEN_COMMENT": "kept",
        "MULTI": "first\nsecond\nthird",
        "SINGLE_MULTI": "a\nb",
        "URL": "https://example.com/?a=1&b=2",
        "dotted.key-name": "ok",
    }


def test_parse_dotenv_later_lines_win() -> None:
    assert parse_dotenv("A=1\nA=2\n", "x") == {"A": "2"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("A=1\nnot a pair\n", '.dev.vars in w, line 2: expected KEY=VALUE, got "not a pair".'),
        ("1A=x", '.dev.vars in w, line 1: expected KEY=VALUE, got "1A=x".'),
        ('A=1\nB="open\nstill open\n', '.dev.vars in w, line 2: the value of B opens a " quote that never closes.'),
        ("C='open", ".dev.vars in w, line 1: the value of C opens a ' quote that never closes."),
    ],
)
def test_parse_dotenv_errors(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_dotenv(text, ".dev.vars in w")
    assert str(info.value) == message


def test_dev_vars_are_secrets_that_override_vars(root: Path) -> None:
    directory = worker(
        root,
        MINIMAL_TOML + '[vars]\nA = "var"\nB = "var"\nN = 1\n',
        files={".dev.vars": "B=secret\nC=secret\n"},
    )
    config = load_config(directory, var_overrides={"C": "cli", "D": "cli"})
    assert config.vars == {"A": "var", "B": "var", "N": 1}
    assert config.secrets == {"B": "secret", "C": "secret"}
    assert config.var_overrides == {"C": "cli", "D": "cli"}
    assert config.env_values() == {"A": "var", "B": "secret", "N": 1, "C": "cli", "D": "cli"}


def test_var_overrides_beat_vars(root: Path) -> None:
    config = load_config(worker(root, MINIMAL_TOML + '[vars]\nA = "var"\n'), var_overrides={"A": "cli"})
    assert config.env_values() == {"A": "cli"}


DEV_VARS_FILES = {".dev.vars": "WHICH=default\nONLY_DEFAULT=1\n", ".dev.vars.staging": "WHICH=staging\n"}


def test_env_specific_dev_vars_are_preferred(root: Path) -> None:
    directory = worker(root, MINIMAL_TOML + "[env.staging]\n", files=DEV_VARS_FILES)
    # The env file replaces .dev.vars; the two are not merged.
    assert load_config(directory, "staging").secrets == {"WHICH": "staging"}
    assert load_config(directory).secrets == {"WHICH": "default", "ONLY_DEFAULT": "1"}


def test_dev_vars_used_when_env_has_no_file_of_its_own(root: Path) -> None:
    directory = worker(root, MINIMAL_TOML + "[env.prod]\n", files=DEV_VARS_FILES)
    assert load_config(directory, "prod").secrets == {"WHICH": "default", "ONLY_DEFAULT": "1"}


def test_env_specific_dev_vars_follow_the_requested_env_without_a_section(root: Path) -> None:
    directory = worker(root, MINIMAL_TOML, files=DEV_VARS_FILES)
    config = load_config(directory, "staging")
    assert config.secrets == {"WHICH": "staging"}
    assert config.env_name is None


def test_dev_vars_next_to_a_config_given_by_path(root: Path) -> None:
    directory = worker(root, MINIMAL_TOML, files={".dev.vars": "S=1\n"})
    assert load_config(directory / "wrangler.toml").secrets == {"S": "1"}


def test_bad_dev_vars_is_a_config_error(root: Path) -> None:
    directory = worker(root, MINIMAL_TOML, files={".dev.vars.staging": "A=1\noops\n"})
    assert config_error(directory, "staging") == '.dev.vars.staging in w, line 2: expected KEY=VALUE, got "oops".'


# -- errors ------------------------------------------------------------------------------

# (config file name, its text, the exact message); the worker lives in ./w with src/entry.py.
BROKEN = [
    pytest.param(
        "wrangler.toml",
        'name = "w"\nmain = \n',
        "wrangler.toml in w: invalid TOML: Invalid value (at line 2, column 8).",
        id="bad-toml",
    ),
    pytest.param(
        "wrangler.json",
        '{\n  "name": "w",\n  "main": "src/entry.py"\n  "vars": {}\n}\n',
        "wrangler.json in w: invalid JSON at line 4, column 3: Expecting ',' delimiter.",
        id="bad-json",
    ),
    pytest.param(
        "wrangler.jsonc",
        '{\n  /* one\n  two */\n  "name": "w" "main": "src/entry.py"\n}\n',
        "wrangler.jsonc in w: invalid JSON at line 4, column 15: Expecting ',' delimiter.",
        id="bad-jsonc-line-after-block-comment",
    ),
    pytest.param(
        "wrangler.json",
        '["name", "main"]',
        "wrangler.json in w: expected an object at the top level, got list.",
        id="json-not-object",
    ),
    pytest.param(
        "wrangler.toml",
        'main = "src/entry.py"\n',
        'wrangler.toml in w: "name" is missing. Add name = "my-worker".',
        id="missing-name",
    ),
    pytest.param(
        "wrangler.toml",
        'name = "  "\nmain = "src/entry.py"\n',
        'wrangler.toml in w: "name" is missing. Add name = "my-worker".',
        id="blank-name",
    ),
    pytest.param(
        "wrangler.toml",
        'name = "w"\n',
        'wrangler.toml in w: "main" is missing. Set main = "src/entry.py" to the worker\'s Python module.',
        id="missing-main",
    ),
    pytest.param(
        "wrangler.toml",
        'name = "w"\nmain = "src/missing.py"\n',
        'wrangler.toml in w: "main" points to src/missing.py, which does not exist.',
        id="main-not-found",
    ),
    pytest.param(
        "wrangler.toml",
        'name = "w"\nmain = "src"\n',
        'wrangler.toml in w: "main" points to src, which is a directory. '
        'Point it at the worker\'s Python module, e.g. main = "src/entry.py".',
        id="main-is-a-directory",
    ),
    pytest.param(
        "wrangler.toml",
        'name = "w"\nmain = "src/index.js"\n',
        'wrangler.toml in w: "main" points to src/index.js, which is not a Python module (.py).',
        id="main-not-python",
    ),
    pytest.param(
        "wrangler.json",
        '{"name": "w", "main": "src/a\\u0000.py"}',
        "wrangler.json in w: \"main\" is not a usable path: 'src/a\\x00.py'.",
        id="main-with-nul-byte",
    ),
    pytest.param(
        "wrangler.toml",
        MINIMAL_TOML + 'services = { binding = "B", service = "b" }\n',
        'wrangler.toml in w: "services" must be a list of tables like '
        "{ binding = \"B\", service = \"worker_b\" }, got {'binding': 'B', 'service': 'b'}.",
        id="services-not-list",
    ),
    pytest.param(
        "wrangler.toml",
        MINIMAL_TOML + 'services = ["b"]\n',
        'wrangler.toml in w: each entry of "services" must be a table like '
        '{ binding = "B", service = "worker_b" }, got \'b\'.',
        id="services-entry-not-table",
    ),
    pytest.param(
        "wrangler.toml",
        MINIMAL_TOML + 'services = [{ service = "b" }]\n',
        'wrangler.toml in w: a service binding needs "binding", a valid name, got None.',
        id="service-without-binding",
    ),
    pytest.param(
        "wrangler.toml",
        MINIMAL_TOML + 'services = [{ binding = "MY-B", service = "b" }]\n',
        "wrangler.toml in w: a service binding needs \"binding\", a valid name, got 'MY-B'.",
        id="service-binding-not-identifier",
    ),
    pytest.param(
        "wrangler.toml",
        MINIMAL_TOML + 'services = [{ binding = "B" }]\n',
        'wrangler.toml in w: service binding B needs "service", the worker\'s name.',
        id="service-without-service",
    ),
    pytest.param(
        "wrangler.toml",
        MINIMAL_TOML + 'services = [{ binding = "B", service = "b", entrypoint = 1 }]\n',
        'wrangler.toml in w: service binding B: "entrypoint" must be a string.',
        id="service-entrypoint-not-string",
    ),
    pytest.param(
        "wrangler.toml",
        MINIMAL_TOML + 'services = [{ binding = "B", service = "b", props = [1] }]\n',
        'wrangler.toml in w: service binding B: "props" must be a table, got [1].',
        id="service-props-not-table",
    ),
    pytest.param(
        "wrangler.toml",
        MINIMAL_TOML + 'services = [{ binding = "B", service = "b" }, { binding = "B", service = "c" }]\n',
        'wrangler.toml in w: the binding name B is used twice in "services".',
        id="service-binding-twice",
    ),
    pytest.param(
        "wrangler.toml",
        MINIMAL_TOML + '[dev]\nport = "8787"\n',
        "wrangler.toml in w: dev.port must be a port number (1-65535), got '8787'.",
        id="dev-port-string",
    ),
    pytest.param(
        "wrangler.toml",
        MINIMAL_TOML + "[dev]\nport = 70000\n",
        "wrangler.toml in w: dev.port must be a port number (1-65535), got 70000.",
        id="dev-port-too-big",
    ),
    pytest.param(
        "wrangler.toml",
        MINIMAL_TOML + "[dev]\nport = 0\n",
        "wrangler.toml in w: dev.port must be a port number (1-65535), got 0.",
        id="dev-port-zero",
    ),
    pytest.param(
        "wrangler.toml",
        MINIMAL_TOML + "[dev]\nport = true\n",
        "wrangler.toml in w: dev.port must be a port number (1-65535), got True.",
        id="dev-port-bool",
    ),
    pytest.param(
        "wrangler.toml",
        MINIMAL_TOML + "[dev]\nip = 127\n",
        'wrangler.toml in w: dev.ip must be a string such as "127.0.0.1", got 127.',
        id="dev-ip-not-string",
    ),
    pytest.param(
        "wrangler.toml",
        MINIMAL_TOML + "dev = 8787\n",
        'wrangler.toml in w: "dev" must be a table, got 8787.',
        id="dev-not-table",
    ),
    pytest.param(
        "wrangler.toml",
        MINIMAL_TOML + 'compatibility_flags = "python_workers"\n',
        "wrangler.toml in w: \"compatibility_flags\" must be a list of strings, got 'python_workers'.",
        id="flags-not-list",
    ),
    pytest.param(
        "wrangler.toml",
        MINIMAL_TOML + "compatibility_date = 2025-11-01\n",
        'wrangler.toml in w: "compatibility_date" must be a str, got datetime.date(2025, 11, 1).',
        id="date-not-string",
    ),
    pytest.param(
        "wrangler.toml",
        MINIMAL_TOML + 'workers_dev = "no"\n',
        "wrangler.toml in w: \"workers_dev\" must be a bool, got 'no'.",
        id="workers-dev-not-bool",
    ),
    pytest.param(
        "wrangler.toml",
        MINIMAL_TOML + 'routes = "example.com/*"\n',
        "wrangler.toml in w: \"routes\" must be a list, got 'example.com/*'.",
        id="routes-not-list",
    ),
    pytest.param(
        "wrangler.toml",
        MINIMAL_TOML + 'vars = ["A"]\n',
        "wrangler.toml in w: \"vars\" must be a table of names to values, got ['A'].",
        id="vars-not-table",
    ),
]


@pytest.mark.parametrize(("filename", "text", "message"), BROKEN)
def test_config_errors(root: Path, filename: str, text: str, message: str) -> None:
    directory = worker(root, text, filename, files={"src/index.js": ""})
    assert config_error(directory) == message


@pytest.mark.parametrize(
    ("filename", "text", "message"),
    [
        (
            "wrangler.toml",
            MINIMAL_TOML + 'env = "staging"\n',
            'wrangler.toml in w: "env" must be a table of environments, got str.',
        ),
        (
            "wrangler.json",
            '{"name": "w", "main": "src/entry.py", "env": {"staging": 3}}',
            "wrangler.json in w: [env.staging] must be a table, got int.",
        ),
    ],
)
def test_env_shape_errors(root: Path, filename: str, text: str, message: str) -> None:
    assert config_error(worker(root, text, filename), "staging") == message


def test_config_errors_name_the_worker_directory_relative_to_cwd(root: Path) -> None:
    worker(root, 'name = "w"\n', directory="workers/api")
    assert config_error(root / "workers" / "api") == (
        'wrangler.toml in workers/api: "main" is missing. Set main = "src/entry.py" to the worker\'s Python module.'
    )


def test_directory_without_config(root: Path) -> None:
    (root / "empty").mkdir()
    assert config_error(Path("empty")) == (
        "No wrangler.toml, wrangler.json or wrangler.jsonc in empty. Pass a worker directory or its config file."
    )


def test_path_that_does_not_exist(root: Path) -> None:
    assert config_error(Path("nope")) == "nope does not exist. Pass a worker directory or its config file."


def test_file_that_is_not_a_config(root: Path) -> None:
    worker(root, MINIMAL_TOML)
    assert config_error(Path("w/src/entry.py")) == (
        "w/src/entry.py is not a wrangler config: expected a .toml, .json or .jsonc file."
    )


def test_error_chains_its_cause(root: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(worker(root, "name = \n"))
    assert type(info.value.__cause__).__name__ == "TOMLDecodeError"


# -- several workers (load_configs) -------------------------------------------------------


def test_load_configs_reads_every_worker_with_env_and_vars(root: Path) -> None:
    a = worker(root, 'name = "a"\nmain = "src/entry.py"\n[env.staging]\n', directory="a")
    b = worker(root, '{"name": "b", "main": "src/entry.py"}', "wrangler.json", directory="b")
    configs = load_configs(DevOptions(paths=[a, b], env="staging", vars={"K": "v"}))
    assert [c.name for c in configs] == ["a-staging", "b"]
    assert [c.env_name for c in configs] == ["staging", None]
    assert [c.env_values() for c in configs] == [{"K": "v"}, {"K": "v"}]
    assert configs[1].warnings == ("wrangler.json in b has no [env.staging] section; using its top-level settings.",)


def test_duplicate_worker_names_across_directories(root: Path) -> None:
    a = worker(root, 'name = "same"\nmain = "src/entry.py"\n', directory="a")
    b = worker(root, 'name = "same"\nmain = "src/entry.py"\n', directory="b")
    with pytest.raises(ConfigError) as info:
        load_configs(DevOptions(paths=[a, b]))
    assert str(info.value) == (
        'Two workers are named "same": a/wrangler.toml and b/wrangler.toml. Give each worker a unique name.'
    )


def test_duplicate_names_only_after_env_suffix(root: Path) -> None:
    a = worker(root, 'name = "api"\nmain = "src/entry.py"\n[env.dev]\n', directory="a")
    b = worker(root, 'name = "api-dev"\nmain = "src/entry.py"\n', directory="b")
    assert [c.name for c in load_configs(DevOptions(paths=[a, b]))] == ["api", "api-dev"]
    with pytest.raises(ConfigError, match=r'^Two workers are named "api-dev": a/wrangler\.toml and b/wrangler\.toml\.'):
        load_configs(DevOptions(paths=[a, b], env="dev"))


def test_same_worker_given_twice_is_loaded_once(root: Path) -> None:
    a = worker(root, 'name = "a"\nmain = "src/entry.py"\n', directory="a")
    b = worker(root, 'name = "b"\nmain = "src/entry.py"\n', directory="b")
    configs = load_configs(DevOptions(paths=[a, Path("b"), a / "wrangler.toml", Path("a/../a"), b]))
    assert [c.name for c in configs] == ["a", "b"]
    assert [c.config_path for c in configs] == [a / "wrangler.toml", b / "wrangler.toml"]


def test_a_directory_of_workers_expands_to_each_worker_sorted() -> None:
    seed = Path(__file__).resolve().parent.parent / "fixtures" / "seed"
    configs = load_configs(DevOptions(paths=[seed]))
    assert [c.name for c in configs] == ["worker_a", "worker_b"]
    assert configs[0].services == (ServiceBinding("WORKER_B", "worker_b"),)


def test_static_assets_and_queues_are_supported_and_main_is_optional_with_assets(tmp_path: Path) -> None:
    (tmp_path / "public").mkdir()
    (tmp_path / "wrangler.toml").write_text(
        'name = "w"\nassets = { directory = "./public", binding = "ASSETS" }\n'
        '[[queues.producers]]\nbinding = "Q"\nqueue = "q"\n'
    )
    config = load_config(tmp_path)
    assert (config.warnings, config.main, config.import_root) == ((), None, tmp_path.resolve())
