"""Schema migrations (:mod:`cablegate.archive.migrations`) on both databases.

An archive of real cables is made at every schema this cablegate migrates (SQLite from 2,
PostgreSQL from 5: it came with schema 5), by taking a new archive back to what that schema
held. Opened, it runs every step it lacks and then equals the new archive. A process killed
with SIGKILL inside any step, after the step's work and before its commit, leaves the
archive whole at the version before that step (the same tables and rows as a real archive of
it), and the next open finishes the migration. Processes opening an old archive together
migrate it once; schemas too old or too new are refused with a clear error.
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cablegate.archive import Archive, migrations
from cablegate.archive import db as dbs
from cablegate.archive.records import decode_cable
from cablegate.archive.schema import SCHEMA_VERSION
from cablegate.archive.url import parse_url
from cablegate.errors import CablegateError
from cablegate.ingest import ingest
from cablegate.model import Cable
from cablegate.search.engine import all_hits
from cablegate.search.index import routing_text
from tests.conftest import (
    BACKENDS,
    NewDb,
    _database,
    _plain,
    dump_archive,
    iter_tar_html,
    requires_corpus,
)
from tests.pgserver import Server

pytestmark = pytest.mark.xdist_group("migrations")

OLD = {"sqlite": (2, 3, 4, 5, 6, 7), "postgresql": (5, 6, 7)}
"""The old schemas each database may hold (PostgreSQL came with schema 5)."""

STARTS = [(backend, start) for backend in BACKENDS for start in OLD[backend]]

KILLS = sorted(
    {
        (backend, start, target)
        for backend in BACKENDS
        for target in range(OLD[backend][0] + 1, SCHEMA_VERSION + 1)
        for start in (OLD[backend][0], target - 1)
    }
)
"""(database, schema the archive starts at, step killed): each step from the step before it
and from the oldest schema (the steps before it committed)."""

FULLTEXT = ("cables_fts",)
"""Names of the in-database full-text index of schemas 1-5 (step 4 drops it, not rebuilds)."""


# -- old archives ------------------------------------------------------------------------


CHANGED = {"04RANGOON1100", "05LIMA2158", "06MADRID76", "08LONDON929", "09BAGHDAD1103"}
"""Cables whose older versions differ in text (08LONDON929 and 09BAGHDAD1103 have three)."""


@pytest.fixture(scope="module")
def cables(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """40 real cable pages (the first 35 and :data:`CHANGED`) and the older versions of
    those that have any, as the release laid them out."""
    folder = tmp_path_factory.mktemp("cables")
    pages = []
    for i, (name, data) in enumerate(iter_tar_html("cablegate-site.tar.xz")):
        if i < 35 or Path(name).stem in CHANGED:
            pages.append((name, data))
        if len(pages) == 35 + len(CHANGED):
            break
    ids = {Path(name).stem for name, _ in pages}
    older = [p for p in iter_tar_html("cablegate-versions.tar.xz") if p[0].split("/")[1] in ids]
    assert len(older) > 10
    for name, data in pages + older:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    return [folder / "cablegate-site", folder / "versions"]


class Olds:
    """For each database: a new archive of the cables, what it holds, and copies of it taken
    back to each old schema (made once, copied for each test)."""

    def __init__(self, server: Server | None, folder: Path, cables: list[Path]) -> None:
        self.server = server
        self.folder = folder
        self.cables = cables
        self.fresh: dict[str, str] = {}
        self.want: dict[str, dict[str, list[tuple[Any, ...]]]] = {}
        self.shape: dict[str, dict[str, list[str]]] = {}
        self.templates: dict[tuple[str, int], str] = {}
        self.held: dict[tuple[str, int], dict[str, Any]] = {}

    def new(self, backend: str) -> str:
        """The archive of the cables at the current schema (untouched by the tests)."""
        if backend not in self.fresh:
            db = _database(backend, self.server, self.folder, f"fresh_{backend}")
            with Archive.open(db) as archive:
                report = ingest(archive, self.cables, jobs=1)
                assert report.balanced and (report.new, report.versions) == (40, 7)
                self.shape[backend] = structure(archive)
            self.want[backend] = dump_archive(db)
            assert len(self.want[backend]["articles"]) >= 5
            self.fresh[backend] = db
        return self.fresh[backend]

    def template(self, backend: str, schema: int) -> str:
        if (backend, schema) not in self.templates:
            db = self._copy(backend, self.new(backend), f"schema{schema}")
            take_back(db, schema)
            with unmigrated(db) as archive:
                self.held[backend, schema] = contents(archive)
            self.templates[backend, schema] = db
        return self.templates[backend, schema]

    def copy(self, backend: str, schema: int, name: str) -> str:
        """A new archive of the cables at an old schema, for one test."""
        return self._copy(backend, self.template(backend, schema), name)

    def _copy(self, backend: str, source: str, name: str) -> str:
        if backend == "sqlite":
            target = self.folder / f"{name}_{time.monotonic_ns()}.db"
            shutil.copyfile(source, target)
            return str(target)
        import psycopg

        assert self.server is not None
        base, template = source.rsplit("/", 1)
        copy = f"t_{name}_{time.monotonic_ns()}"
        for attempt in range(50):  # a template may not be in use, even just closed
            try:
                with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
                    conn.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{template}"')
                break
            except psycopg.errors.ObjectInUse:
                time.sleep(0.1 * (attempt + 1))
        return f"{base}/{copy}"


@pytest.fixture(scope="module")
def olds(
    pg_server: Server | None, tmp_path_factory: pytest.TempPathFactory, cables: list[Path]
) -> Olds:
    return Olds(pg_server, tmp_path_factory.mktemp("olds"), cables)


def take_back(db: str, schema: int) -> None:
    """Make an archive of the current schema what archives of ``schema`` were on its
    database, in one transaction, from the newest down: 7's listing indexes did not hold
    the row ID; 6 had no withdrawals or audit trail; 5 had the full-text index in the
    database and no change log or archive ID; 4 had no entries or visibility, articles one
    row per cable and position, and (in SQLite, before PostgreSQL came) three indexes in
    older forms; 3 indexed subject and body only; 2 had no sort keys, and two indexes that
    sorted by creation date. (SQLite's foreign keys
    of versions and inputs still name ``entries``: not enforced, and not something a
    migration reads.)"""
    with Archive.open(db, create=False) as archive, archive.transaction() as conn:
        sqlite = archive.dialect.name == "sqlite"
        current = [
            (cable_id, decode_cable(data))
            for cable_id, data in conn.execute(
                "SELECT c.id, v.data FROM cables c JOIN versions v "
                "ON v.cable_id = c.id AND v.number = c.current ORDER BY c.id"
            ).fetchall()
        ]
        if schema < 8:
            for name, columns in LISTING_INDEXES_7.items():
                conn.execute(f"DROP INDEX {name}")
                conn.execute(f"CREATE INDEX {name} ON {columns}")
        if schema < 7:
            conn.execute("DROP TABLE withdrawals")
            conn.execute("DROP TABLE audit")
        if schema < 6:
            conn.execute("DROP TABLE changes")
            conn.execute("DELETE FROM meta WHERE key = 'archive_id'")
            _fulltext(conn, sqlite, current, routing=True)
        if schema < 5:
            conn.execute("DROP INDEX versions_due")
            conn.execute("ALTER TABLE versions DROP COLUMN release_at")
            conn.execute("ALTER TABLE versions DROP COLUMN published_at")
            for table in ("article_cables", "articles", "entries"):
                conn.execute(f"DROP TABLE {table}")
            conn.execute(
                "CREATE TABLE articles (cable_id INTEGER NOT NULL REFERENCES cables (id), "
                "position INTEGER NOT NULL, url TEXT NOT NULL, title TEXT, "
                "PRIMARY KEY (cable_id, position)) WITHOUT ROWID"
            )
            conn.execute("CREATE INDEX articles_url ON articles (url)")
            conn.executemany(
                "INSERT INTO articles (cable_id, position, url, title) VALUES (?, ?, ?, ?)",
                [
                    (cable_id, i, article.url, article.title)
                    for cable_id, cable in current
                    for i, article in enumerate(cable.articles)
                ],
            )
            conn.execute("DROP INDEX refs_target")
            conn.execute("CREATE INDEX refs_target ON refs (target, cable_id)")
            for table, key in (("inputs", "sha256, path"), ("quarantine", "key, path")):
                conn.execute(f"DROP INDEX {table}_identity")
                conn.execute(
                    f"CREATE UNIQUE INDEX {table}_identity ON {table} ({key}, ifnull(row, 0))"
                )
        if schema < 4:
            _fulltext(conn, sqlite, current, routing=False)
        if schema < 3:
            for index in ("cables_order", "cables_origin_order", "cables_classification_order"):
                conn.execute(f"DROP INDEX {index}")
            conn.execute("DROP INDEX tags_order")
            conn.execute("ALTER TABLE cables DROP COLUMN sort_key")
            conn.execute("ALTER TABLE tags DROP COLUMN sort_key")
            conn.execute("CREATE INDEX cables_origin ON cables (origin, created)")
            conn.execute("CREATE INDEX cables_classification ON cables (classification, created)")
        conn.execute("UPDATE meta SET value = ? WHERE key = 'schema'", (str(schema),))


LISTING_INDEXES_7 = {
    "cables_order": "cables (sort_key)",
    "cables_origin_order": "cables (origin, sort_key)",
    "cables_classification_order": "cables (classification, sort_key)",
    "tags_order": "tags (tag, sort_key)",
}
"""The indexes browse listings paged through up to schema 7 (without the row ID)."""


def _fulltext(
    conn: dbs.Connection, sqlite: bool, current: list[tuple[int, Cable]], routing: bool
) -> None:
    """The in-database full-text index of schemas 1-5, filled: FTS5 of subject and body
    (and, from schema 4, sender and recipients), or PostgreSQL's ``tsvector`` per cable."""
    conn.execute("DROP TABLE IF EXISTS cables_fts")
    if not sqlite:
        conn.execute("CREATE TABLE cables_fts (id BIGINT PRIMARY KEY, doc TSVECTOR NOT NULL)")
        conn.execute("CREATE INDEX cables_fts_doc ON cables_fts USING GIN (doc)")
        conn.executemany(
            "INSERT INTO cables_fts (id, doc) VALUES (?, to_tsvector('simple', ?))",
            [(cable_id, f"{cable.subject or ''} {cable.body}") for cable_id, cable in current],
        )
        return
    columns = ["subject", "body", *(["sender", "recipients"] if routing else [])]
    conn.execute(
        f"CREATE VIRTUAL TABLE cables_fts USING fts5 ({', '.join(columns)}, content = '', "
        "tokenize = 'unicode61 remove_diacritics 2')"
    )
    conn.execute("INSERT INTO cables_fts (cables_fts, rank) VALUES ('automerge', 8)")
    conn.executemany(
        f"INSERT INTO cables_fts (rowid, {', '.join(columns)}) "
        f"VALUES (?, {', '.join('?' for _ in columns)})",
        [
            (cable_id, cable.subject or "", cable.body, *(routing_text(cable) if routing else ()))
            for cable_id, cable in current
        ],
    )


@contextlib.contextmanager
def unmigrated(db: str) -> Iterator[Archive]:
    """The archive as it is, even none yet (``Archive.open`` would make or migrate it)."""
    url = parse_url(db)
    dialect = dbs.dialect(url)
    archive = Archive(url, dialect.connect(url, True), dialect)
    try:
        yield archive
    finally:
        archive.close()


def structure(archive: Archive) -> dict[str, list[str]]:
    """Every table's columns in order, and the indexes (``(indexes)``): each one's
    definition as the database keeps it, whitespace aside."""
    conn = archive.conn
    shape: dict[str, list[str]] = {}
    if archive.dialect.name == "sqlite":
        tables = "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
        for (table,) in conn.execute(tables).fetchall():
            shape[table] = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
        indexes = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
            "AND name NOT LIKE 'sqlite_autoindex%' ORDER BY name"
        )
    else:
        for table, column in conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position"
        ):
            shape.setdefault(table, []).append(column)
        indexes = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            "ORDER BY 1"
        )
    shape["(indexes)"] = [f"{name}: {' '.join(sql.split())}" for name, sql in indexes]
    return shape


def without_fulltext(shape: dict[str, list[str]]) -> dict[str, list[str]]:
    def kept(name: str) -> bool:
        return not name.startswith(FULLTEXT)

    shape = {table: columns for table, columns in shape.items() if kept(table)}
    shape["(indexes)"] = [name for name in shape["(indexes)"] if kept(name)]
    return shape


TIMES = {"ingested_at", "release_at", "published_at", "first_seen", "last_tried"}
"""Columns of when things happened: compared only as set or not."""


def contents(archive: Archive) -> dict[str, Any]:
    """What an archive holds at whatever schema it is: its schema, tables and indexes, and
    every row of every table but the in-database full-text index (times only as set or not;
    articles of schema 5 on by URL, not row ID; of ``meta`` only the schema)."""
    shape = without_fulltext(structure(archive))
    # Indexes by name: one made before schema 5 keeps its older form until step 8.
    shape["(indexes)"] = [index.split(":")[0] for index in shape["(indexes)"]]
    held: dict[str, Any] = {"structure": shape}
    for table, columns in shape.items():
        if table == "(indexes)":
            continue
        if table == "meta":
            sql = "SELECT value FROM meta WHERE key = 'schema'"
        elif table in ("articles", "article_cables") and "article_cables" in shape:
            sql = (
                "SELECT a.url, a.title, a.outlet, a.published, l.canonical_id "
                "FROM article_cables l JOIN articles a ON a.id = l.article_id"
            )
        else:
            selected = [f"{c} IS NULL" if c in TIMES else c for c in columns]
            sql = f"SELECT {', '.join(selected)} FROM {table}"
        rows = archive.conn.execute(sql).fetchall()
        held[table] = sorted(tuple(_plain(v) for v in row) for row in rows)
    return held


def schema_of(db: str) -> int | None:
    with unmigrated(db) as archive:
        return migrations.version(archive)


def migrated_equals_new(db: str, olds: Olds, backend: str) -> None:
    """The archive is at the current schema and equals the new archive of the cables."""
    with Archive.open(db, create=False) as archive:
        assert migrations.version(archive) == SCHEMA_VERSION
        assert archive.check() == []
        shape, want = structure(archive), olds.shape[backend]
        assert set(shape.pop("(indexes)")) ^ set(want["(indexes)"]) == set()
        assert shape == {table: columns for table, columns in want.items() if table != "(indexes)"}
        assert archive.conn.execute("SELECT value FROM meta WHERE key = 'archive_id'").fetchone()
    assert dump_archive(db) == olds.want[backend]


# -- a clean migration ---------------------------------------------------------------------


@requires_corpus
@pytest.mark.parametrize(("backend", "start"), STARTS)
def test_an_old_archive_runs_every_step_it_lacks_and_equals_a_new_one(
    backend: str, start: int, olds: Olds, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = olds.copy(backend, start, "clean")
    with unmigrated(db) as archive:
        assert contents(archive) == olds.held[backend, start]
    ran: list[int] = []
    for target, step in list(migrations.STEPS.items()):
        monkeypatch.setitem(
            migrations.STEPS, target, lambda a, c, t=target, s=step: (ran.append(t), s(a, c))
        )
    migrated_equals_new(db, olds, backend)
    assert ran == list(range(start + 1, SCHEMA_VERSION + 1))
    if start < 5:  # the articles table of schema 2 to 4 had them from the current versions
        with unmigrated(olds.template(backend, start)) as archive:
            old = archive.conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        assert 0 < old <= len(olds.want[backend]["articles"])


# -- kill -9 inside each step --------------------------------------------------------------

CHILD = """
import os, signal, sys
from cablegate.archive import Archive, migrations

db, target, at = sys.argv[1], int(sys.argv[2]), sys.argv[3]
if at == "step":  # the step's work done, its schema not yet recorded
    step = migrations.STEPS[target]

    def killed(archive, conn):
        step(archive, conn)
        os.kill(os.getpid(), signal.SIGKILL)

    migrations.STEPS[target] = killed
else:  # everything done but the COMMIT
    stamp = migrations.stamp

    def killed(conn, version):
        stamp(conn, version)
        if version == target:
            os.kill(os.getpid(), signal.SIGKILL)

    migrations.stamp = killed
Archive.open(db, create=False)
sys.exit("the migration ran to its end: nothing killed it")
"""


def run_killed(db: str, target: int, at: str) -> None:
    child = subprocess.run(
        [sys.executable, "-c", CHILD, db, str(target), at],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert child.returncode == -9, child.stderr


@requires_corpus
@pytest.mark.parametrize("at", ["step", "stamp"])
@pytest.mark.parametrize(("backend", "start", "target"), KILLS)
def test_a_kill_inside_a_step_leaves_the_archive_whole_and_the_next_open_finishes(
    backend: str, start: int, target: int, at: str, olds: Olds
) -> None:
    db = olds.copy(backend, start, f"kill{target}")
    run_killed(db, target, at)
    with unmigrated(db) as archive:  # whole at the version before the step
        held = contents(archive)
        assert held["meta"] == [(str(target - 1),)]
        olds.template(backend, target - 1)
        want = olds.held[backend, target - 1]
        if start < 6 <= target - 1:  # step 6 began the change log empty (a new index)
            want = {**want, "changes": []}
        if target - 1 == start:
            assert structure(archive) == structure_of(olds.template(backend, start))
        assert held == want
        assert len(held["cables"]) == len(olds.want[backend]["cables"])
        if target - 1 >= 5:
            assert archive.check() == []
            assert len(held["entries"]) == len(held["cables"])
    migrated_equals_new(db, olds, backend)


def structure_of(db: str) -> dict[str, list[str]]:
    with unmigrated(db) as archive:
        return structure(archive)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_new_archive_is_made_whole_in_one_transaction(
    backend: str, new_db: NewDb, tmp_path: Path
) -> None:
    db = new_db("new")
    kill = (
        "import os, signal, sys\n"
        "from cablegate.archive import Archive, migrations\n"
        "create = migrations._create\n"
        "def killed(archive, conn):\n"
        "    create(archive, conn)\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "migrations._create = killed\n"
        "Archive.open(sys.argv[1])\n"
    )
    child = subprocess.run([sys.executable, "-c", kill, db], capture_output=True, text=True)
    assert child.returncode == -9, child.stderr
    assert schema_of(db) is None
    with unmigrated(db) as archive:
        assert not archive.dialect.has_table(archive.conn, "cables")
    with Archive.open(db) as archive:
        assert migrations.version(archive) == SCHEMA_VERSION
        assert archive.check() == []


# -- together, and refused -----------------------------------------------------------------

TOGETHER = """
import sys, time
from cablegate.archive import Archive, migrations

for target, step in list(migrations.STEPS.items()):
    def slow(archive, conn, target=target, step=step):
        print("step", target, flush=True)
        step(archive, conn)
        time.sleep(0.5)  # the others are waiting for the lock by now

    migrations.STEPS[target] = slow
print("ready", flush=True)
sys.stdin.readline()
with Archive.open(sys.argv[1], create=False) as archive:
    print("schema", migrations.version(archive), flush=True)
"""


@requires_corpus
@pytest.mark.parametrize("backend", BACKENDS)
def test_processes_opening_an_old_archive_together_migrate_it_once(
    backend: str, olds: Olds
) -> None:
    start = OLD[backend][0]
    db = olds.copy(backend, start, "together")
    children = [
        subprocess.Popen(
            [sys.executable, "-c", TOGETHER, db],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    for child in children:
        assert child.stdout is not None and child.stdout.readline() == "ready\n"
    for child in children:
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
    outputs = [child.communicate(timeout=300) for child in children]
    assert [child.returncode for child in children] == [0, 0, 0], outputs
    lines = [line for out, _ in outputs for line in out.splitlines()]
    assert sorted(line for line in lines if line.startswith("step")) == [
        f"step {target}" for target in range(start + 1, SCHEMA_VERSION + 1)
    ]
    assert [line for line in lines if line.startswith("schema")] == [f"schema {SCHEMA_VERSION}"] * 3
    migrated_equals_new(db, olds, backend)


@requires_corpus
@pytest.mark.parametrize(
    ("backend", "schema", "error"),
    [
        ("sqlite", 1, "archive schema 1 is older than cablegate migrates on sqlite (from 2)"),
        ("postgresql", 4, "schema 4 is older than cablegate migrates on postgresql (from 5)"),
        ("sqlite", 9, "archive schema 9 is newer than this cablegate (8); upgrade cablegate"),
        ("postgresql", 9, "archive schema 9 is newer than this cablegate (8); upgrade"),
    ],
)
def test_a_schema_this_cablegate_cannot_migrate_is_refused_and_left_alone(
    backend: str, schema: int, error: str, olds: Olds
) -> None:
    db = olds.copy(backend, OLD[backend][0], "refused")
    with unmigrated(db) as archive, archive.transaction() as conn:
        conn.execute("UPDATE meta SET value = ? WHERE key = 'schema'", (str(schema),))
        before = contents(archive)
    with pytest.raises(CablegateError, match=error.replace("(", r"\(").replace(")", r"\)")):
        Archive.open(db, create=False)
    with unmigrated(db) as archive:
        assert contents(archive) == before


# -- the migration tests from before the steps (demo cables) -------------------------------


def test_an_archive_of_schema_2_is_migrated(tmp_path: Path) -> None:
    """Schema 3 added the browse order key, schema 4 sender and recipients to the full-text
    index, schema 5 entries, visibility and articles of their own, schema 6 the change log
    (dropping the in-database index for the search index outside it), schema 7 withdrawals
    and the audit trail; an older archive gets them when opened, every cable in it public,
    and its search index is rebuilt."""
    from cablegate.demo import write_demo

    write_demo(tmp_path / "demo", 40)
    db = tmp_path / "old.db"
    with Archive.open(db) as archive:
        ingest(archive, [tmp_path / "demo"], jobs=1)
        want = archive.conn.execute("SELECT id, sort_key FROM cables ORDER BY id").fetchall()
        tags = archive.conn.execute("SELECT * FROM tags ORDER BY 1, 2").fetchall()
    with sqlite3.connect(db) as conn:  # take the archive back to schema 2
        conn.execute("DROP TABLE withdrawals")
        conn.execute("DROP TABLE audit")
        for index in ("cables_order", "cables_origin_order", "cables_classification_order"):
            conn.execute(f"DROP INDEX {index}")
        conn.execute("DROP INDEX tags_order")
        conn.execute("ALTER TABLE cables DROP COLUMN sort_key")
        conn.execute("ALTER TABLE tags DROP COLUMN sort_key")
        conn.execute("DROP TABLE changes")
        conn.execute("CREATE VIRTUAL TABLE cables_fts USING fts5 (subject, body, content = '')")
        conn.execute("DROP INDEX versions_due")
        conn.execute("ALTER TABLE versions DROP COLUMN release_at")
        conn.execute("ALTER TABLE versions DROP COLUMN published_at")
        conn.execute("DROP TABLE entries")
        conn.execute("DROP TABLE article_cables")
        conn.execute("DROP TABLE articles")
        conn.execute(
            "CREATE TABLE articles (cable_id INTEGER NOT NULL, position INTEGER NOT NULL, "
            "url TEXT NOT NULL, title TEXT, PRIMARY KEY (cable_id, position)) WITHOUT ROWID"
        )
        conn.execute("UPDATE meta SET value = '2' WHERE key = 'schema'")
    with Archive.open(db, create=False) as archive:
        assert archive.conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone() == (
            str(SCHEMA_VERSION),
        )
        assert not archive.dialect.has_table(archive.conn, "cables_fts")
        assert archive.conn.execute(
            "SELECT count(*), count(published_at), count(release_at) FROM versions"
        ).fetchone() == (40, 40, 40)
        assert archive.conn.execute("SELECT count(*) FROM entries").fetchone() == (40,)
        assert archive.plan() == []
        # The index built before knew changes the archive no longer logs: it is rebuilt.
        hits = len(all_hits(archive, "from:secstate"))
        assert 0 < hits < len(all_hits(archive, "")) == 40
        assert (
            archive.conn.execute("SELECT id, sort_key FROM cables ORDER BY id").fetchall() == want
        )
        assert archive.conn.execute("SELECT * FROM tags ORDER BY 1, 2").fetchall() == tags
        assert archive.check() == []
    assert len({key for _, key in want}) == len(want) == 40


@pytest.mark.parametrize("backend", ["sqlite"])  # PostgreSQL came with schema 5
def test_an_archive_of_schema_4_is_migrated(tmp_path: Path, new_db: NewDb) -> None:
    """Schema 5 (entries, visibility, articles of their own) reached from schema 4: every
    cable public, the articles filled again from the stored records. (This ran on
    PostgreSQL too until no PostgreSQL archive older than 5 was accepted:
    test_a_schema_this_cablegate_cannot_migrate_is_refused_and_left_alone.)"""
    from cablegate.demo import write_demo

    write_demo(tmp_path / "demo", 30)
    db = new_db("old")
    with Archive.open(db) as archive:
        ingest(archive, [tmp_path / "demo"], jobs=1)
        before = dump_archive(db)
        with archive.transaction() as conn:  # take it back to schema 4
            conn.execute("DROP TABLE withdrawals")
            conn.execute("DROP TABLE audit")
            conn.execute("DROP INDEX versions_due")
            conn.execute("ALTER TABLE versions DROP COLUMN release_at")
            conn.execute("ALTER TABLE versions DROP COLUMN published_at")
            cascade = " CASCADE" if archive.dialect.name == "postgresql" else ""
            for table in ("entries", "article_cables", "articles"):
                conn.execute(f"DROP TABLE {table}{cascade}")  # and its foreign keys
            conn.execute(
                "CREATE TABLE articles (cable_id INTEGER NOT NULL, position INTEGER NOT NULL, "
                "url TEXT NOT NULL, title TEXT, PRIMARY KEY (cable_id, position))"
            )
            conn.execute("UPDATE meta SET value = '4' WHERE key = 'schema'")
    with Archive.open(db, create=False) as archive:
        schema = archive.conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        assert tuple(schema) == (str(SCHEMA_VERSION),)
        assert archive.plan() == [] and archive.check() == []
    after = dump_archive(db)
    assert {k: v for k, v in after.items() if k != "versions"} == {
        k: v for k, v in before.items() if k != "versions"
    }
    assert [row[:5] for row in after["versions"]] == [row[:5] for row in before["versions"]]
