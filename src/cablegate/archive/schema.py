"""The archive's tables (written for SQLite; :mod:`cablegate.archive.db` turns them into
PostgreSQL's words).

- ``entries``: one row per cable the archive holds, public or not (its ID and how many
  versions it has); ``versions`` and ``inputs`` point at it (schema 5);
- ``versions``: every distinct text of a cable ever ingested, the whole parsed record as
  compressed JSON, with its visibility: ``release_at`` (NULL: private) and ``published_at``
  (when it became public; NULL: not yet);

The public tables below hold **public cables only**: a cable gets its ``cables`` row, tags,
references, browse counts and index entry when its first version is published, and
``cables.current`` is its newest published version. Every public surface reads these
tables, so what is not yet public is not there to leak.

- ``cables``: one row per public cable, the columns of its *current* version (what pages
  show), ``id`` = ``entries.id``;
- ``inputs``: every input document ever ingested (provenance: path, format, SHA-256, time) and
  the version it gave; an input whose bytes are known is a no-op;
- ``quarantine``: inputs that could not be read, with their raw bytes and the error;
- ``articles`` and ``article_cables``: press articles (URL, title, outlet, date) and the
  cable IDs they cite, from site pages at ingest and from ``cablegate articles import``
  (schema 5); shown only with public cables;
- ``refs`` and ``tags``: the current version's references (the citation graph, targets may be
  cables not in the archive) and TAGS;
- ``sort_key`` (in ``cables`` and, copied, in ``tags``): the browse order of the original site
  as one string, so that every listing pages through an index (schema 3), which also holds
  the cable's row ID (schema 8), so that a page's rows are found in the index alone;
- ``browse``: counts per release day, creation month, origin, tag and classification, kept in
  step with ``cables`` in the same transaction;
- ``changes``: the change log of the public tables (schema 6): one row, in order, each time
  a cable is published, gets a new current version or is withdrawn, written in the same
  transaction as the change. The search index (:mod:`cablegate.search.index`, a Tantivy
  index outside the database, derived from it) records the last change it holds and catches
  up from here; ``meta.archive_id`` tells it which archive it belongs to.
- ``withdrawals``: the published versions taken down (schema 7, ``cablegate withdraw``),
  one row each while it stays down (publishing it again removes it): the public reason,
  whether the cable was withdrawn as a whole, whether its page answers 404 (``silent``)
  instead of 410, and when. A withdrawn version is private again (``published_at`` and
  ``release_at`` NULL), so no scheduler republishes it;
- ``audit``: who released, withdrew, imported articles or changed the admin token, what,
  when and why (schema 7), written in the same transaction as the change; read only by
  ``cablegate log``, never by a public surface.

Schemas 1-5 kept a full-text index in the database (FTS5, or a ``tsvector`` column in
PostgreSQL); schema 6 drops it. An older archive is brought here a version at a time by
:mod:`cablegate.archive.migrations`, whose steps add what each version added, by name, from
the definitions below.
"""

from __future__ import annotations

import re

SCHEMA_VERSION = 8

TABLES = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS entries (
    id INTEGER PRIMARY KEY,
    canonical_id TEXT NOT NULL UNIQUE,
    versions INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS cables (
    id INTEGER PRIMARY KEY,
    canonical_id TEXT NOT NULL UNIQUE,
    reference_id TEXT NOT NULL,
    current INTEGER NOT NULL,
    versions INTEGER NOT NULL,
    created TEXT,
    released TEXT,
    classification TEXT,
    origin TEXT,
    subject TEXT,
    sort_key TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS cables_created ON cables (created);
CREATE INDEX IF NOT EXISTS cables_order ON cables (sort_key, id);
CREATE INDEX IF NOT EXISTS cables_origin_order ON cables (origin, sort_key, id);
CREATE INDEX IF NOT EXISTS cables_classification_order ON cables (classification, sort_key, id);
CREATE INDEX IF NOT EXISTS cables_released ON cables (released);
CREATE TABLE IF NOT EXISTS versions (
    cable_id INTEGER NOT NULL REFERENCES entries (id),
    number INTEGER NOT NULL,
    text_sha256 TEXT NOT NULL,
    released TEXT,
    ingested_at TEXT NOT NULL,
    data BLOB NOT NULL,
    release_at TEXT,
    published_at TEXT,
    PRIMARY KEY (cable_id, number),
    UNIQUE (cable_id, text_sha256)
);
CREATE INDEX IF NOT EXISTS versions_due ON versions (release_at)
    WHERE published_at IS NULL AND release_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS inputs (
    id INTEGER PRIMARY KEY,
    sha256 TEXT NOT NULL,
    path TEXT NOT NULL,
    row INTEGER,
    format TEXT NOT NULL,
    ingested_at TEXT NOT NULL,
    cable_id INTEGER NOT NULL REFERENCES entries (id),
    version INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS inputs_identity ON inputs (sha256, path, coalesce(row, 0));
CREATE INDEX IF NOT EXISTS inputs_cable ON inputs (cable_id, version);
CREATE TABLE IF NOT EXISTS quarantine (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL,
    path TEXT NOT NULL,
    row INTEGER,
    format TEXT,
    error TEXT NOT NULL,
    raw BLOB,
    first_seen TEXT NOT NULL,
    last_tried TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX IF NOT EXISTS quarantine_identity ON quarantine (key, path, coalesce(row, 0));
CREATE TABLE IF NOT EXISTS refs (
    cable_id INTEGER NOT NULL REFERENCES cables (id),
    position INTEGER NOT NULL,
    kind TEXT NOT NULL,
    target TEXT NOT NULL,
    text TEXT NOT NULL,
    label TEXT,
    PRIMARY KEY (cable_id, position)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS refs_target ON refs (target, cable_id) WHERE kind = 'cable';
CREATE TABLE IF NOT EXISTS tags (
    cable_id INTEGER NOT NULL REFERENCES cables (id),
    position INTEGER NOT NULL,
    tag TEXT NOT NULL,
    sort_key TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (cable_id, position)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS tags_tag ON tags (tag, cable_id);
CREATE INDEX IF NOT EXISTS tags_order ON tags (tag, sort_key, cable_id);
CREATE TABLE IF NOT EXISTS articles (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    title TEXT,
    outlet TEXT,
    published TEXT
);
CREATE TABLE IF NOT EXISTS article_cables (
    id INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles (id),
    canonical_id TEXT NOT NULL,
    UNIQUE (article_id, canonical_id)
);
CREATE INDEX IF NOT EXISTS article_cables_cable ON article_cables (canonical_id);
CREATE TABLE IF NOT EXISTS changes (
    seq INTEGER PRIMARY KEY,
    cable_id INTEGER NOT NULL,
    at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS browse (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (kind, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS withdrawals (
    cable_id INTEGER NOT NULL REFERENCES entries (id),
    version INTEGER NOT NULL,
    whole INTEGER NOT NULL,
    reason TEXT NOT NULL,
    silent INTEGER NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (cable_id, version)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    who TEXT NOT NULL,
    action TEXT NOT NULL,
    what TEXT NOT NULL,
    why TEXT
);
"""


def statements(script: str) -> list[str]:
    """The statements of a script of table definitions, each with its ``;`` (none of ours
    has one inside it)."""
    return [sql.strip() + ";" for sql in script.split(";") if sql.strip()]


def definition(name: str) -> str:
    """The ``CREATE`` statement of one table or index of :data:`TABLES` (for the migration
    step that adds it: :mod:`cablegate.archive.migrations`)."""
    for sql in statements(TABLES):
        match = re.match(r"CREATE (?:UNIQUE )?(?:TABLE|INDEX) IF NOT EXISTS (\w+)", sql)
        if match and match[1] == name:
            return sql
    raise KeyError(name)


def column(table: str, name: str) -> str:
    """One column's definition in its table's statement (for ``ALTER TABLE … ADD COLUMN``)."""
    for line in definition(table).splitlines()[1:]:
        if line.split()[:1] == [name]:
            return line.strip().rstrip(",")
    raise KeyError(f"{table}.{name}")


BROWSE_COUNTS = ("reldate", "month", "origin", "tag", "classification")
"""Kinds of ``browse`` rows (the browse counts): release day, creation month, origin, tag,
classification."""
