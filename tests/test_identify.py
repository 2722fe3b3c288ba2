"""A telegram copy that kept only its transmission header (the corpus's PDF of 00DAMASCUS3013:
DTG, FM, TO, INFO and nothing else) names no reference number. It is identified through the
archive: the one cable sent from the same station at the same minute. Without such a cable it
stays in quarantine, saying so, and a retry after the full text arrives takes it in."""

from __future__ import annotations

import lzma
import re
from pathlib import Path

import pytest

from cablegate.archive import Archive
from cablegate.ingest import ingest, retry_quarantine
from tests.conftest import CORPUS, NewDb, requires_corpus

pytestmark = requires_corpus

PDF = CORPUS / "pdf" / "00DAMASCUS3013.pdf"


def dump_row(reference_id: str) -> bytes:
    """The cables.csv row of one cable from the corpus's dump rows, as its bytes (rows start
    with their quoted number and created time; the next start ends it)."""
    data = lzma.decompress((CORPUS / "cables-dump-rows.csv.xz").read_bytes())
    starts = [m.start() for m in re.finditer(rb'(?m)^"\d+","\d{1,2}/\d{1,2}/\d{4} \d', data)]
    for a, b in zip(starts, [*starts[1:], len(data)], strict=True):
        if data[a : a + 80].split(b",")[2] == f'"{reference_id}"'.encode():
            return data[a:b]
    raise AssertionError(reference_id)


@pytest.fixture
def row_file(tmp_path: Path) -> Path:
    path = tmp_path / "row.csv"
    path.write_bytes(dump_row("00DAMASCUS3013"))
    return path


def test_header_only_copy_joins_the_cable_sent_at_its_minute(new_db: NewDb, row_file: Path) -> None:
    with Archive.open(new_db("a")) as archive:
        first = ingest(archive, [row_file], jobs=1)
        assert first.new == 1
        report = ingest(archive, [PDF], jobs=1)
        assert (report.versions, report.quarantined) == (1, 0), report.problems
        history = archive.history("00DAMASCUS3013")
        assert len(history) == 2
        # The full text stays current: a partial copy never replaces it.
        current = archive.cable("00DAMASCUS3013")
        assert current is not None and not current.partial
        assert current.provenance is not None and current.provenance.format == "cables-csv"
        copy = archive.cable("00DAMASCUS3013", version=2)
        assert copy is not None and copy.partial and copy.body.strip() == ""
        assert copy.provenance is not None and copy.provenance.format == "pdf"
        how = {i.field: i.how for i in copy.inferred}
        assert "DAMASCUS" in how["reference_id"] and "2000-06-13 18:30" in how["reference_id"]
        assert copy.origin == current.origin


def test_without_its_cable_it_waits_in_quarantine_until_a_retry(
    new_db: NewDb, row_file: Path
) -> None:
    with Archive.open(new_db("a")) as archive:
        report = ingest(archive, [PDF], jobs=1)
        assert report.quarantined == 1
        (entry,) = archive.quarantined()
        assert "no public cable sent from DAMASCUS at 2000-06-13 18:30 UTC" in entry.error
        assert "quarantine --retry" in entry.error
        ingest(archive, [row_file], jobs=1)
        again = retry_quarantine(archive)
        assert (again.versions, again.quarantined) == (1, 0), again.problems
        assert archive.quarantined() == []
        assert len(archive.history("00DAMASCUS3013")) == 2
