"""Schema migrations: one small step per schema version, each in one write transaction.

An archive records its schema in ``meta.schema``. Opening an older one runs the steps it
lacks, in order; a step changes the tables, fills what it added and sets ``meta.schema`` to
its version in the same transaction (:meth:`Archive.transaction`), so a crash anywhere
leaves the archive whole at the version before the step or after it, and the next open
carries on from there. A new archive is made at :data:`SCHEMA_VERSION` in one transaction.
Each step reads the version again once it holds the writer lock, so two processes opening an
old archive together migrate it once. The tables are defined in
:mod:`cablegate.archive.schema`; a step adds them by name and writes only what it drops.

Oldest schemas migrated: 2 in SQLite (the step from 1 went in 5cc76a9, step 5 refilling its
articles anyway) and 5 in PostgreSQL, which came with schema 5 (711e22d): no older
PostgreSQL archive was ever made, and none is accepted.

A runner of our own, not yoyo-migrations or Alembic: the steps are Python that decodes the
stored records (msgspec) and computes sort keys, not SQL files; their DDL is written once and
translated per database by :meth:`cablegate.archive.db.Dialect.ddl`; every write must hold
the archive's writer lock (``BEGIN IMMEDIATE`` in SQLite, an advisory lock in PostgreSQL),
which those tools' own transactions and version tables do not take; and all of it is this
one short module.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

from cablegate.archive.db import Connection
from cablegate.archive.records import decode_cable, sort_key
from cablegate.archive.schema import SCHEMA_VERSION, column, definition, statements
from cablegate.archive.store import utc_now
from cablegate.errors import CablegateError

if TYPE_CHECKING:
    from cablegate.archive.archive import Archive

Step = Callable[["Archive", Connection], None]

STEPS: dict[int, Step] = {}
"""The step that brings an archive to each schema version from the one before."""

OLDEST = {"sqlite": 2, "postgresql": 5}
"""The oldest schema migrated on each database."""


def migrate(archive: Archive) -> None:
    """Make the archive, or bring it to :data:`SCHEMA_VERSION` a step at a time."""
    found = version(archive)
    if found == SCHEMA_VERSION:  # as good as always: no lock taken
        return
    if found is None:
        with archive.transaction() as conn:
            if version(archive) is None:  # not made by another process meanwhile
                _create(archive, conn)
        return
    for target in range(found + 1, SCHEMA_VERSION + 1):
        with archive.transaction() as conn:
            if (version(archive) or 0) < target:  # not done by another process meanwhile
                STEPS[target](archive, conn)
                stamp(conn, target)


def version(archive: Archive) -> int | None:
    """The archive's schema (None: no archive there yet); a clear error for one this
    cablegate cannot use."""
    if not archive.dialect.has_table(archive.conn, "meta"):
        return None
    row = archive.conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
    found = int(row[0]) if row else None
    oldest = OLDEST[archive.dialect.name]
    if found is not None and found > SCHEMA_VERSION:
        raise CablegateError(
            f"{archive.url}: archive schema {found} is newer than this cablegate "
            f"({SCHEMA_VERSION}); upgrade cablegate"
        )
    if found is not None and found < oldest:
        raise CablegateError(
            f"{archive.url}: archive schema {found} is older than cablegate migrates on "
            f"{archive.dialect.name} (from {oldest})"
        )
    return found


def stamp(conn: Connection, target: int) -> None:
    """Record the schema a step reached (in its transaction)."""
    conn.execute("UPDATE meta SET value = ? WHERE key = 'schema'", (str(target),))


def _create(archive: Archive, conn: Connection) -> None:
    for sql in statements(archive.dialect.tables()):
        conn.execute(sql)
    _archive_id(conn)
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('schema', ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (str(SCHEMA_VERSION),),
    )


def _archive_id(conn: Connection) -> None:
    """Which archive this is, for the search index kept outside it."""
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('archive_id', ?) ON CONFLICT (key) DO NOTHING",
        (uuid.uuid4().hex,),
    )


def _add(archive: Archive, conn: Connection, *names: str) -> None:
    """Tables and indexes of the current schema, by name."""
    for name in names:
        conn.execute(archive.dialect.ddl(definition(name)))


def _add_column(archive: Archive, conn: Connection, table: str, name: str) -> None:
    conn.execute(archive.dialect.ddl(f"ALTER TABLE {table} ADD COLUMN {column(table, name)};"))


def step(target: int) -> Callable[[Step], Step]:
    def register(function: Step) -> Step:
        STEPS[target] = function
        return function

    return register


@step(3)
def sort_keys(archive: Archive, conn: Connection) -> None:
    """The browse order as one key in ``cables`` and ``tags``, with the indexes listings
    page through (replacing two that sorted by creation date). SQLite only."""
    assert isinstance(conn, sqlite3.Connection)  # no PostgreSQL archive is older than 5
    _add_column(archive, conn, "cables", "sort_key")
    _add_column(archive, conn, "tags", "sort_key")
    conn.create_function("sort_key", 3, sort_key, deterministic=True)
    conn.execute("UPDATE cables SET sort_key = sort_key(released, created, canonical_id)")
    conn.execute(
        "UPDATE tags SET sort_key = (SELECT c.sort_key FROM cables c WHERE c.id = tags.cable_id)"
    )
    conn.execute("DROP INDEX IF EXISTS cables_origin")
    conn.execute("DROP INDEX IF EXISTS cables_classification")
    orders = ("cables_order", "cables_origin_order", "cables_classification_order")
    _add(archive, conn, *orders, "tags_order")


@step(4)
def without_fulltext(archive: Archive, conn: Connection) -> None:
    """Schema 4 rebuilt the in-database full-text index with sender and recipients; schema
    6 gave it up for the search index outside the database. So this step drops it instead
    of building what step 6 drops (an archive this leaves at 4 or 5 has none)."""
    conn.execute("DROP TABLE IF EXISTS cables_fts")


@step(5)
def entries_and_articles(archive: Archive, conn: Connection) -> None:
    """``entries`` for every cable, public or not; versions with their visibility; articles
    of their own, linked by cable ID. Every cable and version so far was public; the
    articles each site page listed come again from the stored records."""
    conn.execute("DROP TABLE IF EXISTS articles")  # one row per cable and position
    _add_column(archive, conn, "versions", "release_at")
    _add_column(archive, conn, "versions", "published_at")
    _add(archive, conn, "entries", "articles", "article_cables", "article_cables_cable")
    conn.execute(
        "INSERT INTO entries (id, canonical_id, versions) "
        "SELECT id, canonical_id, versions FROM cables"
    )
    conn.execute("UPDATE versions SET release_at = ingested_at, published_at = ingested_at")
    _add(archive, conn, "versions_due")
    writer = archive.writer(utc_now())
    for (data,) in conn.execute("SELECT data FROM versions ORDER BY cable_id, number"):
        cable = decode_cable(data)
        for article in cable.articles:
            writer.article(article.url, article.title, cables=[cable.canonical_id])


@step(6)
def change_log(archive: Archive, conn: Connection) -> None:
    """The change log the search index outside the database follows, and the archive's ID
    it checks; the in-database full-text index goes."""
    conn.execute("DROP TABLE IF EXISTS cables_fts")
    _add(archive, conn, "changes")
    _archive_id(conn)


@step(7)
def withdrawals_and_audit(archive: Archive, conn: Connection) -> None:
    """Withdrawals of published cables (what their pages answer, 410 or 404) and the audit
    trail of releases, withdrawals, article imports and token changes: both empty, as
    nothing was withdrawn or recorded before."""
    _add(archive, conn, "withdrawals", "audit")


@step(8)
def listing_indexes(archive: Archive, conn: Connection) -> None:
    """The indexes browse listings page through hold the cable's row ID after the sort key.
    SQLite's held it already (every index holds the row's key); PostgreSQL read each row a
    listing's OFFSET skipped from the table: a page in the middle of the 357,000 cables of a
    tag took 135-185 ms, with the ID in the index 13-19 ms (500,000 cables).

    In SQLite, three indexes an archive made before schema 5 kept their older forms through
    the steps since (``ifnull`` for ``coalesce``, ``refs_target`` of every reference rather
    than of cables): the same rows found, but not the archive a new one is. They take their
    current form here too."""
    rebuilt = ["cables_order", "cables_origin_order", "cables_classification_order", "tags_order"]
    if isinstance(conn, sqlite3.Connection):
        for name in ("refs_target", "inputs_identity", "quarantine_identity"):
            (held,) = conn.execute(
                "SELECT sql FROM sqlite_master WHERE name = ?", (name,)
            ).fetchone()
            if held.split() != definition(name).replace(" IF NOT EXISTS", "").rstrip(";").split():
                rebuilt.append(name)
    for name in rebuilt:
        conn.execute(f"DROP INDEX {name}")
        _add(archive, conn, name)
