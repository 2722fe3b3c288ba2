"""Write parsed cables into the archive: new cables, new versions, no-ops and quarantine;
publish versions when they are due; link press articles.

Every method runs inside the caller's transaction; nothing here commits. All writes of one
input (version, current columns, references, tags, browse counts, change log, input row)
happen in that one transaction, so a reader or a crash never sees half of them.

A version is stored with its visibility and reaches the public tables (``cables``, ``tags``,
``refs``, ``browse``; the ``changes`` log tells the search index) only when it is
published: at once for public input, at its release time for scheduled input
(:meth:`Writer.publish_due`), never for private input until it is scheduled
(:meth:`Writer.schedule`).
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import msgspec

from cablegate.archive.db import SQLITE, Connection, Dialect
from cablegate.archive.records import (
    Prepared,
    browse_keys,
    current_order,
    decode_cable,
    prepare,
    sort_key,
)
from cablegate.errors import CablegateError


def utc_now() -> str:
    """Now, as the archive writes times: ISO 8601 in UTC, to the second."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="seconds")


def local_user() -> str:
    """Who runs this command, as the audit trail names a command-line user."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name for this uid (a bare container)
        return f"uid {os.getuid()}" if hasattr(os, "getuid") else "unknown"


def listed(items: list[str], most: int = 100) -> str:
    """Items as the audit trail names them: how many, and the first ``most``."""
    shown = ", ".join(items[:most]) + (f" ... ({len(items) - most} more)" * (len(items) > most))
    return f"{len(items)}: {shown}"


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


@dataclass(frozen=True, slots=True)
class Visibility:
    """When the versions a writer stores become public: at once (:data:`PUBLIC`, keeping
    the release date their source gives), not until scheduled (:data:`PRIVATE`), or at a
    time (``Visibility("2010-11-28 18:00:00")``, UTC; that becomes their release date)."""

    at: str | None = None
    now: bool = False
    undated: str | None = None
    """Public at once: the release date of versions whose source gives none (``cablegate
    ingest --released``); None: the writer's time, when they are stored."""


PUBLIC = Visibility(now=True)
PRIVATE = Visibility()


@dataclass(frozen=True, slots=True)
class Published:
    canonical_id: str
    version: int
    at: str


@dataclass(frozen=True, slots=True)
class Withdrawn:
    """What :meth:`Writer.withdraw` took down: the versions, and the cable's current
    version after it (None: the cable is no longer public)."""

    canonical_id: str
    versions: list[int]
    current: int | None


VERSION_COLUMNS = (
    "cable_id", "number", "text_sha256", "released", "ingested_at", "data", "release_at",
    "published_at",
)  # fmt: skip
INPUT_COLUMNS = ("id", "sha256", "path", "row", "format", "ingested_at", "cable_id", "version")
CABLE_COLUMNS = (
    "id", "canonical_id", "current", "versions", "reference_id", "created", "released",
    "classification", "origin", "subject", "sort_key",
)  # fmt: skip


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


def _released_at_ingest(item: Prepared, released: str) -> Prepared:
    """A version published at once whose source gives no release date takes the one chosen
    at ingest, marked as such in its record, so every public cable has a release date.
    (Scheduled versions take their release time when published instead.)"""
    cable = decode_cable(item.data)
    when = dt.datetime.fromisoformat(released).replace(tzinfo=dt.UTC)  # as readers give times
    return prepare(msgspec.structs.replace(cable, released=when, released_at_ingest=True))


def _next(table: str, key: str = "id") -> str:
    """The row ID a new row takes: one more than the largest, as SQLite chooses by itself.
    Writers take turns, so on PostgreSQL too IDs run without gaps, whatever was rolled
    back (an archive ingested twice, or after a crash, is the same to the last ID)."""
    return f"(SELECT coalesce(max({key}), 0) + 1 FROM {table})"


def quarantine_key(raw: bytes | None, error: str) -> str:
    """Identity of a quarantined input: its bytes, or its error when no bytes could be read."""
    return hashlib.sha256(raw if raw is not None else error.encode()).hexdigest()


class Writer:
    """Applies ingest results to an open connection (inside a transaction)."""

    def __init__(
        self,
        conn: Connection,
        now: str,
        visibility: Visibility = PUBLIC,
        dialect: Dialect = SQLITE,
    ) -> None:
        self.conn = conn
        self.now = now
        self.visibility = visibility
        self.dialect = dialect
        self.dated_at_ingest = 0
        """Versions stored by this writer that took the ingest's release date."""

    def known(self, shas: list[str]) -> set[str]:
        """Which of these input SHA-256s the archive has already ingested."""
        sql = "SELECT DISTINCT sha256 FROM inputs WHERE sha256 IN ({marks})"
        return {row[0] for row in self._rows_in(sql, shas)}

    def _rows_in(self, sql: str, values: list[str]) -> Iterator[tuple[Any, ...]]:
        """The rows of a query for a list of values of any length: ``sql``'s ``{marks}``
        stands for the placeholders of each chunk of 500 (databases limit their number)."""
        for start in range(0, len(values), 500):
            chunk = values[start : start + 500]
            yield from self.conn.execute(sql.format(marks=",".join("?" * len(chunk))), chunk)

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
        """Store one parsed cable read from ``source`` (a text the archive has for this cable
        already is a no-op, whatever the visibility asked)."""
        if self.seen(source):
            return Outcome.UNCHANGED
        entry = self.conn.execute(
            "SELECT id, versions FROM entries WHERE canonical_id = ?", (item.canonical_id,)
        ).fetchone()
        self._touch()
        self._link_articles(item)
        if entry is None:
            (cable_id,) = self.conn.execute(
                "INSERT INTO entries (id, canonical_id, versions) "
                f"VALUES ({_next('entries')}, ?, 1) RETURNING id",
                (item.canonical_id,),
            ).fetchone()
            self._store(cable_id, 1, item, source)
            return Outcome.NEW
        cable_id, count = entry
        same = self.conn.execute(
            "SELECT number FROM versions WHERE cable_id = ? AND text_sha256 = ?",
            (cable_id, item.text_sha256),
        ).fetchone()
        if same is not None:
            self._input(source, cable_id, same[0])
            return Outcome.UNCHANGED
        self.conn.execute("UPDATE entries SET versions = ? WHERE id = ?", (count + 1, cable_id))
        self._store(cable_id, count + 1, item, source)
        return Outcome.VERSION

    def add_many(self, items: list[tuple[Prepared, Source]]) -> list[Outcome]:
        """Store parsed cables in order, as :meth:`add` one by one would, to the last row ID
        and count, with a few set-based statements for the common case: a run of cables the
        archive does not hold yet, public at once (each of those would take a dozen round
        trips to a PostgreSQL server). Anything else (a new version, an input seen before,
        a cable twice in the batch, private or scheduled input) goes through :meth:`add`,
        after the run before it is written."""
        known = self.known([source.sha256 for _, source in items])
        held = self._held([item.canonical_id for item, _ in items])
        outcomes: list[Outcome] = []
        run: list[tuple[Prepared, Source]] = []
        for item, source in items:
            if self.visibility.now and source.sha256 not in known and item.canonical_id not in held:
                run.append((item, source))
            else:
                self._add_new(run)
                outcomes += [Outcome.NEW] * len(run)
                run = []
                outcomes.append(self.add(item, source))
            known.add(source.sha256)
            held.add(item.canonical_id)
        self._add_new(run)
        outcomes += [Outcome.NEW] * len(run)
        return outcomes

    def _held(self, canonical_ids: list[str]) -> set[str]:
        """Which of these cable IDs the archive holds (public or not)."""
        sql = "SELECT canonical_id FROM entries WHERE canonical_id IN ({marks})"
        return {row[0] for row in self._rows_in(sql, canonical_ids)}

    def _add_new(self, run: list[tuple[Prepared, Source]]) -> None:
        """Cables new to the archive, published at once (:meth:`add_many`): every row
        :meth:`add` would write, in the same order and with the same IDs."""
        if not run:
            return
        self._touch(len(run))
        self._link_articles(*(item for item, _ in run))
        entry = self._last("entries")
        first_input, first_change = self._last("inputs") + 1, self._last("changes", "seq") + 1
        entries, versions, inputs, cables, refs, tags, changes = ([] for _ in range(7))
        counts: Counter[tuple[str, str]] = Counter()
        for n, (item, source) in enumerate(run):
            if item.released is None:
                item = _released_at_ingest(item, self.visibility.undated or self.now)
                self.dated_at_ingest += 1
            cable_id = entry + n + 1
            entries.append((cable_id, item.canonical_id, 1))
            now = self.now
            text = (item.text_sha256, item.released, now, item.data)
            versions.append((cable_id, 1, *text, now, now))
            where = (source.sha256, source.path, source.row, source.format)
            inputs.append((first_input + n, *where, now, cable_id, 1))
            cables.append((cable_id, item.canonical_id, 1, 1, *_columns(item)))
            refs += [(cable_id, i, *ref) for i, ref in enumerate(item.refs)]
            order = sort_key(item.released, item.created, item.canonical_id)
            tags += [(cable_id, i, tag, order) for i, tag in enumerate(item.tags)]
            counts.update(
                browse_keys(
                    item.released, item.created, item.origin, item.classification, item.tags
                )
            )
            changes.append((first_change + n, cable_id, self.now))
        insert = self.dialect.insert_rows
        insert(self.conn, "entries", ("id", "canonical_id", "versions"), entries)
        insert(self.conn, "versions", VERSION_COLUMNS, versions)
        insert(self.conn, "inputs", INPUT_COLUMNS, inputs)
        insert(self.conn, "cables", CABLE_COLUMNS, cables)
        insert(self.conn, "refs", ("cable_id", "position", "kind", "target", "text", "label"), refs)
        insert(self.conn, "tags", ("cable_id", "position", "tag", "sort_key"), tags)
        insert(self.conn, "changes", ("seq", "cable_id", "at"), changes)
        self._count_keys([(kind, key, delta) for (kind, key), delta in counts.items()])

    def _last(self, table: str, key: str = "id") -> int:
        """The largest row ID of a table (0: none; see :func:`_next`)."""
        return int(self.conn.execute(f"SELECT coalesce(max({key}), 0) FROM {table}").fetchone()[0])

    def schedule(self, canonical_id: str, at: str | None, version: int | None = None) -> int:
        """Set when the unpublished versions of a cable (or just ``version``) become public
        (``at``, UTC; None: private). How many versions changed; -1 if the archive does not
        hold the cable."""
        entry = self.conn.execute(
            "SELECT id FROM entries WHERE canonical_id = ?", (canonical_id,)
        ).fetchone()
        if entry is None:
            return -1
        sql = "UPDATE versions SET release_at = ? WHERE cable_id = ? AND published_at IS NULL"
        args: list[object] = [at, entry[0]]
        if version is not None:
            sql += " AND number = ?"
            args.append(version)
        return int(self.conn.execute(sql, args).rowcount)

    def publish_due(self) -> list[Published]:
        """Publish every version whose release time has come (``now``), oldest first; each
        takes its release time as its release date."""
        due = self.conn.execute(
            "SELECT e.canonical_id, v.cable_id, v.number, v.release_at, v.data "
            "FROM versions v JOIN entries e ON e.id = v.cable_id "
            "WHERE v.published_at IS NULL AND v.release_at <= ? "
            "ORDER BY v.release_at, v.cable_id, v.number",
            (self.now,),
        ).fetchall()
        for _, cable_id, number, at, data in due:
            cable = decode_cable(data)
            released = dt.datetime.fromisoformat(at)
            item = prepare(msgspec.structs.replace(cable, released=released))
            self.conn.execute(
                "UPDATE versions SET released = ?, data = ? WHERE cable_id = ? AND number = ?",
                (item.released, item.data, cable_id, number),
            )
            self.conn.execute(  # published again: no longer withdrawn
                "DELETE FROM withdrawals WHERE cable_id = ? AND version = ?", (cable_id, number)
            )
            self._publish(cable_id, number, item)
        if due:
            self._touch()
            what = listed([f"{cid} v{number}" for cid, _, number, _, _ in due])
            self.audit("scheduler", "publish", what, "due")
        return [Published(cid, number, at) for cid, _, number, at, _ in due]

    def withdraw(
        self, canonical_id: str, version: int | None, reason: str, silent: bool = False
    ) -> Withdrawn:
        """Take a published cable (or one of its public versions) down from every public
        surface: the versions become private again (``release_at`` NULL, so no scheduler
        republishes them; withdrawing the whole cable unschedules its versions not yet
        public too) and are recorded in ``withdrawals``; a withdrawn current version
        gives way to the newest public one left, or the cable leaves the public tables
        (its row, references, tags and browse counts; the change log tells the search
        index)."""
        entry = self.conn.execute(
            "SELECT id FROM entries WHERE canonical_id = ?", (canonical_id,)
        ).fetchone()
        if entry is None:
            raise CablegateError(f"{canonical_id}: not in the archive")
        cable_id = int(entry[0])
        public = {
            int(number): current_order(released, int(number), data)
            for number, released, data in self.conn.execute(
                "SELECT number, released, data FROM versions WHERE cable_id = ? "
                "AND published_at IS NOT NULL",
                (cable_id,),
            )
        }
        if version is not None and version not in public:
            raise CablegateError(f"{canonical_id}: version {version} is not public")
        if not public:
            raise CablegateError(f"{canonical_id}: not public (nothing to withdraw)")
        gone = sorted(public) if version is None else [version]
        (current,) = self.conn.execute(
            "SELECT current FROM cables WHERE id = ?", (cable_id,)
        ).fetchone()
        self._touch()
        self.conn.executemany(
            "UPDATE versions SET published_at = NULL, release_at = NULL "
            "WHERE cable_id = ? AND number = ?",
            [(cable_id, number) for number in gone],
        )
        if version is None:  # nor does a version scheduled for later bring it back
            self.conn.execute(
                "UPDATE versions SET release_at = NULL WHERE cable_id = ? AND published_at IS NULL",
                (cable_id,),
            )
        self.conn.executemany(
            "INSERT INTO withdrawals (cable_id, version, whole, reason, silent, at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (cable_id, version) DO UPDATE SET "
            "whole = excluded.whole, reason = excluded.reason, silent = excluded.silent, "
            "at = excluded.at",
            [(cable_id, n, int(version is None), reason, int(silent), self.now) for n in gone],
        )
        left = {n: released for n, released in public.items() if n not in gone}
        if not left:
            self._unpublish(cable_id)
            return Withdrawn(canonical_id, gone, None)
        self.conn.execute("UPDATE cables SET versions = ? WHERE id = ?", (len(left), cable_id))
        if current in gone:
            current = max(left, key=lambda n: left[n])
            (data,) = self.conn.execute(
                "SELECT data FROM versions WHERE cable_id = ? AND number = ?",
                (cable_id, current),
            ).fetchone()
            self._make_current(cable_id, current, prepare(decode_cable(data)))
        return Withdrawn(canonical_id, gone, int(current))

    def audit(self, who: str, action: str, what: str, why: str | None = None) -> None:
        """Record who did what, when (``now``) and why, in the caller's transaction (the
        audit trail: ``cablegate log``; no public surface reads it)."""
        self.conn.execute(
            f"INSERT INTO audit (id, at, who, action, what, why) VALUES ({_next('audit')}, "
            "?, ?, ?, ?, ?)",
            (self.now, who, action, what, why),
        )

    def article(
        self,
        url: str,
        title: str | None = None,
        outlet: str | None = None,
        published: str | None = None,
        cables: tuple[str, ...] | list[str] = (),
    ) -> int:
        """Add a press article, or fill in what is known of it, and link it to cable IDs
        (which need not be in the archive, or public, yet). Its row ID."""
        self._touch()
        return self._article(url, title, outlet, published, cables)

    def _article(
        self,
        url: str,
        title: str | None,
        outlet: str | None,
        published: str | None,
        cables: tuple[str, ...] | list[str],
    ) -> int:
        self.conn.execute(
            "INSERT INTO articles (id, url, title, outlet, published) "
            f"VALUES ({_next('articles')}, ?, ?, ?, ?) "
            "ON CONFLICT (url) DO UPDATE SET title = coalesce(excluded.title, articles.title), "
            "outlet = coalesce(excluded.outlet, articles.outlet), "
            "published = coalesce(excluded.published, articles.published)",
            (url, title, outlet, published),
        )
        (article_id,) = self.conn.execute(
            "SELECT id FROM articles WHERE url = ?", (url,)
        ).fetchone()
        self.conn.executemany(
            "INSERT INTO article_cables (id, article_id, canonical_id) "
            f"VALUES ({_next('article_cables')}, ?, ?) ON CONFLICT DO NOTHING",
            [(article_id, cid) for cid in cables],
        )
        return int(article_id)

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
            "INSERT INTO quarantine "
            "(id, key, path, row, format, error, raw, first_seen, last_tried) "
            f"VALUES ({_next('quarantine')}, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (quarantine_key(raw, error), path, row, fmt, error, raw, self.now, self.now),
        )
        return Outcome.QUARANTINED

    def quarantine_failed_again(self, entry_id: int, error: str | None = None) -> None:
        """A quarantined input was tried again and still could not be read (``error``: the
        reason now, when it is known)."""
        self.conn.execute(
            "UPDATE quarantine SET error = coalesce(?, error), last_tried = ?, "
            "attempts = attempts + 1 WHERE id = ?",
            (error, self.now, entry_id),
        )

    def unquarantine(self, entry_id: int) -> None:
        """Take an input out of quarantine (it was read at last, or is being read again)."""
        self.conn.execute("DELETE FROM quarantine WHERE id = ?", (entry_id,))

    def article_links(self) -> int:
        """How many (article, cable) links the archive holds."""
        return int(self.conn.execute("SELECT count(*) FROM article_cables").fetchone()[0])

    def put_meta(self, key: str, value: str) -> None:
        """Set one of the archive's own values (``meta``)."""
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def drop_meta(self, key: str) -> bool:
        """Remove one of the archive's own values; whether it was there."""
        return bool(self.conn.execute("DELETE FROM meta WHERE key = ?", (key,)).rowcount > 0)

    # -- internals -------------------------------------------------------------------------

    def _touch(self, changes: int = 1) -> None:
        """Mark the archive changed: ``generation`` counts changes, ``modified`` is when."""
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES ('generation', ?), ('modified', ?) "
            "ON CONFLICT (key) DO UPDATE SET value = CASE meta.key WHEN 'generation' "
            "THEN CAST(CAST(meta.value AS INTEGER) + ? AS TEXT) ELSE excluded.value END",
            (str(changes), utc_now(), changes),
        )

    def _input(self, source: Source, cable_id: int, version: int, ignore: bool = False) -> None:
        self.conn.execute(
            "INSERT INTO inputs (id, sha256, path, row, format, ingested_at, cable_id, version) "
            f"VALUES ({_next('inputs')}, ?, ?, ?, ?, ?, ?, ?)"
            + (" ON CONFLICT DO NOTHING" if ignore else ""),
            (source.sha256, source.path, source.row, source.format, self.now, cable_id, version),
        )

    def _store(self, cable_id: int, number: int, item: Prepared, source: Source) -> None:
        """A new version, its input, and its publication when it is public at once."""
        release_at = self.now if self.visibility.now else self.visibility.at
        if self.visibility.now and item.released is None:
            item = _released_at_ingest(item, self.visibility.undated or self.now)
            self.dated_at_ingest += 1
        self.conn.execute(
            "INSERT INTO versions (cable_id, number, text_sha256, released, ingested_at, data, "
            "release_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (cable_id, number, item.text_sha256, item.released, self.now, item.data, release_at),
        )
        self._input(source, cable_id, number)
        if self.visibility.now:
            self._publish(cable_id, number, item)

    def _publish(self, cable_id: int, number: int, item: Prepared) -> None:
        """Put a version in the public tables: the cable's first, or a later one (current
        when it is the newest by release time)."""
        self.conn.execute(
            "UPDATE versions SET published_at = ? WHERE cable_id = ? AND number = ?",
            (self.now, cable_id, number),
        )
        row = self.conn.execute("SELECT current FROM cables WHERE id = ?", (cable_id,)).fetchone()
        if row is None:
            self.conn.execute(
                "INSERT INTO cables (id, canonical_id, current, versions, reference_id, "
                "created, released, classification, origin, subject, sort_key) "
                "VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?)",
                (cable_id, item.canonical_id, number, *_columns(item)),
            )
            self._links(cable_id, item)
            self._count(item, +1)
            self._changed(cable_id)
            return
        self.conn.execute("UPDATE cables SET versions = versions + 1 WHERE id = ?", (cable_id,))
        current_released, current_data = self.conn.execute(
            "SELECT released, data FROM versions WHERE cable_id = ? AND number = ?",
            (cable_id, row[0]),
        ).fetchone()
        if current_order(item.released, number, item.data) >= current_order(
            current_released, row[0], current_data
        ):
            self._make_current(cable_id, number, item)

    def _unpublish(self, cable_id: int) -> None:
        """Take a cable out of the public tables (its versions are no longer public)."""
        released, created, origin, classification = self.conn.execute(
            "SELECT released, created, origin, classification FROM cables WHERE id = ?",
            (cable_id,),
        ).fetchone()
        tags = [
            r[0]
            for r in self.conn.execute(
                "SELECT tag FROM tags WHERE cable_id = ? ORDER BY position", (cable_id,)
            )
        ]
        keys = browse_keys(released, created, origin, classification, tags)
        self._count_keys([(kind, key, -1) for kind, key in keys])
        self.conn.execute("DELETE FROM refs WHERE cable_id = ?", (cable_id,))
        self.conn.execute("DELETE FROM tags WHERE cable_id = ?", (cable_id,))
        self.conn.execute("DELETE FROM cables WHERE id = ?", (cable_id,))
        self._changed(cable_id)

    def _link_articles(self, *items: Prepared) -> None:
        """The press articles site pages list, linked to their cables: the rows one
        :meth:`article` call per link would write, in that order, a statement for each
        table."""
        links = [(url, title, item.canonical_id) for item in items for url, title in item.articles]
        if not links:
            return
        self.conn.executemany(
            "INSERT INTO articles (id, url, title, outlet, published) "
            f"VALUES ({_next('articles')}, ?, ?, NULL, NULL) "
            "ON CONFLICT (url) DO UPDATE SET title = coalesce(excluded.title, articles.title)",
            [(url, title) for url, title, _ in links],
        )
        urls = sorted({url for url, _, _ in links})
        sql = "SELECT url, id FROM articles WHERE url IN ({marks})"
        ids = {url: int(i) for url, i in self._rows_in(sql, urls)}
        self.conn.executemany(
            "INSERT INTO article_cables (id, article_id, canonical_id) "
            f"VALUES ({_next('article_cables')}, ?, ?) ON CONFLICT DO NOTHING",
            [(ids[url], cid) for url, _, cid in links],
        )

    def _changed(self, cable_id: int) -> None:
        """Log that a cable's public record changed (the search index catches up from the
        log: :mod:`cablegate.search.index`)."""
        self.conn.execute(
            f"INSERT INTO changes (seq, cable_id, at) VALUES ({_next('changes', 'seq')}, ?, ?)",
            (cable_id, self.now),
        )

    def _make_current(self, cable_id: int, number: int, item: Prepared) -> None:
        old = self.conn.execute(
            "SELECT released, created, origin, classification FROM cables WHERE id = ?",
            (cable_id,),
        ).fetchone()
        released, created, origin, classification = old[:4]
        old_tags = [
            r[0]
            for r in self.conn.execute(
                "SELECT tag FROM tags WHERE cable_id = ? ORDER BY position", (cable_id,)
            )
        ]
        keys = browse_keys(released, created, origin, classification, old_tags)
        self._count_keys([(kind, key, -1) for kind, key in keys])
        self.conn.execute(
            "UPDATE cables SET current = ?, reference_id = ?, created = ?, released = ?, "
            "classification = ?, origin = ?, subject = ?, sort_key = ? WHERE id = ?",
            (number, *_columns(item), cable_id),
        )
        self.conn.execute("DELETE FROM refs WHERE cable_id = ?", (cable_id,))
        self.conn.execute("DELETE FROM tags WHERE cable_id = ?", (cable_id,))
        self._links(cable_id, item)
        self._count(item, +1)
        self._changed(cable_id)

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

    def _count(self, item: Prepared, delta: int) -> None:
        keys = browse_keys(item.released, item.created, item.origin, item.classification, item.tags)
        self._count_keys([(kind, key, delta) for kind, key in keys])

    def _count_keys(self, counts: list[tuple[str, str, int]]) -> None:
        """Add to browse counts: (kind, key, how many more or fewer)."""
        self.conn.executemany(
            "INSERT INTO browse (kind, key, count) VALUES (?, ?, ?) "
            "ON CONFLICT (kind, key) DO UPDATE SET count = browse.count + excluded.count",
            counts,
        )
        if any(delta < 0 for _, _, delta in counts):
            self.conn.execute("DELETE FROM browse WHERE count <= 0")
