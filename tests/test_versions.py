"""Versions of a cable, on real corpus pages: release order, a date for each, word diffs
(line breaks ignored), redactions lifted and added, the "other versions" notice at the top
of the cable page, readers' names of fields, and ``cablegate history``.

Expected values come from reading the pages (``/tmp``-extracted members of the corpus
archives):

- 09RIYADH447 was saved four times with different text. The HTTrack copy
  (``httrack-mirror-sample``) is of the site's first layout (no Released column, "released so
  far... 243"); ``versions/09RIYADH447/3-…`` (counter 291, Released 2010-11-28 18:06) is a
  re-transcription; ``4-…`` and ``6-…`` (Released 2010-11-30 17:05) drop the body's stray
  first line ``xSunday, 22 March 2009, 10:14`` (five words) and nothing else; the site page
  (Released 2011-03-27 01:01) has the same words again, only a blank line more.
- 06MOSCOW9533: ``3-released-2010-11-28`` has four runs of X (``XXXXXXXXXXXXXXX.``,
  ``XXXXXX``, ``XXXXX``, ``XXXXXXX``); the page of 2010-12-01 23:11 has in their place
  "Chechnya's Duma member, Khalid (aka Ruslan) Yamadayev, brother of the commander of the
  notorious Vostok Battalion." (16 words), "Khalid" (1), "Khalid's" and "Yamadayev" after
  "Khalid" (2). A redaction is a run of six X or more (``count_redactions``), so three were
  lifted, restoring 16 + 1 + 2 = 19 words; "XXXXX" -> "Khalid's" is a plain word change.
- 07ALGIERS45: every page says Released 2010-11-30 16:04; the one saved at counter 471 names
  the journalist "Nadia Mellal" and the former senator "Dalila Helilou"; the one saved at
  597 and every later one (the site page at 6693) have seven ``XXXXXXXXXXXX`` in their place:
  the redaction came later, and the current version is the redacted one. The nine words
  hidden: "Nadia Mellal,", "Mellal", "Mellal,", "Dalila Helilou,", "Helilou", "Helilou",
  "Helilou's".
"""

from __future__ import annotations

import re
import tarfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from selectolax.lexbor import LexborHTMLParser
from typer.testing import CliRunner

from cablegate.archive import Archive, VersionInfo
from cablegate.archive.history import FIELD_LABELS, compare, field_label, word_diff
from cablegate.cli import app
from cablegate.ingest import ingest
from cablegate.site.app import create_app
from tests.conftest import CORPUS, requires_corpus

pytestmark = [requires_corpus]

CABLES = ("09RIYADH447", "06MOSCOW9533", "07ALGIERS45")
TARS = ("cablegate-site.tar.xz", "cablegate-versions.tar.xz", "httrack-mirror-sample.tar.xz")


@pytest.fixture(scope="module")
def versions_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """An archive of every page of these cables in the corpus: site page, older versions,
    HTTrack copy (ingested in that order, as ``cablegate ingest`` of the corpus does)."""
    root = tmp_path_factory.mktemp("versions")
    folders = []
    for name in TARS:
        folder = root / name.split(".")[0]
        with tarfile.open(CORPUS / name, "r|*") as tar:
            for member in tar:
                if member.isfile() and any(
                    f"{cid}.html" in member.name or f"/{cid}/" in member.name for cid in CABLES
                ):
                    tar.extract(member, folder, filter="data")
        folders.append(folder)
    db = str(root / "versions.db")
    with Archive.open(db) as archive:
        ingest(archive, folders, jobs=1)
    return db


def _source(v: VersionInfo) -> str:
    """Which page a version was first read from: ``site``, ``httrack`` or ``3-released-…``."""
    first = v.sources[0]
    if "cablegate-site/" in first:
        return "site"
    if "httrack" in first:
        return "httrack"
    return Path(first).name.split("-anarchivist")[0].split("-avilaroman")[0]


def test_versions_are_listed_in_release_order_each_dated(versions_db: str) -> None:
    with Archive.open(versions_db, create=False) as archive:
        history = archive.history("09RIYADH447")
    assert [_source(v) for v in history] == [
        "httrack",
        "3-released-2010-11-28",
        "4-released-2010-11-30",
        "site",
    ]
    assert [v.released for v in history] == [
        "2010-11-28 18:06:00",  # the first layout: the site's first release
        "2010-11-28 18:06:00",
        "2010-11-30 17:05:00",
        "2011-03-27 01:01:00",
    ]
    assert [v.current for v in history] == [False, False, False, True]
    # The numbers are the order of storage (the site page came first), not of release.
    assert history[-1].number == 1
    assert sorted(v.number for v in history) == [1, 2, 3, 4]
    assert [v.number for v in history] != [1, 2, 3, 4]
    # The same text under other Released times (later pages) is the same version.
    assert any("9-released-unknown" in s for s in history[-1].sources)


def test_same_release_time_is_ordered_by_when_the_page_was_saved(versions_db: str) -> None:
    with Archive.open(versions_db, create=False) as archive:
        history = archive.history("07ALGIERS45")
        current = archive.cable("07ALGIERS45")
        first = archive.cable("07ALGIERS45", history[0].number)
    assert [v.released for v in history] == ["2010-11-30 16:04:00"] * 2
    assert [_source(v) for v in history] == ["2-released-2010-11-30", "site"]
    assert history[-1].current
    assert current is not None and first is not None
    # The redaction came later: the public record is the redacted text.
    assert "Nadia Mellal" in first.body and "Nadia Mellal" not in current.body
    assert current.redactions == 7
    change = history[-1].change
    assert change is not None
    assert (change.redactions_added, change.words_redacted) == (7, 9)
    assert (change.words_added, change.words_removed) == (7, 9)
    assert change.redactions_lifted == 0


def test_word_diff_ignores_line_breaks(versions_db: str) -> None:
    with Archive.open(versions_db, create=False) as archive:
        history = archive.history("09RIYADH447")
        texts = [archive.cable("09RIYADH447", v.number) for v in history]
    second, third, current = (v.change for v in history[1:])
    assert third is not None and current is not None and second is not None
    # 3-released -> 4-released: the body's stray first line goes, nothing else.
    assert (third.words_added, third.words_removed) == (0, 5)
    assert not third.header_changed and third.labels == ["classification line"]
    before, after = texts[1], texts[2]
    assert before is not None and after is not None
    changed = [s for s in word_diff(before, after) if s.kind in ("ins", "del")]
    assert [(s.kind, s.text) for s in changed] == [("del", "xSunday, 22 March 2009, 10:14")]
    # The site page: the same words; a line diff sees a line more.
    assert (current.words_added, current.words_removed) == (0, 0)
    assert current.labels == ["paragraphs"]
    assert texts[3] is not None and texts[3].body != after.body
    assert texts[3].body.split() == after.body.split()
    # The first layout's transcription differs in a subject cut short, among others.
    assert "subject" in second.fields and second.words_added > 0


def test_redaction_lifted(versions_db: str) -> None:
    with Archive.open(versions_db, create=False) as archive:
        history = archive.history("06MOSCOW9533")
        before = archive.cable("06MOSCOW9533", history[0].number)
        after = archive.cable("06MOSCOW9533")
    assert [v.released for v in history] == ["2010-11-28 18:06:00", "2010-12-01 23:11:00"]
    assert before is not None and after is not None
    change = compare(before, after)
    assert change == history[1].change
    assert (change.redactions_lifted, change.words_restored) == (3, 19)
    assert change.redactions_added == 0
    assert "redactions" in change.labels
    pairs = [(s.kind, s.text) for s in word_diff(before, after) if s.kind != "same"]
    assert ("del", "XXXXXXXXXXXXXXX.") in pairs
    i = pairs.index(("del", "XXXXXXXXXXXXXXX."))
    assert pairs[i + 1] == (
        "ins",
        "Chechnya’s Duma member, Khalid (aka Ruslan) Yamadayev, brother of the commander "
        "of the notorious Vostok Battalion.",
    )


def test_field_names_for_readers() -> None:
    assert field_label("classification_line") == "classification line"
    assert field_label("tags") == "TAGS"
    assert field_label("redactions") == "redactions"
    assert field_label("declassification_text") == "declassification instructions"
    assert all("_" not in label for label in FIELD_LABELS.values())


def _page(client: TestClient, path: str) -> tuple[str, LexborHTMLParser]:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.text, LexborHTMLParser(response.text)


def test_cable_page_says_other_versions_exist(versions_db: str) -> None:
    client = TestClient(create_app(versions_db), follow_redirects=False)
    with Archive.open(versions_db, create=False) as archive:
        history = archive.history("09RIYADH447")
    path = "/cable/2009/03/09RIYADH447.html"
    html, tree = _page(client, path)
    notice = tree.css_first("div.versions-notice")
    assert notice is not None
    # Right under the title, before the introduction.
    assert html.index("</h1>") < html.index("versions-notice") < html.index("If you are new")
    text = " ".join(notice.text().split())
    assert text.startswith("There are 4 versions of this cable, in order of release:")
    v2, v3 = history[1].number, history[2].number
    assert f"Version {v3}, released 2010-11-30 17:05: 0 words added, 5 words removed." in text
    assert f"Version {v2}, released 2010-11-28 18:06:" in text
    assert "Version 1 (current) (this page), released 2011-03-27 01:01: same words" in text
    links = [a.attributes["href"] for a in notice.css("a")]
    assert links == [f"/cable/2009/03/09RIYADH447/version-{v.number}.html" for v in history[:3]]
    table = tree.css_first("table.versions")
    assert table is not None
    rows = [[" ".join(td.text().split()) for td in tr.css("td")] for tr in table.css("tbody tr")]
    assert [r[1] for r in rows] == [
        "2010-11-28 18:06",
        "2010-11-28 18:06",
        "2010-11-30 17:05",
        "2011-03-27 01:01",
    ]
    assert rows[2][3] == "+0 / −5 words; classification line"
    assert "classification_line" not in html and "unknown" not in table.text()


def test_earlier_version_shows_a_word_diff(versions_db: str) -> None:
    client = TestClient(create_app(versions_db), follow_redirects=False)
    with Archive.open(versions_db, create=False) as archive:
        history = archive.history("06MOSCOW9533")
    old = history[0].number
    html, tree = _page(client, f"/cable/2006/08/06MOSCOW9533/version-{old}.html")
    notice = tree.css_first("div.versions-notice")
    assert notice is not None
    text = " ".join(notice.text().split())
    assert f"This is an earlier version of this cable: version {old}, released 2010-11-28" in text
    assert "Version 1 (current), released 2010-12-01 23:11: 3 redactions lifted, 19 words " in text
    diff = tree.css_first("p.diff")
    assert diff is not None
    dels = [d.text() for d in diff.css("del")]
    ins = [i.text() for i in diff.css("ins")]
    assert "XXXXXXXXXXXXXXX." in dels and "Khalid" in ins
    assert any(i.startswith("Chechnya’s Duma member, Khalid (aka Ruslan)") for i in ins)
    # Words, not lines: no +/- line markers, and no line of the body repeated whole.
    assert not re.search(r"^[+-]", diff.text(), re.M)
    assert len(diff.text()) < len(html) / 2
    summary = tree.css_first("#changes + p")
    assert summary is not None
    assert summary.text().startswith("3 redactions lifted, 19 words restored.")


def test_diff_text_is_escaped(versions_db: str) -> None:
    """Cable text in the diff is text: what would be markup comes out escaped. (The first
    layout's transcription of 09RIYADH447 has straight quotes where later ones have curly
    ones: ``"one request":``.)"""
    client = TestClient(create_app(versions_db), follow_redirects=False)
    with Archive.open(versions_db, create=False) as archive:
        history = archive.history("09RIYADH447")
    html, tree = _page(client, f"/cable/2009/03/09RIYADH447/version-{history[0].number}.html")
    diff = tree.css_first("p.diff")
    assert diff is not None
    # Only the diff's own elements inside it.
    assert {n.tag for n in diff.iter()} <= {"ins", "del", "span", "-text"}
    assert "<del>&#34;one request&#34;:</del>" in html
    assert '"one request":' in [d.text() for d in diff.css("del")]


def test_history_command(versions_db: str) -> None:
    result = CliRunner().invoke(app, ["history", "09riyadh447", "--db", versions_db])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "09RIYADH447: 4 versions, in order of release"
    heads = [line for line in lines if line.startswith("  version")]
    assert [h.split(":")[0] for h in heads] == [
        "  version 4, released 2010-11-28 18",
        "  version 2, released 2010-11-28 18",
        "  version 3, released 2010-11-30 17",
        "  version 1 (current), released 2011-03-27 01",
    ]
    assert heads[2].endswith(
        ": 0 words added, 5 words removed (+0 / −5 words; classification line)"
    )
    assert heads[0].endswith(": first version")
    assert "classification_line" not in result.output
    assert "httrack-mirror-sample" in lines[2]
    missing = CliRunner().invoke(app, ["history", "99NOWHERE1", "--db", versions_db])
    assert missing.exit_code == 1 and "not in the archive" in missing.output
    assert "Traceback" not in missing.output
