"""The table of settings (:mod:`cablegate.settings`): the README shows it as it is, every
reader takes its value from it, a bad value is one clear line; the CLI's ``--format`` of
search, and a PostgreSQL URL without the ``postgresql`` extra."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from cablegate import settings
from cablegate.archive import Archive, parse_url
from cablegate.archive import db as dbs
from cablegate.cli import app
from cablegate.errors import CablegateError
from cablegate.search import engine
from cablegate.search import index as indexes
from cablegate.settings import SETTINGS, SettingError
from cablegate.site import app as site_app

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No setting from the environment the tests run in, and logging as it was after."""
    for setting in SETTINGS:
        monkeypatch.delenv(setting.env, raising=False)
    root = logging.getLogger()
    level, handlers = root.level, root.handlers[:]
    yield
    root.setLevel(level)
    root.handlers[:] = handlers


def test_the_readme_shows_the_table_of_settings() -> None:
    section = settings.readme_section((ROOT / "README.md").read_text(encoding="utf-8"))
    assert section is not None, "README.md has no settings section"
    assert section == settings.markdown(), (
        "README.md's settings differ from cablegate.settings: run "
        ".venv/bin/python -m cablegate.settings --readme README.md"
    )


def test_the_table_is_every_setting_once() -> None:
    declared = [v for v in vars(settings).values() if isinstance(v, settings.Setting)]
    assert sorted(s.name for s in declared) == sorted(s.name for s in SETTINGS)
    for field in ("name", "env", "option"):
        values = [getattr(s, field) for s in SETTINGS if getattr(s, field)]
        assert len(values) == len(set(values)), field
    for setting in SETTINGS:
        assert setting.get({}) == setting.default, setting.name
        assert setting.help.endswith(".") and "\n" not in setting.help, setting.name


def test_every_variable_the_code_names_is_a_setting() -> None:
    """No CABLEGATE_ variable read outside the table (dev.py included), and only the table
    reads the environment (the CLI passes values on to its server processes through it)."""
    known = {s.env for s in SETTINGS}
    sources = [*sorted((ROOT / "src").rglob("*.py")), ROOT / "dev.py"]
    for path in sources:
        text = path.read_text(encoding="utf-8")
        named = set(re.findall(r"\bCABLEGATE_[A-Z_]+\b", text))
        assert named <= known, f"{path}: {sorted(named - known)} not in cablegate.settings"
        if path.name not in ("settings.py", "dev.py"):
            assert not re.search(r"environ\.get|getenv|environ\[", text), path


def test_the_cli_options_come_from_the_table() -> None:
    command = typer.main.get_command(app)
    seen: set[str] = set()
    commands = [command, *command.commands.values()]  # type: ignore[attr-defined]
    for sub in commands:
        for group in getattr(sub, "commands", {}).values():
            commands.append(group)
    for sub in commands:
        for param in sub.params:
            for setting in SETTINGS:
                if setting.option in getattr(param, "opts", []):
                    seen.add(setting.name)
                    assert param.help and param.help.startswith(setting.help), sub.name
                    if setting is not settings.LOG_LEVEL:  # read after settings.check()
                        assert param.envvar == setting.env, (sub.name, setting.name)
    assert seen == {s.name for s in SETTINGS if s.option}


@pytest.fixture()
def archive_db(tmp_path: Path) -> str:
    db = str(tmp_path / "a.db")
    Archive.open(db, create=True).close()
    return db


def test_db_is_read_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert parse_url(None).target == "cablegate.db"
    target = tmp_path / "from-env.db"
    monkeypatch.setenv("CABLEGATE_DB", f"sqlite:///{target}")
    assert parse_url(None).target == str(target)
    with Archive.open(None, create=True) as archive:
        assert archive.url.target == str(target)
    assert target.exists()
    result = CliRunner().invoke(app, ["stats"])
    assert result.exit_code == 0, result.output
    assert '"cables": 0' in result.stdout


def test_index_and_cache_home_are_read_from_the_environment(
    archive_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Archive.open(archive_db) as archive:
        assert indexes.default_path(archive) == Path(archive_db).with_suffix(".index")
        monkeypatch.setenv("CABLEGATE_INDEX", str(tmp_path / "elsewhere"))
        assert indexes.default_path(archive) == tmp_path / "elsewhere"

    class OnPostgres:
        url = parse_url("postgresql://reader@db.example:5433/cables")

    monkeypatch.delenv("CABLEGATE_INDEX")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    path = indexes.default_path(OnPostgres())  # type: ignore[arg-type]
    assert path.parent == tmp_path / "cache" / "cablegate"
    assert path.name == "db.example-5433-cables-reader.index"


def test_search_timeout_and_facet_cache_are_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert engine.timeout() == 5.0
    monkeypatch.setenv("CABLEGATE_SEARCH_TIMEOUT", "0.25")
    assert engine.timeout() == 0.25
    for size, kept in (("0", 0), ("2", 2), ("", 5)):
        monkeypatch.setenv("CABLEGATE_FACET_CACHE", size)
        cache = engine._Cache()
        for n in range(5):
            cache.put(("state", f"query {n}"), {"n": n})
        assert len(cache.entries) == kept, size


def test_the_server_takes_db_read_db_and_base_url_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = []
    monkeypatch.setattr(site_app, "create_app", lambda *args: calls.append(args))
    site_app.app_from_env()
    monkeypatch.setenv("CABLEGATE_DB", "postgresql://w@primary/cables")
    monkeypatch.setenv("CABLEGATE_READ_DB", "postgresql://r@replica/cables")
    monkeypatch.setenv("CABLEGATE_BASE_URL", "https://cables.example")
    site_app.app_from_env()
    assert calls == [
        ("sqlite:///cablegate.db", "", None),
        (
            "postgresql://w@primary/cables",
            "https://cables.example",
            "postgresql://r@replica/cables",
        ),
    ]


def test_log_level_and_port_are_read_from_the_environment(
    archive_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CABLEGATE_LOG_LEVEL", "DEBUG")
    assert CliRunner().invoke(app, ["stats", "--db", archive_db]).exit_code == 0
    assert logging.getLogger().level == logging.DEBUG
    result = CliRunner().invoke(app, ["--log-level", "error", "stats", "--db", archive_db])
    assert result.exit_code == 0 and logging.getLogger().level == logging.ERROR
    monkeypatch.setenv("CABLEGATE_PORT", "8123")
    assert settings.PORT.get() == 8123


BAD = [
    ("CABLEGATE_SEARCH_TIMEOUT", "soon", "not a number of seconds"),
    ("CABLEGATE_SEARCH_TIMEOUT", "-1", "above 0"),
    ("CABLEGATE_FACET_CACHE", "many", "not a whole number"),
    ("CABLEGATE_FACET_CACHE", "-3", "not a whole number"),
    ("CABLEGATE_PORT", "80a", "not a port number"),
    ("CABLEGATE_PORT", "70000", "not a port number"),
    ("CABLEGATE_LOG_LEVEL", "loud", "not a log level (debug, info, warning, error, critical)"),
]


@pytest.mark.parametrize(("env", "value", "expected"), BAD)
def test_a_bad_value_is_one_line_naming_the_variable_and_the_value(
    env: str, value: str, expected: str, archive_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(env, value)
    with pytest.raises(SettingError) as error:
        settings.check()
    message = str(error.value)
    assert message.startswith(f"{env}={value!r}: ") and expected in message
    assert "\n" not in message
    # Every command stops with that line (exit 2), before doing anything; so does the server.
    result = CliRunner().invoke(app, ["stats", "--db", archive_db])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error {message}"
    with pytest.raises(SettingError, match=re.escape(message)):
        site_app.create_app(archive_db)


def test_a_bad_value_is_not_read_as_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CABLEGATE_SEARCH_TIMEOUT", "5s")
    with pytest.raises(SettingError, match="CABLEGATE_SEARCH_TIMEOUT='5s'"):
        engine.timeout()
    monkeypatch.setenv("CABLEGATE_FACET_CACHE", "1e3")
    with pytest.raises(SettingError, match="CABLEGATE_FACET_CACHE='1e3'"):
        engine._Cache().put(("state", "q"), {})


def test_settings_by_name_and_the_markdown_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert settings.get("search_timeout") == 5.0
    with pytest.raises(KeyError, match="no setting 'nope'"):
        settings.get("nope")
    assert settings.main(["--markdown"]) == 0
    assert capsys.readouterr().out == settings.markdown()
    assert settings.main([]) == 2


def test_search_refuses_an_unknown_format_in_one_line(archive_db: str) -> None:
    result = CliRunner().invoke(app, ["search", "embassy", "--db", archive_db, "--format", "xml"])
    assert result.exit_code == 2
    assert result.stdout == ""
    # --format is a choice: the command line's own usage error names the value and the
    # choices (no traceback).
    assert "Invalid value for '--format'" in result.stderr and "'xml'" in result.stderr
    assert "table" in result.stderr and "jsonl" in result.stderr
    assert "Traceback" not in result.stderr
    ok = CliRunner().invoke(app, ["search", "embassy", "--db", archive_db, "--format", "jsonl"])
    assert ok.exit_code == 0, ok.output


def test_postgresql_without_the_extra_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = "postgresql://cablegate:secret@127.0.0.1:1/cables"
    monkeypatch.setattr(dbs, "psycopg", None)
    with pytest.raises(CablegateError) as error:
        Archive.open(url)
    message = str(error.value)
    assert "pip install 'cablegate[postgresql]'" in message and "\n" not in message
    assert "secret" not in message
    result = CliRunner().invoke(app, ["stats", "--db", url])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error {message}"

    class OnPostgres:
        url = parse_url("postgresql://reader@db.example/cables")

    monkeypatch.setitem(sys.modules, "psycopg.conninfo", None)  # import fails
    with pytest.raises(CablegateError, match=re.escape("cablegate[postgresql]")):
        indexes.default_path(OnPostgres())  # type: ignore[arg-type]
