"""The counter and the release date of cables whose source gives none.

The counter reads like the original site's, "Currently released so far... 6,709 / 251,287":
the public cables out of the whole collection (its announced size, a setting, or the cables
the archive holds). Cables read from a text export, ``cables.csv`` or the demo set carry no
release date; they take the one the operator gives at ingest (``--released``, by default the
ingest time), marked as such in their record, so that no public cable shows an empty
"Released" and the release-day listings add up to the counter.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

from cablegate.archive import Archive
from cablegate.cli import app
from cablegate.site.app import create_app
from tests.conftest import CORPUS, SEEDS, requires_corpus
from tests.corpus_counts import canonical

pytestmark = requires_corpus

SAMPLE = CORPUS / "cables-sample.csv"
PAGE = CORPUS / "cablegate-site.tar.xz"
EXPORT = SEEDS / "000_6b405a9335b029f2.txt"  # cable 09STATE314, in the plain-text export
_COUNTER = re.compile(r"Currently released so far\.\.\. ([\d,]+) / ([\d,]+)")


def _sample_ids() -> list[str]:
    """The reference IDs of the sample's rows, read from the file (third column)."""
    text = SAMPLE.read_text(encoding="utf-8", errors="replace")
    return [canonical(i) for i in re.findall(r'^"\d+","[^"]*","([^"]+)",', text, re.M)]


def _ingest(db: Path, *args: str) -> str:
    result = CliRunner().invoke(app, ["ingest", *args, "--db", str(db), "-q", "-j", "1"])
    assert result.exit_code == 0, result.output
    return result.output


def _counter(db: Path) -> tuple[int, int]:
    """(released, total) as the home page's counter shows them."""
    with TestClient(create_app(str(db))) as client:
        html = client.get("/index.html").text
    m = _COUNTER.search(html)
    assert m, "no counter on the home page"
    return int(m[1].replace(",", "")), int(m[2].replace(",", ""))


def test_released_given_at_ingest_dates_every_undated_cable(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    out = _ingest(db, str(SAMPLE), str(EXPORT), "--released", "2011-09-01")
    rows = set(_sample_ids())
    assert len(rows) >= 5
    new, versions = map(
        int, re.search(r"= ([\d,]+) new cables \+ ([\d,]+) new versions", out).groups()
    )  # type: ignore[union-attr]
    assert f"{new + versions:,} without a release date took the ingest's" in out
    with Archive.open(str(db), create=False) as archive:
        ids = archive.ids()
        assert len(ids) == new
        for cable_id in [*rows, "09STATE314"]:
            cable = archive.cable(cable_id)
            assert cable is not None, cable_id
            assert cable.released == dt.datetime(2011, 9, 1, tzinfo=dt.UTC), cable_id
            assert cable.released_at_ingest
        assert dict(archive.browse("reldate")) == {"2011-09-01": len(ids)}
    # Every public cable has a release date, so the counter adds up: what the release-day
    # listings hold is what the counter says is released.
    assert _counter(db) == (new, new)


def test_by_default_undated_cables_take_the_ingest_time(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    _ingest(db, str(EXPORT))
    after = dt.datetime.now(dt.UTC)
    with Archive.open(str(db), create=False) as archive:
        cable = archive.cable("09STATE314")
        assert cable is not None and cable.released is not None
        assert before <= cable.released <= after
        assert cable.released_at_ingest
    # Ingesting the same file again changes nothing, its date included.
    _ingest(db, str(EXPORT), "--released", "2000-01-01")
    with Archive.open(str(db), create=False) as archive:
        again = archive.cable("09STATE314")
        assert again is not None and again.released == cable.released


def test_a_source_release_date_is_kept(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    # 08STATE37957's page (the second seed) says it was released 2010-11-30 21:09.
    page = SEEDS / "002_9bf8a78e29ea3dab.txt"
    out = _ingest(db, str(page), "--released", "2011-09-01")
    assert "without a release date" not in out
    with Archive.open(str(db), create=False) as archive:
        cable = archive.cable("08STATE37957")
        assert cable is not None
        assert cable.released == dt.datetime(2010, 11, 30, 21, 9, tzinfo=dt.UTC)
        assert not cable.released_at_ingest


def test_the_cable_page_shows_the_release_date_given_at_ingest(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    _ingest(db, str(EXPORT), "--released", "2011-09-01 12:00")
    with TestClient(create_app(str(db))) as client:
        page = client.get("/cable/2009/01/09STATE314.html")
    assert page.status_code == 200
    assert "2011-09-01 12:00" in page.text
    assert 'href="/reldate/2011-09-01_0.html"' in page.text


def test_counter_counts_the_collection_the_archive_holds(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    _ingest(db, str(EXPORT))
    _ingest(db, str(SAMPLE), "--private")  # held, not yet released
    held = len({*_sample_ids(), "09STATE314"})  # the sample holds no 09STATE314
    assert held > 50
    assert _counter(db) == (1, held)


def test_counter_shows_the_announced_total(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "a.db"
    _ingest(db, str(EXPORT))
    monkeypatch.setenv("CABLEGATE_ANNOUNCED_TOTAL", "251287")
    assert _counter(db) == (1, 251_287)
    # An announced total below what is released already shows what is released.
    monkeypatch.setenv("CABLEGATE_ANNOUNCED_TOTAL", "0")
    assert _counter(db) == (1, 1)


def test_bad_release_dates_are_one_line(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    runner = CliRunner()
    for args, words in (
        (["--released", "next tuesday"], "not a time"),
        (["--released", "2011-09-01", "--private"], "--released is for cables published at once"),
        (["--released", "2011-09-01", "--release-at", "2011-09-02"], "--released is for"),
    ):
        result = runner.invoke(app, ["ingest", str(EXPORT), "--db", str(db), "-q", *args])
        assert result.exit_code == 2, result.output
        assert words in result.output
        assert "Traceback" not in result.output
        assert len(result.output.strip().splitlines()) == 1, result.output
    assert not db.exists() or Archive.open(str(db), create=False).stats().cables == 0


def test_the_bad_setting_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CABLEGATE_ANNOUNCED_TOTAL", "lots")
    result = CliRunner().invoke(app, ["stats", "--db", str(tmp_path / "none.db")])
    assert result.exit_code != 0
    assert "CABLEGATE_ANNOUNCED_TOTAL='lots'" in result.output
    assert "Traceback" not in result.output


def test_the_page_says_the_release_date_is_this_archives(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    _ingest(db, str(EXPORT), "--released", "2011-09-01 12:00")
    _ingest(db, str(SEEDS / "002_9bf8a78e29ea3dab.txt"))
    with TestClient(create_app(str(db))) as client:
        undated = client.get("/cable/2009/01/09STATE314.html").text
        dated = client.get("/cable/2008/04/08STATE37957.html").text
    assert "(in this archive)</abbr>" in undated
    assert "(in this archive)" not in dated
