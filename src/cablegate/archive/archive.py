"""The archive: open it, write to it in transactions, read cables, versions and the graph."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from cablegate.archive import db, migrations
from cablegate.archive.history import Change, compare
from cablegate.archive.records import (
    decode_body,
    decode_cable,
    released_prefix,
    version_order,
)
from cablegate.archive.schema import SCHEMA_VERSION
from cablegate.archive.store import PUBLIC, Published, Visibility, Writer, utc_now
from cablegate.archive.url import DatabaseURL, parse_url
from cablegate.errors import CablegateError
from cablegate.model import Article, Cable
from cablegate.months import next_month


class VersionInfo(msgspec.Struct, frozen=True):
    """One version of a cable, as listed in its history."""

    number: int
    """The version's number in the archive: the order it was stored in (versions of a cable
    are ingested in whatever order their files come), a stable name for its page, not its
    place in time: histories list versions in release order."""
    released: str | None
    """When the site published this text: the Released time of the page it was read from
    (the site kept a cable's Released time when it corrected its text, and changed it when
    it released the cable again); for a page of the site's first layout, which had no
    Released column, the first release (:data:`cablegate.readers.site.FIRST_RELEASE`); for
    sources without one (the text export, cables.csv), the date chosen at ingest. None only
    for versions stored before any of that."""
    ingested_at: str
    current: bool
    sources: list[str]
    """Every input that carried exactly this text (``path`` or ``path:row``)."""
    change: Change | None = None
    """How it differs from the version before it in release order (None for the first)."""


def _saved(cable: Cable) -> int | None:
    return cable.provenance.site_count if cable.provenance else None


class Citation(msgspec.Struct, frozen=True):
    """A reference between two cables; ``in_archive`` tells whether the other end is known."""

    canonical_id: str
    in_archive: bool
    text: str | None = None
    label: str | None = None


class Neighbour(msgspec.Struct, frozen=True):
    """A public cable related to another by what they share (:meth:`Archive.neighbours`)."""

    canonical_id: str
    score: float
    """Higher is closer."""
    tags: list[str]
    """The TAGS both have (of those not too common to tell anything)."""
    references: list[str]
    """The cables both cite."""


RELATED_TAG_LIMIT = 1000
"""Tags on more cables than this are too common to relate two cables."""


class Scheduled(msgspec.Struct, frozen=True):
    """A version not yet public: when it is due (None: private), and whether its cable is
    public already (with another version)."""

    canonical_id: str
    version: int
    release_at: str | None
    cable_public: bool


class Withdrawal(msgspec.Struct, frozen=True):
    """A published version taken down (``cablegate withdraw``): its page answers 410 Gone
    with the reason, or 404 when ``silent``."""

    canonical_id: str
    version: int
    whole: bool
    """Whether the cable was withdrawn as a whole (not one version of it)."""
    reason: str
    silent: bool
    at: str


class AuditEntry(msgspec.Struct, frozen=True):
    """One event of the audit trail: when, who (a command-line user, or ``token:`` and the
    admin token's ID), what was done (``action``: release, publish, withdraw, articles,
    token) to what, and why."""

    at: str
    who: str
    action: str
    what: str
    why: str | None


class QuarantineEntry(msgspec.Struct, frozen=True):
    id: int
    path: str
    row: int | None
    format: str | None
    error: str
    size: int | None
    first_seen: str
    last_tried: str
    attempts: int


class Stats(msgspec.Struct, frozen=True):
    cables: int
    versions: int
    inputs: int
    quarantined: int
    references: int
    cited_missing: int
    """Distinct cable IDs that are cited but not in the archive."""


@dataclass(frozen=True)
class Listed:
    """A cable as listings show it (browse pages, search hits, feeds): the ``cables``
    columns of its current version."""

    canonical_id: str
    subject: str | None
    created: str | None
    released: str | None
    classification: str | None
    origin: str | None


class ArchiveState(msgspec.Struct, frozen=True):
    generation: int
    """Counts the changes to cables ever made (0: none, or an archive from before it was
    counted)."""
    modified: str | None
    """When the last change was made (ISO 8601, UTC)."""


class Archive:
    """An open archive (SQLite or PostgreSQL). Use as a context manager, or call
    :meth:`close`."""

    def __init__(self, url: DatabaseURL, conn: db.Connection, dialect: db.Dialect) -> None:
        self.url = url
        self.conn = conn
        self.dialect = dialect

    @classmethod
    def open(
        cls, url: str | Path | None = None, create: bool = True, read_only: bool = False
    ) -> Archive:
        """Open (and by default create) the archive at a database URL or SQLite path;
        ``read_only``: a connection that cannot write (the web servers read through one), to
        an archive that must exist and be of this cablegate's schema."""
        parsed = parse_url(url)
        dialect = db.dialect(parsed)
        conn = dialect.connect(parsed, create and not read_only, read_only)
        archive = cls(parsed, conn, dialect)
        try:
            if read_only:
                archive._require_schema()
            else:
                archive._migrate()
        except BaseException:
            conn.close()
            raise
        return archive

    def _require_schema(self) -> None:
        """Refuse an archive of another schema (a read-only connection cannot migrate it)."""
        found = migrations.version(self)
        if found != SCHEMA_VERSION:
            raise CablegateError(
                f"{self.url.safe()}: archive schema {found or 'missing'}, this cablegate "
                f"reads {SCHEMA_VERSION}: open it once for writing (e.g. `cablegate check`)"
            )

    def close(self) -> None:
        self.conn.close()

    def limit_time(self, seconds: float) -> Callable[[], None]:
        """Give this connection's queries a time limit (a web server's read connection);
        returns the function that starts the clock again (at each request)."""
        return self.dialect.limit_time(self.conn, seconds)

    @property
    def broken(self) -> bool:
        """Whether the connection is lost (a database server restarted, or ended it)."""
        return self.dialect.broken(self.conn)

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _migrate(self) -> None:
        migrations.migrate(self)  # a step per schema version, each in one transaction

    # -- transactions ----------------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[db.Connection]:
        """A write transaction: all of it or nothing, even if the process is killed. One
        writer at a time (on PostgreSQL too, across processes and machines)."""
        self.conn.execute(self.dialect.begin_write)
        try:
            self.dialect.lock(self.conn)
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[db.Connection]:
        """A read transaction: every query in it sees the same state of the archive."""
        self.conn.execute(self.dialect.begin_read)
        try:
            yield self.conn
        finally:
            self.conn.execute("COMMIT")

    def writer(self, now: str, visibility: Visibility = PUBLIC) -> Writer:
        return Writer(self.conn, now, visibility, self.dialect)

    # -- releases --------------------------------------------------------------------------

    def next_release(self) -> str | None:
        """When the next scheduled version is due (UTC), or None."""
        row = self.conn.execute(
            "SELECT min(release_at) FROM versions "
            "WHERE published_at IS NULL AND release_at IS NOT NULL"
        ).fetchone()
        return row[0] if row else None

    def publish_due(self, now: str | None = None) -> list[Published]:
        """Publish every version due by ``now`` (default: the present), in one transaction."""
        now = now or utc_now()
        due = self.next_release()
        if due is None or due > now:
            return []
        with self.transaction():
            return self.writer(now).publish_due()

    def plan(self) -> list[Scheduled]:
        """Every version not yet public: scheduled ones by release time, then private ones."""
        return [
            Scheduled(*row)
            for row in self.conn.execute(
                "SELECT e.canonical_id, v.number, v.release_at, c.id IS NOT NULL "
                "FROM versions v JOIN entries e ON e.id = v.cable_id "
                "LEFT JOIN cables c ON c.id = v.cable_id WHERE v.published_at IS NULL "
                "ORDER BY v.release_at IS NULL, v.release_at, e.canonical_id, v.number"
            )
        ]

    def unpublished(self) -> Iterator[tuple[str, int, Cable]]:
        """(ID, version number, record) of every version not yet public (for choosing what
        to release by a query)."""
        rows = self.conn.execute(
            "SELECT e.canonical_id, v.number, v.data FROM versions v "
            "JOIN entries e ON e.id = v.cable_id WHERE v.published_at IS NULL "
            "ORDER BY e.canonical_id, v.number"
        ).fetchall()
        for cid, number, data in rows:
            yield cid, number, decode_cable(data)

    def withdrawal(self, canonical_id: str, version: int | None = None) -> Withdrawal | None:
        """Why a page of a cable is gone: the withdrawal of ``version``, or, for the cable's
        own page, its latest withdrawal when no version of it is public; None when it was
        not withdrawn (or is public again)."""
        sql = (
            "SELECT e.canonical_id, w.version, w.whole, w.reason, w.silent, w.at "
            "FROM withdrawals w JOIN entries e ON e.id = w.cable_id WHERE e.canonical_id = ?"
        )
        if version is not None:
            row = self.conn.execute(sql + " AND w.version = ?", (canonical_id, version)).fetchone()
        elif self.is_public(canonical_id):
            return None
        else:
            order = " ORDER BY w.at DESC, w.whole DESC, w.version DESC LIMIT 1"
            row = self.conn.execute(sql + order, (canonical_id,)).fetchone()
        if row is None:
            return None
        cid, number, whole, reason, silent, at = row
        return Withdrawal(cid, int(number), bool(whole), reason, bool(silent), at)

    def audit_log(self, limit: int | None = None) -> list[AuditEntry]:
        """The audit trail, newest first (``limit``: that many events)."""
        sql = "SELECT at, who, action, what, why FROM audit ORDER BY id DESC"
        args: list[object] = []
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        return [AuditEntry(*row) for row in self.conn.execute(sql, args)]

    def holds(self, canonical_id: str) -> bool:
        """Whether the archive has the cable at all, public or not (for the CLI)."""
        return (
            self.conn.execute(
                "SELECT 1 FROM entries WHERE canonical_id = ?", (canonical_id,)
            ).fetchone()
            is not None
        )

    # -- articles --------------------------------------------------------------------------

    def articles_of(self, canonical_id: str) -> list[Article]:
        """The press articles linked to a cable, oldest link first."""
        return [
            Article(url, title, outlet, published)
            for url, title, outlet, published in self.conn.execute(
                "SELECT a.url, a.title, a.outlet, a.published FROM article_cables l "
                "JOIN articles a ON a.id = l.article_id WHERE l.canonical_id = ? ORDER BY l.id",
                (canonical_id,),
            )
        ]

    def articles(self) -> list[tuple[Article, list[Listed]]]:
        """Every article that cites a public cable, with those cables (public ones only),
        newest article first, then by title."""
        grouped: dict[int, tuple[Article, list[Listed]]] = {}
        for row in self.conn.execute(
            "SELECT a.id, a.url, a.title, a.outlet, a.published, c.canonical_id, c.subject, "
            "c.created, c.released, c.classification, c.origin FROM articles a "
            "JOIN article_cables l ON l.article_id = a.id "
            "JOIN cables c ON c.canonical_id = l.canonical_id "
            "ORDER BY a.published IS NULL, a.published DESC, a.title, a.url, c.canonical_id"
        ):
            entry = grouped.setdefault(row[0], (Article(*row[1:5]), []))
            entry[1].append(Listed(*row[5:]))
        return list(grouped.values())

    # -- what the search index reads (cablegate.search.index) -----------------------------

    def index_identity(self) -> tuple[str, int]:
        """(``meta.archive_id``, the last change logged): which archive, in which state."""
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'archive_id'").fetchone()
        return (row[0] if row else ""), self.last_change()

    def last_change(self) -> int:
        """The sequence number of the last change to the public tables (0: none yet)."""
        return int(self.conn.execute("SELECT coalesce(max(seq), 0) FROM changes").fetchone()[0])

    def changed_since(self, seq: int) -> list[int]:
        """Row IDs of the cables changed after change ``seq``, in the order first changed."""
        rows = self.conn.execute(
            "SELECT cable_id FROM changes WHERE seq > ? GROUP BY cable_id ORDER BY min(seq)",
            (seq,),
        )
        return [r[0] for r in rows]

    def current_data(self, ids: list[int]) -> list[tuple[int, bytes]]:
        """(row ID, stored record) of the current version of those of ``ids`` that are public."""
        out: list[tuple[int, bytes]] = []
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            out += [
                (row, bytes(data))
                for row, data in self.conn.execute(
                    "SELECT c.id, v.data FROM cables c JOIN versions v ON v.cable_id = c.id "
                    f"AND v.number = c.current WHERE c.id IN ({','.join('?' * len(chunk))})",
                    chunk,
                )
            ]
        return out

    def current_bodies(self, ids: list[int]) -> dict[int, str]:
        """Row ID -> body of the current version, for those of ``ids`` that are public."""
        return {row: decode_body(data) for row, data in self.current_data(ids)}

    def all_current_data(self, batch: int = 1000) -> Iterator[list[tuple[int, bytes]]]:
        """(row ID, stored record) of every public cable's current version, in batches
        (inside the caller's read transaction: one state of the archive)."""
        last = -1
        while rows := self.conn.execute(
            "SELECT c.id, v.data FROM cables c JOIN versions v ON v.cable_id = c.id "
            "AND v.number = c.current WHERE c.id > ? ORDER BY c.id LIMIT ?",
            (last, batch),
        ).fetchall():
            last = rows[-1][0]
            yield [(row, bytes(data)) for row, data in rows]

    def public_count(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM cables").fetchone()[0])

    def listed(self, ids: list[int]) -> dict[int, Listed]:
        """The listing columns of public cables by row ID (those of ``ids`` that are public)."""
        return self._listed_by("id", ids)

    def _listed_by(self, column: str, keys: list[Any]) -> dict[Any, Listed]:
        """``column`` value (``id`` or ``canonical_id``) -> listing, of the public cables
        whose value is among ``keys``, asked 500 at a time."""
        out: dict[Any, Listed] = {}
        wanted = list(dict.fromkeys(keys))
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            for row in self.conn.execute(
                f"SELECT {column}, canonical_id, subject, created, released, classification, "
                f"origin FROM cables WHERE {column} IN ({','.join('?' * len(chunk))})",
                chunk,
            ):
                out[row[0]] = Listed(*row[1:])
        return out

    def is_public(self, canonical_id: str) -> bool:
        return self._cable_row(canonical_id) is not None

    def meta(self, key: str) -> str | None:
        """One of the archive's own values (``meta``), or None."""
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    # -- listings --------------------------------------------------------------------------

    def collection_counts(self) -> tuple[int, int]:
        """(public cables: released so far, every cable the archive holds: public,
        scheduled, private or withdrawn): the site's counter when no announced total is set."""
        released, held = self.conn.execute(
            "SELECT (SELECT count(*) FROM cables), (SELECT count(*) FROM entries)"
        ).fetchone()
        return int(released), int(held)

    def listing(
        self,
        kind: str,
        key: str,
        limit: int,
        offset: int = 0,
        total: int | None = None,
    ) -> list[Listed]:
        """A page of the public cables of one browse listing, in the original site's order
        (newest release first, then oldest creation, then ID), from ``offset``: ``kind`` is one of
        :data:`~cablegate.archive.schema.BROWSE_COUNTS` (``reldate``: a release day
        ``2010-11-28``, ``month``: a creation month ``2008-04``, ``origin``,
        ``classification``, ``tag``) and ``key`` its value. Each kind is read through an
        index in that order, and OFFSET skips index entries, not rows. ``total``: how many
        the listing holds (its browse count), which lets a page near its end be read from
        the end."""
        selected, where, args = _LISTINGS[kind](key)
        keys = f"SELECT {selected}, sort_key {where} ORDER BY sort_key"
        if total is not None and 2 * offset > total:
            # A page in the second half, read from the end: OFFSET walks the index entries
            # it skips (the last page of a 357,000-cable tag took 250 ms on PostgreSQL).
            skip = max(total - offset - limit, 0)
            keys += " DESC LIMIT ? OFFSET ?"
            page = [max(total - offset - skip, 0), skip]
        else:
            keys += " LIMIT ? OFFSET ?"
            page = [limit, offset]
        return [
            Listed(*row)
            for row in self.conn.execute(
                f"SELECT {_LISTED} FROM ({keys}) k JOIN cables c ON c.id = k.id "
                "ORDER BY k.sort_key",
                [*args, *page],
            )
        ]

    def listing_all(self, kind: str, key: str, chunk: int = 5000) -> Iterator[Listed]:
        """Every public cable of one browse listing, in order (see :meth:`listing`), read
        ``chunk`` at a time from where the last chunk ended (its sort key: unique, as it
        ends in the cable's ID, and a cable has a tag once): a listing can hold most of the
        archive, and a list of it all would grow with it."""
        selected, where, args = _LISTINGS[kind](key)
        after: list[str] = []
        while True:
            keys = (
                f"SELECT {selected}, sort_key {where}{' AND sort_key > ?' if after else ''} "
                "ORDER BY sort_key LIMIT ?"
            )
            rows = self.conn.execute(
                f"SELECT {_LISTED}, k.sort_key FROM ({keys}) k JOIN cables c ON c.id = k.id "
                "ORDER BY k.sort_key",
                [*args, *after, chunk],
            ).fetchall()
            yield from (Listed(*row[:-1]) for row in rows)
            if len(rows) < chunk:
                return
            after = [rows[-1][-1]]

    def newest_ids(self, limit: int) -> list[str]:
        """The IDs of the newest public cables in the original's order (the latest feed)."""
        return [
            r[0]
            for r in self.conn.execute(
                "SELECT canonical_id FROM cables ORDER BY sort_key LIMIT ?", (limit,)
            )
        ]

    def ids_in_storage_order(self) -> list[str]:
        """The IDs of the public cables in the order they were first stored (exports)."""
        return [r[0] for r in self.conn.execute("SELECT canonical_id FROM cables ORDER BY id")]

    def page_keys(self) -> Iterator[tuple[str, str | None, list[int], int]]:
        """(ID, created, numbers of its earlier public versions, number of its current
        version) of every public cable, in the order first stored: what a cable's pages are
        named by."""
        earlier: dict[int, list[int]] = {}
        for cable_id, number in self.conn.execute(
            "SELECT v.cable_id, v.number FROM versions v JOIN cables c ON c.id = v.cable_id "
            "WHERE c.versions > 1 AND v.number != c.current AND v.published_at IS NOT NULL "
            "ORDER BY 1, 2"
        ).fetchall():
            earlier.setdefault(cable_id, []).append(number)
        last = -1
        # A chunk at a time, by row ID: the whole list would grow with the archive (2.3
        # million rows), and PostgreSQL's client holds a whole result in memory.
        while rows := self.conn.execute(
            "SELECT id, canonical_id, created, current FROM cables WHERE id > ? "
            "ORDER BY id LIMIT ?",
            (last, 5000),
        ).fetchall():
            last = rows[-1][0]
            for cable_id, cid, created, current in rows:
                yield cid, created, earlier.get(cable_id, []), int(current)

    # -- reads -----------------------------------------------------------------------------

    def _cable_row(self, canonical_id: str) -> tuple[int, int] | None:
        row = self.conn.execute(
            "SELECT id, current FROM cables WHERE canonical_id = ?", (canonical_id,)
        ).fetchone()
        return None if row is None else (int(row[0]), int(row[1]))

    def cable(self, canonical_id: str, version: int | None = None) -> Cable | None:
        """A public cable's current record, or one of its public versions, with the articles
        linked to it; None if unknown or not public."""
        row = self._cable_row(canonical_id)
        if row is None:
            return None
        data = self.conn.execute(
            "SELECT data FROM versions WHERE cable_id = ? AND number = ? "
            "AND published_at IS NOT NULL",
            (row[0], version or row[1]),
        ).fetchone()
        if data is None:
            return None
        cable = decode_cable(data[0])
        return msgspec.structs.replace(cable, articles=self.articles_of(canonical_id))

    def state(self) -> ArchiveState:
        """How often and when the archive last changed (pages built from it change with it)."""
        meta = dict(
            self.conn.execute(
                "SELECT key, value FROM meta WHERE key IN ('generation', 'modified')"
            ).fetchall()
        )
        return ArchiveState(int(meta.get("generation", 0)), meta.get("modified"))

    def ids(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT canonical_id FROM cables ORDER BY 1")]

    def history(self, canonical_id: str) -> list[VersionInfo]:
        """Every public version of a cable in release order (oldest first; the current one
        last)."""
        with self.snapshot():
            row = self._cable_row(canonical_id)
            if row is None:
                return []
            cable_id, current = row
            versions = self.conn.execute(
                "SELECT number, released, ingested_at, data FROM versions WHERE cable_id = ? "
                "AND published_at IS NOT NULL",
                (cable_id,),
            ).fetchall()
            sources: dict[int, list[str]] = {}
            for number, path, line in self.conn.execute(
                "SELECT version, path, row FROM inputs WHERE cable_id = ? ORDER BY id",
                (cable_id,),
            ):
                sources.setdefault(number, []).append(path if line is None else f"{path}:{line}")
        cables = {v[0]: decode_cable(v[3]) for v in versions}
        # Release order; texts the site published under the same Released time (it kept the
        # time when it corrected a text) by when their pages were saved (the site's counter).
        versions.sort(key=lambda v: version_order(v[1], v[0], _saved(cables[v[0]])))
        sources = {v[0]: sources.get(v[0], []) for v in versions}
        infos: list[VersionInfo] = []
        previous: Cable | None = None
        for number, released, ingested_at, _data in versions:
            cable = cables[number]
            infos.append(
                VersionInfo(
                    number=number,
                    released=released,
                    ingested_at=ingested_at,
                    current=number == current,
                    sources=sources.get(number, []),
                    change=compare(previous, cable) if previous is not None else None,
                )
            )
            previous = cable
        return infos

    def references(self, canonical_id: str) -> list[Citation]:
        """The cables this cable's current version cites, in order."""
        return [
            Citation(target, known is not None, text, label)
            for target, text, label, known in self.conn.execute(
                "SELECT r.target, r.text, r.label, k.id FROM refs r "
                "JOIN cables c ON c.id = r.cable_id "
                "LEFT JOIN cables k ON k.canonical_id = r.target "
                "WHERE c.canonical_id = ? AND r.kind = 'cable' ORDER BY r.position",
                (canonical_id,),
            )
        ]

    def cited_by(self, canonical_id: str) -> list[str]:
        """The IDs of the public cables that cite this ID (known to the archive or not)."""
        return [c.canonical_id for c in self.citing(canonical_id)]

    def citing(self, canonical_id: str) -> list[Listed]:
        """The public cables that cite this ID (known to the archive or not), by ID."""
        return [
            Listed(*row)
            for row in self.conn.execute(
                "SELECT DISTINCT c.canonical_id, c.subject, c.created, c.released, "
                "c.classification, c.origin FROM refs r JOIN cables c ON c.id = r.cable_id "
                "WHERE r.target = ? AND r.kind = 'cable' AND c.canonical_id != ? ORDER BY 1",
                (canonical_id, canonical_id),
            )
        ]

    def cited_public(self, canonical_id: str) -> dict[str, Listed]:
        """ID -> listing of the public cables the current version of this one cites."""
        return {
            row[0]: Listed(*row)
            for row in self.conn.execute(
                "SELECT canonical_id, subject, created, released, classification, origin "
                "FROM cables WHERE canonical_id IN (SELECT target FROM refs r "
                "JOIN cables c ON c.id = r.cable_id WHERE c.canonical_id = ? "
                "AND r.kind = 'cable')",
                (canonical_id,),
            )
        }

    def sent_at(self, created: str) -> list[str]:
        """IDs of the public cables created at ``created`` (a stored timestamp, ``2000-06-13
        18:30:00``): to identify a copy that kept only the transmission header by its
        date-time group (the caller checks the station)."""
        rows = self.conn.execute(
            "SELECT canonical_id FROM cables WHERE created = ? ORDER BY canonical_id", (created,)
        ).fetchall()
        return [r[0] for r in rows]

    def listed_ids(self, ids: list[str]) -> dict[str, Listed]:
        """ID -> listing of those of ``ids`` that are public cables (the rest, unknown,
        scheduled, private or withdrawn, are simply not there)."""
        return self._listed_by("canonical_id", ids)

    def neighbours(
        self, canonical_id: str, limit: int = 20, common_tag: int = RELATED_TAG_LIMIT
    ) -> list[Neighbour]:
        """The public cables that share TAGS or cited cables with this public one (not
        itself), each with what it shares, best first (at most ``limit``): a shared
        reference or tag counts more the fewer cables have it (``ln(1 + cables / cables
        with it)``, a reference twice a tag). Tags on more than ``common_tag`` cables (PREL,
        PGOV ...) are too common to relate anything and are not looked at, which also
        bounds the work."""
        row = self._cable_row(canonical_id)
        if row is None:
            return []
        cable_id = row[0]
        # Every public cable has a release day: their counts sum to the public cables, a
        # read of a few hundred rows where count(*) visits every one (15 ms a page on
        # PostgreSQL at 500,000 cables).
        (total,) = self.conn.execute(
            "SELECT coalesce(sum(count), 0) FROM browse WHERE kind = 'reldate'"
        ).fetchone()
        total = max(int(total), 1)
        tags = self.conn.execute(
            "SELECT DISTINCT t.tag, b.count FROM tags t "
            "JOIN browse b ON b.kind = 'tag' AND b.key = t.tag WHERE t.cable_id = ?",
            (cable_id,),
        ).fetchall()
        weight = {tag: math.log(1 + total / max(n, 1)) for tag, n in tags if n <= common_tag}
        score: dict[int, float] = {}
        if weight:
            values = ", ".join("(?, ?)" for _ in weight)
            for other, points in self.conn.execute(
                f"WITH w (tag, weight) AS (VALUES {values}) "
                "SELECT t.cable_id, sum(w.weight) FROM tags t JOIN w ON w.tag = t.tag "
                "WHERE t.cable_id != ? GROUP BY t.cable_id ORDER BY 2 DESC, 1 LIMIT ?",
                [*(v for item in weight.items() for v in item), cable_id, 2 * limit],
            ):
                score[other] = float(points)
        citers: dict[str, set[int]] = {}
        for other, target in self.conn.execute(
            "SELECT o.cable_id, o.target FROM refs r "
            "JOIN refs o ON o.target = r.target AND o.kind = 'cable' "
            "WHERE r.cable_id = ? AND r.kind = 'cable' AND r.target != ?",
            (cable_id, canonical_id),
        ):
            citers.setdefault(target, set()).add(other)
        shared_refs: dict[int, set[str]] = {}
        for target, cables in citers.items():
            for other in cables - {cable_id}:
                shared_refs.setdefault(other, set()).add(target)
                score[other] = score.get(other, 0.0) + 2 * math.log(1 + total / len(cables))
        best = sorted(score, key=lambda other: (-score[other], other))[:limit]
        if not best:
            return []
        marks = ",".join("?" * len(best))
        shared_tags: dict[int, set[str]] = {}
        for other, tag in self.conn.execute(
            f"SELECT cable_id, tag FROM tags WHERE cable_id IN ({marks})", best
        ):
            if tag in weight:
                shared_tags.setdefault(other, set()).add(tag)
        names = dict(
            self.conn.execute(f"SELECT id, canonical_id FROM cables WHERE id IN ({marks})", best)
        )
        return [
            Neighbour(
                names[other],
                score[other],
                sorted(shared_tags.get(other, ())),
                sorted(shared_refs.get(other, ())),
            )
            for other in best
            if other in names and names[other] != canonical_id
        ]

    def browse(self, kind: str) -> list[tuple[str, int]]:
        """Keys and cable counts of one browse kind (``reldate``, ``month``, ``origin``,
        ``tag``, ``classification``), sorted by key."""
        return [
            (key, count)
            for key, count in self.conn.execute(
                "SELECT key, count FROM browse WHERE kind = ? ORDER BY key", (kind,)
            )
        ]

    def stats(self) -> Stats:
        """Counts of what is public: cables, their public versions and the inputs that gave
        them, references; and the inputs in quarantine."""
        with self.snapshot() as conn:

            def one(sql: str) -> int:
                return int(conn.execute(sql).fetchone()[0])

            return Stats(
                cables=one("SELECT count(*) FROM cables"),
                versions=one("SELECT count(*) FROM versions WHERE published_at IS NOT NULL"),
                inputs=one(
                    "SELECT count(*) FROM inputs i JOIN versions v ON v.cable_id = i.cable_id "
                    "AND v.number = i.version WHERE v.published_at IS NOT NULL"
                ),
                quarantined=one("SELECT count(*) FROM quarantine"),
                references=one("SELECT count(*) FROM refs WHERE kind = 'cable'"),
                cited_missing=one(
                    "SELECT count(DISTINCT r.target) FROM refs r WHERE r.kind = 'cable' "
                    "AND NOT EXISTS (SELECT 1 FROM cables c WHERE c.canonical_id = r.target)"
                ),
            )

    def quarantined(self) -> list[QuarantineEntry]:
        return [
            QuarantineEntry(*row)
            for row in self.conn.execute(
                "SELECT id, path, row, format, error, length(raw), first_seen, last_tried, "
                "attempts FROM quarantine ORDER BY id"
            )
        ]

    def quarantine_raw(self, entry_id: int) -> bytes | None:
        row = self.conn.execute("SELECT raw FROM quarantine WHERE id = ?", (entry_id,)).fetchone()
        return row[0] if row else None

    def check(self) -> list[str]:
        """Consistency problems (empty when the archive is sound): browse counts against the
        cables, versions and inputs against cables; first, damage to the database itself
        (SQLite's integrity check, missing tables), and then nothing more is checked."""
        problems: list[str] = self.dialect.damage(self.conn)
        if problems:
            return problems  # the counts below would fail, or mislead
        with self.snapshot() as conn:
            expected = {
                "reldate": "SELECT substr(released, 1, 10), count(*) FROM cables "
                "WHERE released IS NOT NULL GROUP BY 1",
                "month": "SELECT substr(created, 1, 7), count(*) FROM cables "
                "WHERE created IS NOT NULL GROUP BY 1",
                "origin": "SELECT origin, count(*) FROM cables WHERE origin IS NOT NULL "
                "AND origin != '' GROUP BY 1",
                "classification": "SELECT classification, count(*) FROM cables "
                "WHERE classification IS NOT NULL AND classification != '' GROUP BY 1",
                "tag": "SELECT tag, count(*) FROM tags GROUP BY 1",
            }
            for kind, sql in expected.items():
                truth = dict(conn.execute(sql).fetchall())
                stored = dict(conn.execute("SELECT key, count FROM browse WHERE kind = ?", (kind,)))
                if truth != stored:
                    diff = {
                        k: (stored.get(k), truth.get(k))
                        for k in truth.keys() | stored.keys()
                        if stored.get(k) != truth.get(k)
                    }
                    problems.append(f"browse counts for {kind} differ (stored, actual): {diff}")
            checks = {
                "cables whose current version is missing": "SELECT count(*) FROM cables c "
                "WHERE NOT EXISTS (SELECT 1 FROM versions v WHERE v.cable_id = c.id "
                "AND v.number = c.current)",
                "cables whose version count is wrong": "SELECT count(*) FROM cables c "
                "WHERE versions != (SELECT count(*) FROM versions v WHERE v.cable_id = c.id "
                "AND v.published_at IS NOT NULL)",
                "entries whose version count is wrong": "SELECT count(*) FROM entries e "
                "WHERE versions != (SELECT count(*) FROM versions v WHERE v.cable_id = e.id)",
                "public cables that are not entries": "SELECT count(*) FROM cables c "
                "LEFT JOIN entries e ON e.id = c.id AND e.canonical_id = c.canonical_id "
                "WHERE e.id IS NULL",
                "public cables whose current version is not public": "SELECT count(*) "
                "FROM cables c JOIN versions v ON v.cable_id = c.id AND v.number = c.current "
                "WHERE v.published_at IS NULL",
                "cables with a public version but no public row": "SELECT count(DISTINCT "
                "v.cable_id) FROM versions v LEFT JOIN cables c ON c.id = v.cable_id "
                "WHERE v.published_at IS NOT NULL AND c.id IS NULL",
                "versions without an input": "SELECT count(*) FROM versions v WHERE NOT EXISTS "
                "(SELECT 1 FROM inputs i WHERE i.cable_id = v.cable_id "
                "AND i.version = v.number)",
                "inputs pointing nowhere": "SELECT count(*) FROM inputs i WHERE NOT EXISTS "
                "(SELECT 1 FROM versions v WHERE v.cable_id = i.cable_id "
                "AND v.number = i.version)",
            }
            for label, sql in checks.items():
                if n := conn.execute(sql).fetchone()[0]:
                    problems.append(f"{n} {label}")
        return problems


def _by_release_day(day: str) -> tuple[str, str, list[str]]:
    prefix = released_prefix(day)  # sort keys of a release day share it
    return "id", "FROM cables WHERE sort_key >= ? AND sort_key < ?", [prefix, prefix + "~"]


_LISTINGS: dict[str, Callable[[str], tuple[str, str, list[str]]]] = {
    "reldate": _by_release_day,
    "month": lambda month: (
        "id",
        "FROM cables WHERE created >= ? AND created < ?",
        [month, next_month(month)],
    ),
    "origin": lambda origin: ("id", "FROM cables WHERE origin = ?", [origin]),
    "classification": lambda name: ("id", "FROM cables WHERE classification = ?", [name]),
    "tag": lambda tag: ("cable_id AS id", "FROM tags WHERE tag = ?", [tag]),
}
"""What each browse listing selects: (row ID column, FROM and WHERE, arguments), each in
the order of an index on ``sort_key``."""

_LISTED = "c.canonical_id, c.subject, c.created, c.released, c.classification, c.origin"
"""The columns of :class:`Listed`, from ``cables c``."""
