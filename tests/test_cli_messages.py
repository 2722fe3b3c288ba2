"""The command line says what is wrong in a line, never with a traceback (issue 19): bad
paths, IDs, formats, dates, numbers and database URLs on every command; ``--version``;
``show`` prints a cable for reading (``--json`` for the record); ``--format`` of search
and export is a choice; ``ingest`` of a missing path says so first, before anything.

On a small archive of real input: the 2011 dump rows of ``cables-sample.csv`` and the seed
09STATE314. Expected values come from them: the row of 03BUENOSAIRES1662 (created
``5/20/2003 20:35``, CONFIDENTIAL, Embassy Buenos Aires, citing 02BUENOSAIRES3442 and
02BUENOSAIRES4283), and the seed in the text export's layout (ID, subject, date,
classification and origin on its first five lines, then the telegram).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cablegate import __version__
from cablegate.cli import app
from tests.conftest import CORPUS, SEEDS, requires_corpus, requires_seeds

pytestmark = [requires_corpus, requires_seeds]

runner = CliRunner()
SEED = SEEDS / "000_6b405a9335b029f2.txt"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("cli")
    shutil.copy(SEED, folder / SEED.name)
    path = str(folder / "archive.db")
    got = runner.invoke(
        app, ["ingest", str(folder / SEED.name), str(CORPUS / "cables-sample.csv"), "--db", path]
    )
    assert got.exit_code == 0, got.output
    return path


def clean(result: object, code: int | None = None) -> str:
    """The output of a run that ended as the CLI meant it to (no exception escaped, no
    traceback printed), with its exit code checked."""
    exc = getattr(result, "exception", None)
    output = str(getattr(result, "output", ""))
    assert exc is None or isinstance(exc, SystemExit), (type(exc), exc, output[-500:])
    assert "Traceback" not in output and "╭─ Traceback" not in output, output[-500:]
    if code is not None:
        assert getattr(result, "exit_code", None) == code, output[-500:]
    return " ".join(re.sub("[│╭╮╰╯─]", " ", output).split())  # no boxes around messages


def test_version() -> None:
    got = runner.invoke(app, ["--version"])
    assert clean(got, 0) == f"cablegate {__version__}"


def test_show_prints_a_readable_cable_and_json_on_request(db: str) -> None:
    seed = SEED.read_text(encoding="utf-8").splitlines()
    got = runner.invoke(app, ["show", "09STATE314", "--db", db])
    clean(got, 0)
    lines = got.stdout.splitlines()
    assert lines[0].split() == ["ID:", "09STATE314"]
    assert lines[1].split(None, 1) == ["Subject:", seed[1]]
    head = lines[: lines.index("")]  # the metadata, up to the blank line
    fields = dict(line.split(":", 1) for line in head if not line.startswith(" "))
    assert fields["Classification"].strip() == seed[3]
    assert fields["Origin"].strip() == seed[4]
    # The header's date-time group, 030207Z JAN 09 (the export's date line has the day).
    assert fields["Created"].strip() == "2009-01-03 02:07 UTC"
    assert fields["Tags"].strip() == "PTER, IN, PK"  # TAGS: PTER IN PK
    # REF: A. ISLAMABAD 1  B. 08 NEW DELHI 3268, one to a line.
    assert fields["References"].strip() == "09ISLAMABAD1 (ISLAMABAD 1)"
    assert "\n" + " " * 16 + "08NEWDELHI3268 (08 NEW DELHI 3268)\n" in got.stdout
    assert fields["Version"].strip() == "1 of 1 (current)"
    assert "-- header" in got.stdout and "-- body" in got.stdout
    # The telegram's text is there as written (its first line: the header's DTG line).
    assert seed[5] == "O 030207Z JAN 09 ZFF4" and "\nO 030207Z JAN 09 ZFF4\n" in got.stdout
    assert not got.stdout.lstrip().startswith("{")

    got = runner.invoke(app, ["show", "03BUENOSAIRES1662", "--db", db, "--json"])
    record = json.loads(got.stdout)
    assert record["canonical_id"] == "03BUENOSAIRES1662"
    assert record["created"] == "2003-05-20T20:35:00Z"  # the row says 5/20/2003 20:35
    assert record["classification"] == "CONFIDENTIAL"
    assert record["origin"] == "Embassy Buenos Aires"
    assert "comment" in record and "summary" in record  # every field, null when absent
    readable = clean(runner.invoke(app, ["show", "03BUENOSAIRES1662", "--db", db]), 0)
    assert "Created: 2003-05-20 20:35 UTC" in readable
    assert "Classification: CONFIDENTIAL" in readable and "Origin: Embassy Buenos Aires" in readable
    # Its row cites 02BUENOSAIRES3442 and 02BUENOSAIRES4283.
    assert "02BUENOSAIRES3442" in readable and "02BUENOSAIRES4283" in readable


def test_show_refuses_bad_ids_and_versions(db: str) -> None:
    for cid in ("99NOWHERE1", "", "\x00", "x" * 5000):
        got = runner.invoke(app, ["show", cid, "--db", db])
        text = clean(got, 1)
        assert "not in the archive" in text
    for version in ("0", "-3", "99999999999999999999", "two"):
        got = runner.invoke(app, ["show", "03BUENOSAIRES1662", "--db", db, "--version", version])
        assert "--version" in clean(got, 2)


def test_search_and_export_formats_are_choices(db: str, tmp_path: Path) -> None:
    got = runner.invoke(app, ["search", "khan", "--db", db, "--format", "xml"])
    text = clean(got, 2)
    assert "'xml' is not one of" in text and "'table', 'json', 'jsonl'" in text
    got = runner.invoke(app, ["export", str(tmp_path / "out"), "--db", db, "--format", "xml"])
    text = clean(got, 2)
    assert "'xml' is not one of" in text and "'jsonl', 'csv', 'text'" in text
    assert not (tmp_path / "out").exists()  # refused before anything was written
    assert "'nowhere' is not one of" in clean(
        runner.invoke(app, ["export", str(tmp_path / "o"), "--db", db, "--by", "nowhere"]), 2
    )
    assert "'sideways' is not one of" in clean(
        runner.invoke(app, ["search", "khan", "--db", db, "--sort", "sideways"]), 2
    )
    for option, value in (("--limit", "0"), ("--page", "0"), ("--page", "99999999999")):
        got = runner.invoke(app, ["search", "khan", "--db", db, option, value])
        assert option in clean(got, 2)
    # The choices work.
    got = runner.invoke(app, ["search", "embassy", "--db", db, "--format", "json"])
    clean(got, 0)
    found = json.loads(got.stdout)
    assert found["hits"] and all(h["created"].endswith("Z") for h in found["hits"])
    got = runner.invoke(app, ["export", str(tmp_path / "csv"), "--db", db, "--format", "csv"])
    clean(got, 0)
    assert (tmp_path / "csv" / "cables.csv").exists()


def test_ingest_of_a_missing_path_says_so_first(tmp_path: Path) -> None:
    target = tmp_path / "new.db"
    missing = tmp_path / "nope"
    got = runner.invoke(app, ["ingest", str(SEED), str(missing), "--db", str(target)])
    text = clean(got, 1)
    assert text == f"error not found: {missing} (no such file or folder)"
    assert len(got.output.strip().splitlines()) == 1
    assert not target.exists()  # nothing was done: no archive made, the seed not read


BAD_DBS = ("mysql://x", "sqlite:///", "postgresql://nobody@127.0.0.1:1/none")


@pytest.mark.parametrize(
    "command",
    [
        ["show", "03BUENOSAIRES1662"],
        ["history", "03BUENOSAIRES1662"],
        ["stats"],
        ["check"],
        ["search", "khan"],
        ["export", "{tmp}/out"],
        ["release"],
        ["withdraw", "03BUENOSAIRES1662", "--reason", "x"],
        ["log"],
        ["quarantine"],
        ["token"],
        ["reindex", "-q"],
        ["build-site", "{tmp}/site", "-q"],
        ["ingest", str(SEED), "-q"],
        ["articles", "import", str(SEED)],
    ],
    ids=lambda c: c[0] if c[0] != "articles" else "articles-import",
)
def test_bad_databases_are_one_line_on_every_command(command: list[str], tmp_path: Path) -> None:
    args = [a.replace("{tmp}", str(tmp_path)) for a in command]
    not_a_db = tmp_path / "notes.txt"
    not_a_db.write_text("not a database\n")
    for bad in (*BAD_DBS, str(not_a_db)):
        got = runner.invoke(app, [*args, "--db", bad])
        text = clean(got)
        assert got.exit_code != 0, (args, bad)
        assert "error" in text, (args, bad, text)


def test_bad_paths_dates_and_numbers_are_messages(
    db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    cases = [
        (["export", str(a_file), "--db", db], "not a folder"),
        (["export", "/proc/no/such", "--db", db, "--quiet"], "No such file"),
        (["build-site", str(a_file), "--db", db, "-q"], "exists"),
        (["demo", str(a_file)], "exists"),
        (["parse", str(tmp_path / "nope")], "no such file or folder"),
        (["release", "03BUENOSAIRES1662", "--at", "garbage", "--db", db], "not a time"),
        (["release", "--at", "2010-13-45", "--db", db], "not a time"),
        (["release", "--file", str(tmp_path / "nope"), "--db", db], "cannot read"),
        (["ingest", str(SEED), "--release-at", "someday", "--db", db], "not a time"),
        (["search", "created:abc", "--db", db], "not a date"),
        (["search", "khan", "--db", db, "--index", "/proc/no/index"], "No such file"),
        (["quarantine", "--show", "99999999999999999999999", "--db", db], "--show"),
        (["log", "--limit", "-1", "--db", db], "--limit"),
        (["serve", "--db", db, "--port", "99999999"], "--port"),
        (["synth", str(tmp_path / "s"), "--count", "-1"], "--count"),
        (["copy", "/nonexistent/a.db", str(tmp_path / "c.db")], "no archive there"),
    ]
    for args, said in cases:
        got = runner.invoke(app, args)
        text = clean(got)
        assert got.exit_code != 0, args
        assert said in text, (args, text[-300:])
