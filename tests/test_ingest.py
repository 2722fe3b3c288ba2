"""Ingest: quarantine of bad input, retry after a fix, kill -9 safety, concurrent readers."""

from __future__ import annotations

import io
import itertools
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cablegate.archive import Archive
from cablegate.archive.db import DB_ERRORS
from cablegate.archive.store import Visibility
from cablegate.cli import app
from cablegate.errors import CablegateError, ReadError
from cablegate.ingest import ingest, retry_quarantine
from cablegate.readers import collect
from cablegate.readers.cables_csv import iter_rows
from cablegate.readers.collect import NOT_CABLE_BINARY
from tests.conftest import CORPUS, NewDb, dump_archive, iter_tar_html, requires_corpus
from tests.corpus_counts import site_cables

pytestmark = requires_corpus
CABLEGATE = [sys.executable, "-m", "cablegate.cli"]


@pytest.fixture(scope="module")
def pages() -> list[tuple[str, bytes]]:
    return list(itertools.islice(iter_tar_html("cablegate-site.tar.xz"), 40))


def _corrupt_zip(good: bytes, bad: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("good.html", good)
        z.writestr("bad.html", bad)
    data = bytearray(buffer.getvalue())
    # Damage the compressed bytes of the second member (its local header is after the first).
    start = data.index(b"bad.html") + len("bad.html") + 200
    data[start : start + 64] = bytes(64)
    return bytes(data)


@pytest.fixture
def bad_collection(tmp_path: Path, pages: list[tuple[str, bytes]]) -> Path:
    folder = tmp_path / "collection"
    (folder / "good").mkdir(parents=True)
    for name, data in pages[:20]:
        (folder / "good" / Path(name).name).write_bytes(data)
    truncated = pages[20][1]
    (folder / "truncated.html").write_bytes(truncated[: len(truncated) // 3])
    (folder / "binary.bin").write_bytes(b"\x00\x01\x02garbage\xff" * 100)  # no cable: skipped
    # Looks like a cable (TAGS, SUBJECT) but names no station, number or date: quarantined.
    (folder / "fragment.txt").write_bytes(FRAGMENT)
    rows = [row for _, row in iter_rows([(CORPUS / "cables-sample.csv").read_bytes()])][:3]
    broken = b'"9","1/1/2005 10:00","05ROME1","Embassy Rome","SECRET"broken quote here\n'
    (folder / "rows.csv").write_bytes(rows[0] + broken + rows[1] + rows[2])
    (folder / "mixed.zip").write_bytes(_corrupt_zip(pages[21][1], pages[22][1]))
    return folder


FRAGMENT = b"TAGS: PREL PGOV\nSUBJECT: NOTES FROM A MEETING\n\n1. (C) SOME TEXT.\n" * 20


def rows_csv_line(path: Path) -> int:
    """Line number of the broken row in rows.csv (the second row)."""
    return next(n for n, line in enumerate(path.read_bytes().splitlines(), 1) if b"05ROME1" in line)


def test_bad_inputs_go_to_quarantine_and_the_rest_is_ingested(
    new_db: NewDb, bad_collection: Path
) -> None:
    db = new_db("a")
    with Archive.open(db) as archive:
        report = ingest(archive, [bad_collection], jobs=2)
        entries = archive.quarantined()
        stats = archive.stats()
    assert report.balanced
    assert report.quarantined == 4, report.problems
    by_path = {Path(e.path.split("!")[-1]).name: e for e in entries}
    assert "truncated Cable Viewer page" in by_path["truncated.html"].error
    assert by_path["truncated.html"].size is not None
    assert "binary.bin" not in by_path  # no cable: skipped, with why
    assert report.skipped_reasons[NOT_CABLE_BINARY] == 1
    assert by_path["fragment.txt"].error and by_path["fragment.txt"].size == len(FRAGMENT)
    assert "broken quoting" in by_path["rows.csv"].error
    assert by_path["rows.csv"].row == rows_csv_line(bad_collection / "rows.csv")
    assert "corrupt archive member" in by_path["bad.html"].error
    assert "mixed.zip!bad.html" in by_path["bad.html"].path
    # Everything else is in: the 20 pages, the good zip member and the good CSV rows.
    assert report.new + report.versions + report.unchanged == report.read - 4 - report.skipped
    assert stats.cables >= 21 and stats.quarantined == 4
    # The raw bytes are kept: the quarantined CSV row is exactly the broken row.
    with Archive.open(db, create=False) as archive:
        raw = archive.quarantine_raw(by_path["rows.csv"].id)
        assert raw is not None and raw.startswith(b'"9","1/1/2005 10:00","05ROME1"')
        assert archive.check() == []
    # Ingesting again adds nothing, not even a second quarantine entry.
    before = dump_archive(db)
    with Archive.open(db) as archive:
        again = ingest(archive, [bad_collection], jobs=1)
    assert (again.new, again.versions, again.quarantined) == (0, 0, 4)
    assert dump_archive(db) == before


def test_quarantine_command_lists_entries(new_db: NewDb, bad_collection: Path) -> None:
    db = new_db("a")
    runner = CliRunner()
    result = runner.invoke(app, ["ingest", str(bad_collection), "--db", str(db), "-q"])
    assert result.exit_code == 0, result.output
    assert "4 quarantined" in result.output
    listing = runner.invoke(app, ["quarantine", "--db", str(db)])
    assert listing.exit_code == 0
    for needle in ("truncated.html", "fragment.txt", "broken quoting", "corrupt archive member"):
        assert needle in listing.output
    shown = runner.invoke(app, ["quarantine", "--db", str(db), "--show", "1"])
    assert shown.exit_code == 0 and shown.stdout_bytes


def test_retry_after_a_parser_fix_takes_inputs_out_of_quarantine(
    tmp_path: Path,
    new_db: NewDb,
    pages: list[tuple[str, bytes]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for name, data in pages[:5]:
        (folder / Path(name).name).write_bytes(data)
    victim = Path(pages[2][0]).stem
    real = collect.site.read_site_page

    def buggy(data: bytes, path: str):  # a parser bug that hits one page
        if victim in path:
            raise RuntimeError("parser bug")
        return real(data, path)

    monkeypatch.setattr(collect.site, "read_site_page", buggy)
    db = new_db("a")
    with Archive.open(db) as archive:
        report = ingest(archive, [folder], jobs=1)
        assert (report.new, report.quarantined) == (4, 1)
        assert "parser failed: RuntimeError: parser bug" in archive.quarantined()[0].error
        still = retry_quarantine(archive)  # not fixed yet: stays, one more attempt
        assert still.quarantined == 1 and archive.quarantined()[0].attempts == 2
        monkeypatch.setattr(collect.site, "read_site_page", real)  # the fix
        fixed = retry_quarantine(archive)
        assert (fixed.new, fixed.quarantined) == (1, 0)
        assert archive.quarantined() == []
        assert archive.cable(victim) is not None
        assert archive.stats().cables == 5
        assert archive.check() == []


def _count(db: str) -> int:
    try:
        with Archive.open(db, create=False) as archive:
            return archive.conn.execute("SELECT count(*) FROM cables").fetchone()[0]
    except (CablegateError, *DB_ERRORS):
        return 0


def _ingest_process(source: Path, db: str, jobs: int = 2) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [*CABLEGATE, "ingest", str(source), "--db", db, "-q", "-j", str(jobs)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _kill_when(proc: subprocess.Popen[bytes], db: str, cables: int) -> None:
    deadline = time.monotonic() + 120
    while _count(db) < cables:
        assert proc.poll() is None, "ingest finished before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()


def test_kill_9_and_rerun_ends_as_one_uninterrupted_run(new_db: NewDb) -> None:
    source = CORPUS / "cablegate-versions.tar.xz"
    clean = new_db("clean")
    proc = _ingest_process(source, clean)
    assert proc.wait() == 0, proc.stderr.read() if proc.stderr else ""
    total = _count(clean)
    assert total > 2_000

    killed = new_db("killed")
    _kill_when(_ingest_process(source, killed), killed, 400)
    first = _count(killed)
    assert 0 < first < total
    _kill_when(_ingest_process(source, killed), killed, first + 600)
    assert _count(killed) < total
    proc = _ingest_process(source, killed)
    assert proc.wait() == 0
    assert dump_archive(killed) == dump_archive(clean)
    with Archive.open(killed, create=False) as archive:
        assert archive.check() == []


def test_a_reader_during_ingest_sees_only_whole_states(new_db: NewDb) -> None:
    db = new_db("live")
    with Archive.open(db):
        pass  # schema in place before the reader starts
    proc = _ingest_process(CORPUS / "cablegate-site.tar.xz", db)
    seen: set[int] = set()
    with Archive.open(db, create=False) as archive:
        while proc.poll() is None or not seen:
            with archive.snapshot() as conn:
                cables, versions_sum = conn.execute(
                    "SELECT count(*), coalesce(sum(versions), 0) FROM cables"
                ).fetchone()
                versions = conn.execute("SELECT count(*) FROM versions").fetchone()[0]
                # Each cable's publication is logged (for the search index) in its transaction.
                logged = conn.execute("SELECT count(DISTINCT cable_id) FROM changes").fetchone()[0]
                counted = conn.execute(
                    "SELECT coalesce(sum(count), 0) FROM browse WHERE kind = 'classification'"
                ).fetchone()[0]
                inputs = conn.execute("SELECT count(*) FROM inputs").fetchone()[0]
            assert versions == versions_sum
            assert logged == cables == counted
            assert inputs >= versions
            seen.add(cables)
            time.sleep(0.02)
    assert proc.wait() == 0
    assert len(seen) >= 3 and max(seen) == site_cables(CORPUS)


def test_cli_ingest_show_history_stats_check(tmp_path: Path, new_db: NewDb) -> None:
    db = new_db("a")
    runner = CliRunner()
    source = str(CORPUS / "cables-sample.csv")
    result = runner.invoke(app, ["ingest", source, "--db", db, "-j", "1"])
    assert result.exit_code == 0, result.output
    assert "read 75 inputs = 71 new cables + 2 new versions + 2 unchanged" in " ".join(
        result.output.split()
    )
    shown = runner.invoke(app, ["show", "08STATE 37957", "--db", db])
    assert shown.exit_code in (0, 1)
    some_id = Archive.open(db).ids()[0]
    shown = runner.invoke(app, ["show", some_id, "--db", db, "--json"])
    assert shown.exit_code == 0 and f'"canonical_id": "{some_id}"' in shown.output
    shown = runner.invoke(app, ["show", some_id, "--db", db])
    assert shown.exit_code == 0 and shown.output.split("\n", 1)[0].split() == ["ID:", some_id]
    assert runner.invoke(app, ["show", "99NOWHERE1", "--db", db]).exit_code == 1
    history = runner.invoke(app, ["history", "85CAIRO6360", "--db", db])
    assert history.exit_code == 0 and "(current)" in history.output
    stats = runner.invoke(app, ["stats", "--db", db])
    assert '"cables": 71' in stats.output
    assert runner.invoke(app, ["check", "--db", db]).exit_code == 0
    missing = runner.invoke(app, ["ingest", str(tmp_path / "nope"), "--db", db])
    assert missing.exit_code == 1 and "not found" in missing.output


def test_read_errors_keep_raw_bytes_when_pickled() -> None:
    import pickle

    error = ReadError("x.html", "truncated", b"<html>")
    again = pickle.loads(pickle.dumps(error))
    assert (again.path, again.reason, again.raw) == ("x.html", "truncated", b"<html>")


UNDATED = Visibility(now=True, undated="2011-09-01 00:00:00")
"""Public at once; a text without a release date takes one fixed date (not the time of
each of the two runs compared)."""


def _one_by_one(db: str, folder: Path) -> None:
    """The archive as :meth:`Writer.add` alone writes it: each input in turn, in the order
    the ingest reads them (the reference for the ingest's batched writes)."""
    import hashlib

    from cablegate.archive import Source, utc_now
    from cablegate.archive.records import prepare
    from cablegate.model import Cable

    with Archive.open(db) as archive, archive.transaction():
        writer = archive.writer(utc_now(), UNDATED)
        for doc in collect.iter_documents([folder], collect.Meter(), False):
            if isinstance(doc, collect.Skipped):
                continue
            if isinstance(doc, ReadError):
                writer.quarantine(doc.path, doc.reason, doc.raw)
                continue
            source = Source(hashlib.sha256(doc.data).hexdigest(), doc.path, doc.format, doc.line)
            if writer.seen(source):
                continue
            parsed = collect.parse_document(doc)
            if isinstance(parsed, Cable):
                writer.add(prepare(parsed), source)
            else:
                writer.quarantine(doc.path, parsed.reason, doc.data, doc.format, doc.line)


def test_batched_writes_give_the_rows_one_by_one_writes_give(
    new_db: NewDb, tmp_path: Path, bad_collection: Path
) -> None:
    """The ingest writes a batch's new cables a table at a time (COPY on PostgreSQL); the
    archive is the same, to the last row ID, as one written a cable at a time: with new
    cables, older and newer versions of them, a cable twice in a batch, an input seen before,
    press articles, quarantined and skipped files between them."""
    folder = bad_collection
    versions = list(itertools.islice(iter_tar_html("cablegate-versions.tar.xz"), 200))
    for name, data in versions:
        (folder / "good" / f"older-{Path(name).name}").write_bytes(data)
    pages = list(itertools.islice(iter_tar_html("cablegate-site.tar.xz"), 40, 300))
    for name, data in pages:
        (folder / Path(name).name).write_bytes(data)
    (folder / "again.html").write_bytes(pages[0][1])  # the same bytes under another name
    batched, reference = new_db("batched"), new_db("reference")
    with Archive.open(batched) as archive:
        report = ingest(archive, [folder], jobs=1, visibility=UNDATED)
    assert report.new > 100 and report.versions > 0 and report.unchanged > 0
    assert report.quarantined > 0 and report.skipped > 0
    _one_by_one(reference, folder)
    assert dump_archive(batched) == dump_archive(reference)
    with Archive.open(batched) as archive, Archive.open(reference) as other:
        for sql in (
            "SELECT seq, cable_id FROM changes ORDER BY seq",
            "SELECT id, url FROM articles ORDER BY id",
            "SELECT id, article_id, canonical_id FROM article_cables ORDER BY id",
            "SELECT value FROM meta WHERE key = 'generation'",
        ):
            assert archive.conn.execute(sql).fetchall() == other.conn.execute(sql).fetchall()


def test_an_ingest_without_the_index_leaves_it_to_catch_up_when_next_used(
    new_db: NewDb, tmp_path: Path, pages: list[tuple[str, bytes]]
) -> None:
    """``ingest --no-index`` (a PostgreSQL archive's ingest host: every web server keeps its
    own index) writes no index; a search afterwards catches up and finds every cable."""
    from cablegate.search.engine import all_hits
    from cablegate.search.index import default_path

    folder = tmp_path / "pages"
    folder.mkdir()
    for name, data in pages[:10]:
        (folder / Path(name).name).write_bytes(data)
    db = new_db("noindex")
    index = tmp_path / "noindex.index"
    result = CliRunner().invoke(
        app, ["ingest", str(folder), "--db", db, "--index", str(index), "--no-index", "-q"]
    )
    assert result.exit_code == 0, result.output
    assert "10 new cables" in result.output
    with Archive.open(db, create=False) as archive:
        assert not index.exists() and not default_path(archive).exists()
        ids = set(archive.ids())
        hits = {hit.canonical_id for hit in all_hits(archive, "the OR embassy")}
        assert hits == ids and len(ids) == 10
        assert default_path(archive).exists()  # caught up when first used
