"""The web servers read the archive through connections that cannot write (SQLite's
``mode=ro``, PostgreSQL's read-only transactions); only releases falling due and the admin
routes write, through a connection of their own."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cablegate.archive import Archive
from cablegate.archive.db import DB_ERRORS
from cablegate.archive.pool import ArchivePool
from cablegate.errors import CablegateError
from cablegate.ingest import ingest
from cablegate.site.app import create_app
from cablegate.urls import cable_url
from tests.conftest import NewDb

SEED_ID = "09STATE314"


@pytest.fixture
def seeded(new_db: NewDb, seed_export: Path) -> str:
    db = new_db("readonly")
    with Archive.open(db) as archive:
        ingest(archive, [seed_export], jobs=1)
    return db


def test_a_read_only_archive_reads_but_cannot_write(seeded: str) -> None:
    with Archive.open(seeded, read_only=True) as archive:
        assert archive.ids() == [SEED_ID]
        assert archive.cable(SEED_ID) is not None
        with pytest.raises(DB_ERRORS), archive.transaction():
            archive.writer("2026-01-01 00:00:00").put_meta("written", "yes")
        with pytest.raises(DB_ERRORS):
            archive.conn.execute("DELETE FROM cables")
    with Archive.open(seeded) as archive:
        assert archive.meta("written") is None
        assert archive.ids() == [SEED_ID]


def test_a_read_only_archive_must_exist_and_be_current(seeded: str, tmp_path: Path) -> None:
    with pytest.raises(CablegateError, match="no archive there"):
        Archive.open(tmp_path / "nothing.db", read_only=True)
    assert not (tmp_path / "nothing.db").exists()
    with Archive.open(seeded) as archive, archive.transaction():
        archive.writer("2026-01-01 00:00:00").put_meta("schema", "5")
    with pytest.raises(CablegateError, match="archive schema 5, this cablegate reads"):
        Archive.open(seeded, read_only=True)
    Archive.open(seeded).close()  # opened for writing, it is brought up to date
    Archive.open(seeded, read_only=True).close()


def test_the_web_server_reads_through_a_connection_that_cannot_write(
    seeded: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[tuple[bool, Archive]] = []
    real_open = Archive.open.__func__  # type: ignore[attr-defined]

    def recording_open(cls: type[Archive], *args: object, **kwargs: object) -> Archive:
        archive = real_open(cls, *args, **kwargs)
        opened.append((bool(kwargs.get("read_only")), archive))
        return archive

    real_borrow = ArchivePool.borrow

    def recording_borrow(pool: ArchivePool) -> Archive:  # PostgreSQL: from the pools
        archive = real_borrow(pool)
        opened.append((pool.read_only, archive))
        return archive

    monkeypatch.setattr(Archive, "open", classmethod(recording_open))
    monkeypatch.setattr(ArchivePool, "borrow", recording_borrow)
    client = TestClient(create_app(seeded))
    with Archive.open(seeded) as archive:
        cable = archive.cable(SEED_ID)
    assert cable is not None
    page = client.get(cable_url(SEED_ID, cable.created))
    assert page.status_code == 200 and SEED_ID in page.text
    readers = [a for read_only, a in opened if read_only and not _closed(a)]
    assert readers, "pages are read through a read-only connection"
    for archive in readers:
        with pytest.raises(DB_ERRORS), archive.transaction():
            archive.writer("2026-01-01 00:00:00").put_meta("written", "yes")


def _closed(archive: Archive) -> bool:
    try:
        archive.conn.execute("SELECT 1")
    except DB_ERRORS:
        return True
    return False
