"""The archive built from the whole real corpus: counts, versions, graph, index, idempotence."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pytest
from msgspec.structs import replace

from cablegate.archive import Archive
from cablegate.archive.records import text_sha256, version_order
from cablegate.errors import ReadError, Unidentified
from cablegate.ingest import Report, ingest
from cablegate.model import CLASSIFICATIONS, OTHER_CLASSIFICATIONS, Cable
from cablegate.readers.collect import NOT_CABLE_TEXT, Skipped, read_paths
from cablegate.search.engine import all_hits
from tests import corpus_counts
from tests.conftest import (
    BACKENDS,
    CORPUS,
    SEEDS,
    _database,
    dump_archive,
    requires_corpus,
)
from tests.pgserver import Server

pytestmark = [requires_corpus, pytest.mark.xdist_group("corpus_archive")]


AT_INGEST = "9999-12-31 23:59:59"
"""Where the release date a source does not give falls in the order of versions: the
ingest's own time, after every date a source gives."""


class Expected:
    """What ingesting the corpus must give, worked out from the readers alone (no archive):
    per cable, its distinct texts in order of first appearance with their release dates."""

    def __init__(self, paths: list[Path]) -> None:
        self.docs = 0
        self.errors: list[ReadError] = []
        self.skipped = 0
        self.texts: dict[str, dict[str, tuple[int, str | None, Cable]]] = defaultdict(dict)
        unidentified: list[Unidentified] = []
        for item in read_paths(paths):
            if isinstance(item, Skipped):
                self.skipped += 1
            elif isinstance(item, Unidentified):
                unidentified.append(item)
            elif isinstance(item, ReadError):
                self.errors.append(item)
            else:
                self._add(item)
        # A copy that kept only its transmission header is the cable of the same station
        # sent at the same minute, when exactly one was read (the folder's order puts the
        # corpus's one such PDF after the cables.csv row it matches).
        for item in unidentified:
            assert item.created is not None and item.station is not None, item
            sender = f"{item.created.year % 100:02d}{item.station}"
            match = [
                cable_id
                for cable_id, versions in self.texts.items()
                if re.fullmatch(rf"{sender}\d+", cable_id)
                and any(v[2].created == item.created for v in versions.values())
            ]
            if len(match) == 1:
                self._add(replace(item.cable, canonical_id=match[0]))
            else:
                self.errors.append(item)

    def _add(self, item: Cable) -> None:
        self.docs += 1
        versions = self.texts[item.canonical_id]
        key = text_sha256(item)
        if key not in versions:
            # A text whose source gives no release date (cables.csv, the text export) takes
            # the ingest time, later than any date a source gives.
            released = item.released.strftime("%Y-%m-%d %H:%M:%S") if item.released else AT_INGEST
            versions[key] = (len(versions) + 1, released, item)

    @property
    def versions(self) -> int:
        return sum(len(v) for v in self.texts.values())

    def current(self, canonical_id: str) -> Cable:
        """The newest version, though a partial copy never displaces a full text."""
        versions = self.texts[canonical_id].values()
        return max(
            versions, key=lambda v: (not v[2].partial, version_order(v[1], v[0], _saved(v[2])))
        )[2]


def _saved(cable: Cable | None) -> int | None:
    """The site's counter on the page a version was read from."""
    return cable.provenance.site_count if cable and cable.provenance else None


@pytest.fixture(scope="module")
def corpus_inputs() -> list[Path]:
    return [CORPUS, SEEDS]


@pytest.fixture(scope="module")
def expected(corpus_inputs: list[Path]) -> Expected:
    return Expected(corpus_inputs)


@pytest.fixture(scope="module", params=BACKENDS)
def corpus_archive(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    pg_server: Server | None,
    corpus_inputs: list[Path],
) -> tuple[str, Report]:
    db = _database(request.param, pg_server, tmp_path_factory.mktemp("archive"), "cablegate")
    with Archive.open(db) as archive:
        report = ingest(archive, corpus_inputs, jobs=2)
    return db, report


def test_ingesting_the_corpus_stores_every_cable_and_version(
    corpus_archive: tuple[str, Report], expected: Expected
) -> None:
    db, report = corpus_archive
    assert report.balanced
    assert report.read == expected.docs + len(expected.errors) + expected.skipped
    assert report.new == len(expected.texts)
    assert report.new + report.versions == expected.versions
    assert report.unchanged == expected.docs - expected.versions
    assert report.quarantined == len(expected.errors)
    assert report.skipped == expected.skipped
    assert not report.missing
    # The same totals counted from the corpus files alone (tests/corpus_counts.py: archive
    # members, CSV rows split at their starts, IDs from file names and rows, each text digested
    # from the page's <pre> boxes or the row's header and content), not from the readers:
    # every page, row and seed is read once; texts of a cable that differ are its versions; the
    # other files are skipped (assets, pages that are no cable page) or quarantined (text files
    # in no cable format: metadata lists, pdftotext output, the mirror's robots.txt ...).
    counts = corpus_counts.count(CORPUS, SEEDS)
    assert report.read == counts.documents + len(counts.quarantined) + len(counts.skipped)
    assert report.new == counts.cables
    assert report.versions == counts.versions - counts.cables
    assert report.unchanged == counts.documents - counts.versions
    assert report.quarantined == len(counts.quarantined)
    assert report.skipped == len(counts.skipped)
    with Archive.open(db, create=False) as archive:
        stats = archive.stats()
        assert stats.cables == len(expected.texts)
        assert stats.versions == expected.versions
        assert stats.inputs == expected.docs
        assert stats.quarantined == len(expected.errors)
        assert archive.check() == []
        for cable_id in ("08STATE37957", "09STATE314", "04RANGOON1100", "85CAIRO6360"):
            assert archive.cable(cable_id) is not None, cable_id


def test_each_current_record_is_the_newest_release(
    corpus_archive: tuple[str, Report], expected: Expected
) -> None:
    db, _ = corpus_archive
    with Archive.open(db, create=False) as archive:
        for cable_id in expected.texts:
            stored = archive.cable(cable_id)
            assert stored is not None
            want = expected.current(cable_id)
            assert (stored.header, stored.body) == (want.header, want.body), cable_id


def test_version_history_of_changed_cables_is_in_release_order(
    corpus_archive: tuple[str, Report], expected: Expected
) -> None:
    db, _ = corpus_archive
    changed = [cid for cid, texts in expected.texts.items() if len(texts) > 1]
    assert len(changed) > 90
    with Archive.open(db, create=False) as archive:
        for cable_id in changed:
            history = archive.history(cable_id)
            assert len(history) == len(expected.texts[cable_id])
            keys = [
                version_order(v.released, v.number, _saved(archive.cable(cable_id, v.number)))
                for v in history
            ]
            assert keys == sorted(keys)
            # The newest is current, though a partial copy never displaces a full text.
            texts = [archive.cable(cable_id, v.number) for v in history]
            full = [i for i, c in enumerate(texts) if c is not None and not c.partial]
            newest = full[-1] if full else len(history) - 1
            assert [v.current for v in history] == [i == newest for i in range(len(history))]
            assert all(v.sources for v in history)
            assert history[0].change is None
            assert all(v.change is not None for v in history[1:])
        # 04RANGOON1100: the mirrors kept the 9 December text and a 12 December reformat; the
        # unredacted text of the 2011 cables.csv, which gives no release date, came last (it
        # took the ingest time).
        rangoon = archive.history("04RANGOON1100")
        dated = [archive.cable("04RANGOON1100", v.number) for v in rangoon]
        by_source = [c for c in dated if c is not None and not c.released_at_ingest]
        assert [c.released.date().isoformat() for c in by_source if c.released][-1] == "2010-12-12"
        assert any("versions/04RANGOON1100/3-released-2010-12-12" in s for s in rangoon[-2].sources)
        newest = archive.cable("04RANGOON1100")
        assert newest is not None and newest.released_at_ingest
        assert any("cables-dump-rows.csv" in s for s in rangoon[-1].sources)
        first = archive.cable("04RANGOON1100", rangoon[0].number)
        assert first is not None and first.body != newest.body
        assert rangoon[-1].change is not None
        assert rangoon[-1].change.words_added + rangoon[-1].change.words_removed > 0


def test_provenance_of_every_record(corpus_archive: tuple[str, Report]) -> None:
    db, _ = corpus_archive
    with Archive.open(db, create=False) as archive:
        conn = archive.conn
        rows = conn.execute("SELECT sha256, path, format, ingested_at FROM inputs").fetchall()
        assert all(len(sha) == 64 and path and fmt and when for sha, path, fmt, when in rows)
        formats = {r[2] for r in rows}
        assert formats == {
            "site-html",
            "site-text",
            "text-export",
            "cables-csv",
            "pdf",
            "telegram",
            "plusd-html",
        }
        csv_rows = conn.execute("SELECT row FROM inputs WHERE format = 'cables-csv'").fetchall()
        assert all(r[0] for r in csv_rows)
        seed = archive.cable("09STATE314")
        assert seed is not None and seed.provenance is not None
        assert seed.provenance.path.endswith("000_6b405a9335b029f2.txt")


def test_reference_graph_and_cited_by(corpus_archive: tuple[str, Report]) -> None:
    db, _ = corpus_archive
    with Archive.open(db, create=False) as archive:
        edges = archive.conn.execute(
            "SELECT c.canonical_id, r.target FROM refs r JOIN cables c ON c.id = r.cable_id "
            "WHERE r.kind = 'cable'"
        ).fetchall()
        assert len(edges) > 5_000
        known = set(archive.ids())
        inside = [(s, t) for s, t in edges if t in known and s != t]
        outside = [(s, t) for s, t in edges if t not in known]
        assert inside and outside
        for source, target in inside[:200] + outside[:200]:
            assert source in archive.cited_by(target)
            refs = archive.references(source)
            assert any(r.canonical_id == target for r in refs)
            assert all(r.in_archive == (r.canonical_id in known) for r in refs)
        stats = archive.stats()
        assert stats.cited_missing == len({t for _, t in outside})


def test_browse_tables_have_counts(corpus_archive: tuple[str, Report]) -> None:
    db, _ = corpus_archive
    with Archive.open(db, create=False) as archive:
        cables = archive.stats().cables
        classes = dict(archive.browse("classification"))
        assert set(classes) <= {*CLASSIFICATIONS, *OTHER_CLASSIFICATIONS}
        assert sum(classes.values()) == cables
        reldates = dict(archive.browse("reldate"))
        assert "2010-11-28" in reldates and min(reldates) == "2010-11-28"
        months = dict(archive.browse("month"))
        assert min(months) < "1970" and max(months) >= "2010-02"
        sent_by_state = corpus_counts.count(CORPUS, SEEDS).secretary_of_state()
        assert dict(archive.browse("origin"))["Secretary of State"] == sent_by_state
        tags = dict(archive.browse("tag"))
        assert tags["PREL"] > 1_000 and tags["PTER"] > 100


def test_full_text_index_finds_subject_and_body(corpus_archive: tuple[str, Report]) -> None:
    db, _ = corpus_archive
    with Archive.open(db, create=False) as archive:

        def hits(query: str) -> set[str]:
            return {hit.canonical_id for hit in all_hits(archive, query)}

        assert "08STATE37957" in hits("subject:khan") & hits('"A.Q. Khan"')
        assert "08STATE37957" not in hits("subject:tehran")
        assert len(hits("the")) > archive.stats().cables * 0.9
        # Every current body is indexed: a word from each of a sample of cables finds it.
        for cable_id in archive.ids()[::25]:
            cable = archive.cable(cable_id)
            assert cable is not None
            words = [w for w in cable.body.split() if w.isalpha() and len(w) > 6]
            if words:
                assert cable_id in hits(f'"{words[-1]}"'), cable_id


def test_second_ingest_changes_nothing(
    corpus_archive: tuple[str, Report], corpus_inputs: list[Path]
) -> None:
    db, first = corpus_archive
    before = dump_archive(db)
    with Archive.open(db) as archive:
        again = ingest(archive, corpus_inputs, jobs=2)
    assert again.balanced
    assert (again.new, again.versions) == (0, 0)
    assert again.unchanged == first.read - first.quarantined - first.skipped
    assert again.quarantined == first.quarantined
    assert dump_archive(db) == before


def test_every_pdf_telegram_text_and_plusd_page_is_a_cable(
    corpus_archive: tuple[str, Report],
) -> None:
    """The corpus's cables in files of their own (named by reference ID; the readers do not
    look at the names): 14 PDFs, 24 non-empty telegram texts, 3 PlusD pages, each stored as a
    version of the cable its name gives; the metadata lists are skipped, not quarantined."""
    db, report = corpus_archive
    files = [
        (name, cable_id)
        for path in sorted(CORPUS.rglob("*"))
        if path.is_file() and path.stat().st_size
        for name in [path.relative_to(CORPUS).as_posix()]
        for cable_id in [corpus_counts.own_file_id(name)]
        if cable_id is not None
    ]
    kinds = {n.split("/")[0] + ("/pdftotext" if "pdftotext" in n else "") for n, _ in files}
    assert len(files) == 41 and kinds == {"pdf", "pdf/pdftotext", "plusd"}
    with Archive.open(db, create=False) as archive:
        for name, cable_id in files:
            sources = [s for v in archive.history(cable_id) for s in v.sources]
            assert any(s.endswith(name) for s in sources), (name, cable_id, sources)
        assert archive.quarantined() == []
    assert report.skipped_reasons[NOT_CABLE_TEXT] >= 5  # metadata lists, robots.txt ...
