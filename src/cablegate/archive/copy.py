"""Copy a whole archive from one database to another (SQLite to PostgreSQL and back), and
prove nothing was lost: every table's row count and checksum on both sides.

Every stored table is copied row for row, IDs included (the change log and the archive's
ID too, so a search index of the source stays valid for the copy), in one transaction on
the destination. The checksum of a table is the SHA-256 of its rows
in key order, so equal checksums mean equal contents whatever the database.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import msgspec

from cablegate.archive.archive import Archive
from cablegate.errors import CablegateError

TABLES: dict[str, str] = {
    "meta": "key",
    "entries": "id",
    "versions": "cable_id, number",
    "inputs": "id",
    "quarantine": "id",
    "articles": "id",
    "article_cables": "id",
    "cables": "id",
    "refs": "cable_id, position",
    "tags": "cable_id, position",
    "browse": "kind, key",
    "changes": "seq",
    "withdrawals": "cable_id, version",
    "audit": "id",
}
"""Every table that holds data, in an order that keeps references valid, with its key."""

BATCH = 2000


@dataclass(frozen=True)
class TableCheck:
    table: str
    source_rows: int
    copied_rows: int
    source_sha256: str
    copied_sha256: str

    @property
    def ok(self) -> bool:
        return (self.source_rows, self.source_sha256) == (self.copied_rows, self.copied_sha256)


@dataclass
class CopyReport:
    tables: list[TableCheck] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.tables)


def _columns(archive: Archive, table: str) -> list[str]:
    cursor = archive.conn.execute(f"SELECT * FROM {table} LIMIT 0")
    return [d[0] for d in cursor.description]


def _rows(archive: Archive, table: str, columns: list[str]) -> Iterator[tuple[Any, ...]]:
    sql = f"SELECT {', '.join(columns)} FROM {table} ORDER BY {TABLES[table]}"
    yield from archive.dialect.stream(archive.conn, sql)


def table_checksum(archive: Archive, table: str, columns: list[str]) -> tuple[int, str]:
    """(rows, SHA-256 of the rows in key order) of one table, the same on any database."""
    digest, count = hashlib.sha256(), 0
    encoder = msgspec.msgpack.Encoder()
    for row in _rows(archive, table, columns):
        digest.update(encoder.encode([bytes(v) if isinstance(v, memoryview) else v for v in row]))
        count += 1
    return count, digest.hexdigest()


def checksums(archive: Archive) -> dict[str, tuple[int, str]]:
    """Rows and checksum of every table of an archive (columns in name order)."""
    with archive.snapshot():
        return {t: table_checksum(archive, t, sorted(_columns(archive, t))) for t in TABLES}


def copy_archive(
    source: Archive, target: Archive, progress: Callable[[str, int], None] | None = None
) -> CopyReport:
    """Copy everything in ``source`` into the empty archive ``target`` and check every
    table against the source."""
    started = time.perf_counter()
    (held,) = target.conn.execute("SELECT count(*) FROM entries").fetchone()
    if held:
        raise CablegateError(f"{target.url}: already holds {held} cables; copy into an empty one")
    with source.snapshot(), target.transaction() as conn:
        target.conn.execute("DELETE FROM meta")
        for table in TABLES:
            columns = _columns(source, table)
            batch: list[tuple[Any, ...]] = []
            for row in _rows(source, table, columns):
                batch.append(row)
                if len(batch) == BATCH:
                    target.dialect.insert_rows(conn, table, columns, batch)  # COPY into PG
                    if progress:
                        progress(table, len(batch))
                    batch = []
            if batch:
                target.dialect.insert_rows(conn, table, columns, batch)
                if progress:
                    progress(table, len(batch))
    report = CopyReport()
    before, after = checksums(source), checksums(target)
    for table in TABLES:
        (rows, sha), (copied, copied_sha) = before[table], after[table]
        report.tables.append(TableCheck(table, rows, copied, sha, copied_sha))
    report.seconds = time.perf_counter() - started
    return report
