"""Write parsed cables into the archive: new cables, new versions, no-ops and quarantine.

Every method runs inside the caller's transaction; nothing here commits. All writes of one
input (version, current columns, references, tags, browse counts, full-text index, input
row) happen in that one transaction, so a reader or a crash never sees half of them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
from dataclasses import dataclass
from enum import StrEnum

from cablegate.archive.records import (
    Prepared,
    browse_keys,
    decode_cable,
    index_row,
    sort_key,
    version_order,
)


def utc_now() -> str:
    """Now, as the archive writes times: ISO 8601 in UTC, to the second."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="seconds")


class Outcome(StrEnum):
    NEW = "new"
    VERSION = "version"
    UNCHANGED = "unchanged"
    QUARANTINED = "quarantined"


@dataclass(frozen=True, slots=True)
class Source:
    """Where an input came from."""

    sha256: str
    path: str
    format: str
    row: int | None = None


def _columns(item: Prepared) -> tuple[str | None, ...]:
    """The ``cables`` columns that come from the current version, in schema order."""
    return (
        item.reference_id,
        item.created,
        item.released,
        item.classification,
        item.origin,
        item.subject,
        sort_key(item.released, item.created, item.canonical_id),
    )


def quarantine_key(raw: bytes | None, error: str) -> str:
    """Identity of a quarantined input: its bytes, or its error when no bytes could be read."""
    return hashlib.sha256(raw if raw is not None else error.encode()).hexdigest()


class Writer:
    """Applies ingest results to an open SQLite connection (inside a transaction)."""

    def __init__(self, conn: sqlite3.Connection, now: str) -> None:
        self.conn = conn
        self.now = now

    def known(self, shas: list[str]) -> set[str]:
        """Which of these input SHA-256s the archive has already ingested."""
        found: set[str] = set()
        for start in range(0, len(shas), 500):
            chunk = shas[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.conn.execute(
                f"SELECT DISTINCT sha256 FROM inputs WHERE sha256 IN ({marks})", chunk
            )
            found.update(r[0] for r in rows)
        return found

    def seen(self, source: Source) -> bool:
        """Record an input whose bytes are already in the archive (a no-op for the cables);
        False if the bytes are new."""
        row = self.conn.execute(
            "SELECT cable_id, version FROM inputs WHERE sha256 = ? LIMIT 1", (source.sha256,)
        ).fetchone()
        if row is None:
            return False
        self._input(source, row[0], row[1], ignore=True)
        return True

    def add(self, item: Prepared, source: Source) -> Outcome:
        """Store one parsed cable read from ``source``."""
        if self.seen(source):
            return Outcome.UNCHANGED
        cable = self.conn.execute(
            "SELECT id, current, versions FROM cables WHERE canonical_id = ?",
            (item.canonical_id,),
        ).fetchone()
        self._touch()
        if cable is None:
            cable_id = self._new_cable(item)
            self._input(source, cable_id, 1)
            return Outcome.NEW
        cable_id, current, count = cable
        same = self.conn.execute(
            "SELECT number FROM versions WHERE cable_id = ? AND text_sha256 = ?",
            (cable_id, item.text_sha256),
        ).fetchone()
        if same is not None:
            self._input(source, cable_id, same[0])
            return Outcome.UNCHANGED
        number = count + 1
        self._version(cable_id, number, item)
        (current_released,) = self.conn.execute(
            "SELECT released FROM versions WHERE cable_id = ? AND number = ?",
            (cable_id, current),
        ).fetchone()
        if version_order(item.released, number) >= version_order(current_released, current):
            self._make_current(cable_id, number, item)
        self.conn.execute("UPDATE cables SET versions = ? WHERE id = ?", (number, cable_id))
        self._input(source, cable_id, number)
        return Outcome.VERSION

    def quarantine(
        self,
        path: str,
        error: str,
        raw: bytes | None,
        fmt: str | None = None,
        row: int | None = None,
    ) -> Outcome:
        """Keep an input that could not be read, with its bytes and the reason."""
        self.conn.execute(
            "INSERT OR IGNORE INTO quarantine "
            "(key, path, row, format, error, raw, first_seen, last_tried) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (quarantine_key(raw, error), path, row, fmt, error, raw, self.now, self.now),
        )
        return Outcome.QUARANTINED

    # -- internals -------------------------------------------------------------------------

    def _touch(self) -> None:
        """Mark the archive changed: ``generation`` counts changes, ``modified`` is when."""
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES ('generation', 1), ('modified', ?) "
            "ON CONFLICT (key) DO UPDATE SET value = CASE key "
            "WHEN 'generation' THEN value + 1 ELSE excluded.value END",
            (utc_now(),),
        )

    def _input(self, source: Source, cable_id: int, version: int, ignore: bool = False) -> None:
        verb = "INSERT OR IGNORE" if ignore else "INSERT"
        self.conn.execute(
            f"{verb} INTO inputs (sha256, path, row, format, ingested_at, cable_id, version) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (source.sha256, source.path, source.row, source.format, self.now, cable_id, version),
        )

    def _new_cable(self, item: Prepared) -> int:
        cursor = self.conn.execute(
            "INSERT INTO cables (canonical_id, current, versions, reference_id, created, "
            "released, classification, origin, subject, sort_key) "
            "VALUES (?, 1, 1, ?, ?, ?, ?, ?, ?, ?)",
            (item.canonical_id, *_columns(item)),
        )
        cable_id = cursor.lastrowid
        assert cable_id is not None
        self._index(cable_id, (item.subject, item.body, *item.routing))
        self._version(cable_id, 1, item)
        self._links(cable_id, item)
        self._count(item, +1)
        return cable_id

    def _version(self, cable_id: int, number: int, item: Prepared) -> None:
        self.conn.execute(
            "INSERT INTO versions (cable_id, number, text_sha256, released, ingested_at, data) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (cable_id, number, item.text_sha256, item.released, self.now, item.data),
        )

    def _index(self, cable_id: int, row: tuple[str | None, str, str, str]) -> None:
        self.conn.execute(
            "INSERT INTO cables_fts (rowid, subject, body, sender, recipients) "
            "VALUES (?, ?, ?, ?, ?)",
            (cable_id, *row),
        )

    def _unindex(self, cable_id: int, current: int) -> None:
        """Take the current version out of the (contentless) index: FTS5 needs its text."""
        (data,) = self.conn.execute(
            "SELECT data FROM versions WHERE cable_id = ? AND number = ?", (cable_id, current)
        ).fetchone()
        self.conn.execute(
            "INSERT INTO cables_fts (cables_fts, rowid, subject, body, sender, recipients) "
            "VALUES ('delete', ?, ?, ?, ?, ?)",
            (cable_id, *index_row(decode_cable(data))),
        )

    def _make_current(self, cable_id: int, number: int, item: Prepared) -> None:
        old = self.conn.execute(
            "SELECT released, created, origin, classification, current FROM cables WHERE id = ?",
            (cable_id,),
        ).fetchone()
        self._unindex(cable_id, old[4])
        self._index(cable_id, (item.subject, item.body, *item.routing))
        old = old[:4]
        old_tags = [
            r[0]
            for r in self.conn.execute(
                "SELECT tag FROM tags WHERE cable_id = ? ORDER BY position", (cable_id,)
            )
        ]
        self._count_keys(browse_keys(*old, old_tags), -1)
        self.conn.execute(
            "UPDATE cables SET current = ?, reference_id = ?, created = ?, released = ?, "
            "classification = ?, origin = ?, subject = ?, sort_key = ? WHERE id = ?",
            (number, *_columns(item), cable_id),
        )
        self.conn.execute("DELETE FROM refs WHERE cable_id = ?", (cable_id,))
        self.conn.execute("DELETE FROM tags WHERE cable_id = ?", (cable_id,))
        self.conn.execute("DELETE FROM articles WHERE cable_id = ?", (cable_id,))
        self._links(cable_id, item)
        self._count(item, +1)

    def _links(self, cable_id: int, item: Prepared) -> None:
        self.conn.executemany(
            "INSERT INTO refs (cable_id, position, kind, target, text, label) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [(cable_id, i, *ref) for i, ref in enumerate(item.refs)],
        )
        order = sort_key(item.released, item.created, item.canonical_id)
        self.conn.executemany(
            "INSERT INTO tags (cable_id, position, tag, sort_key) VALUES (?, ?, ?, ?)",
            [(cable_id, i, tag, order) for i, tag in enumerate(item.tags)],
        )
        if item.articles:
            self.conn.executemany(
                "INSERT INTO articles (cable_id, position, url, title) VALUES (?, ?, ?, ?)",
                [(cable_id, i, url, title) for i, (url, title) in enumerate(item.articles)],
            )

    def _count(self, item: Prepared, delta: int) -> None:
        keys = browse_keys(item.released, item.created, item.origin, item.classification, item.tags)
        self._count_keys(keys, delta)

    def _count_keys(self, keys: list[tuple[str, str]], delta: int) -> None:
        self.conn.executemany(
            "INSERT INTO browse (kind, key, count) VALUES (?, ?, ?) "
            "ON CONFLICT (kind, key) DO UPDATE SET count = count + excluded.count",
            [(kind, key, delta) for kind, key in keys],
        )
        if delta < 0:
            self.conn.execute("DELETE FROM browse WHERE count <= 0")
