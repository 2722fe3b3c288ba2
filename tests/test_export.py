"""Whole-archive exports round-trip: cables.csv (the 2011 dump's layout) and the plain-text
export layout, re-ingested into a new archive, give the same cables with the same fields."""

from __future__ import annotations

import re
from pathlib import Path

import msgspec
import pytest

from cablegate.archive import Archive
from cablegate.exports import export_archive, group_folder
from cablegate.ingest import ingest
from cablegate.model import Cable
from cablegate.search.serialize import public_source
from tests.conftest import CORPUS, SEEDS, requires_corpus, requires_seeds
from tests.corpus_counts import site_cables

pytestmark = [requires_corpus, pytest.mark.xdist_group("search")]

SUBJECT_LINE = re.compile(r"(?im)^\s*SUBJ(?:ECT)?\b")
FIELDS = (
    "canonical_id",
    "reference_id",
    "created",
    "classification",
    "origin",
    "subject",
    "header",
    "body",
    "tags",
    "references",
    "paragraphs",
    "classified_by",
    "signers",
    "transmission",
)


LINES = ("canonical_id", "reference_id", "created", "classification", "origin")
"""Fields of the text layout's metadata lines that come back whatever the body is (not the
subject: the body's SUBJECT line, when the reader finds one, is preferred to it)."""


def fields(cable: Cable | None) -> dict[str, object]:
    assert cable is not None
    record = msgspec.to_builtins(cable)
    return {name: record.get(name) for name in FIELDS}


def joined(record: dict[str, object]) -> str:
    """Both boxes' text, whitespace aside (each box is trimmed where it is split)."""
    return re.sub(r"\s+", "", str(record["header"] or "") + str(record["body"] or ""))


@pytest.mark.parametrize("fmt", ["csv", "text"])
def test_export_and_reingest_gives_the_same_cables(search_db: Path, tmp_path: Path, fmt) -> None:
    out = tmp_path / fmt
    with Archive.open(search_db, create=False) as archive:
        n = export_archive(archive, out, fmt)
        ids = archive.ids()
        assert n == len(ids) == site_cables(CORPUS)
        again = tmp_path / "again.db"
        with Archive.open(again) as copy:
            report = ingest(copy, [out], jobs=2)
            assert report.new == n and report.quarantined == 0, report.problems[:3]
            assert copy.ids() == ids
            titled, split_elsewhere = 0, []
            for cid in ids:
                want, got = fields(archive.cable(cid)), fields(copy.cable(cid))
                if fmt == "csv" and not SUBJECT_LINE.search(str(want["body"])):
                    # cables.csv has no subject column: a subject that only the page's title
                    # gave (no SUBJECT line in the body) cannot come back from it.
                    titled += 1
                    want.pop("subject"), got.pop("subject")
                if fmt == "text" and got != want:
                    # The reader finds the boundary of the joined boxes again (the body's
                    # classification line, or a dateline or cables.csv fields before it). Where
                    # it splits elsewhere, the fields parsed from the boxes differ, but the
                    # text always comes back (but for the whitespace at the split), and so do
                    # the metadata lines.
                    assert joined(got) == joined(want), cid
                    split_elsewhere.append(cid)
                    got = {k: v for k, v in got.items() if k in LINES}
                    want = {k: v for k, v in want.items() if k in LINES}
                assert got == want, cid
            assert titled < len(ids) * 0.05
            # Where the boundary is ambiguous (a header ending in the partial-extract note,
            # typos like "SS E C R E T", lower-case classification lines): 1.4% of the corpus.
            assert len(split_elsewhere) < len(ids) * 0.015, len(split_elsewhere)


def test_jsonl_export_holds_the_whole_records(search_db: Path, tmp_path: Path) -> None:
    with Archive.open(search_db, create=False) as archive:
        export_archive(archive, tmp_path, "jsonl", query="tag:PTER", by="classification")
        files = sorted(tmp_path.rglob("cables.jsonl"))
        assert {f.parent.name for f in files} >= {"SECRET", "CONFIDENTIAL", "SECRET-NOFORN"}
        seen = 0
        for path in files:
            for line in path.read_text(encoding="utf-8").split("\n")[:-1]:  # not splitlines
                cable = msgspec.json.decode(line, type=Cable)
                stored = archive.cable(cable.canonical_id)
                assert stored is not None and stored.provenance is not None
                # Inputs by their file name, not by their path on this machine.
                public = public_source(stored.provenance.path)
                assert cable.provenance is not None and cable.provenance.path == public
                assert str(CORPUS) not in line and public.startswith("cablegate-site.tar.xz!")
                assert cable == msgspec.structs.replace(
                    stored, provenance=msgspec.structs.replace(stored.provenance, path=public)
                )
                assert group_folder(cable, "classification") == path.parent.name
                assert "PTER" in cable.tags
                seen += 1
        assert seen == dict(archive.browse("tag"))["PTER"]


@requires_seeds
def test_text_export_keeps_the_seed_layout(tmp_path: Path) -> None:
    seed = SEEDS / "000_6b405a9335b029f2.txt"
    db = tmp_path / "seed.db"
    with Archive.open(db) as archive:
        ingest(archive, [seed], jobs=1)
        export_archive(archive, tmp_path / "out", "text", by="created")
    written = (tmp_path / "out" / "2009" / "01" / "09STATE314.txt").read_text()
    original = seed.read_text()
    # The same five metadata lines (the date in UTC) and the same telegram, byte for byte.
    assert written.splitlines()[:2] == original.splitlines()[:2]
    assert written.splitlines()[3:5] == original.splitlines()[3:5]
    assert written.split("\n", 5)[5] == original.split("\n", 5)[5]
