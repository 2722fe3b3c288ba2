"""Database connections: one interface over SQLite and PostgreSQL.

The archive writes its SQL once, in the subset both databases speak (``?`` placeholders,
``INSERT … ON CONFLICT``, ``RETURNING``, ``coalesce``). A :class:`Dialect` holds what
differs: connecting, the table definitions and how transactions begin. (Search has its own
index outside the database: :mod:`cablegate.search.index`.)

Write transactions are serialised on both: SQLite by ``BEGIN IMMEDIATE``, PostgreSQL by a
transaction-scoped advisory lock, so several ingests, release schedulers and servers can
share one PostgreSQL archive and each transaction sees the state the last one left.
Readers never wait for writers.
"""

from __future__ import annotations

import functools
import math
import re
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

from cablegate.archive.schema import SCHEMA_VERSION, TABLES
from cablegate.archive.url import POSTGRESQL_MISSING, DatabaseURL
from cablegate.errors import CablegateError

try:  # PostgreSQL is optional: SQLite archives need nothing but the standard library
    import psycopg
    import psycopg.errors
except ImportError:  # pragma: no cover - the optional extra cablegate[postgresql]
    psycopg = None  # type: ignore[assignment]

DB_ERRORS: tuple[type[Exception], ...] = (sqlite3.Error,) + (
    (psycopg.Error,) if psycopg is not None else ()
)
"""Errors either database raises (for code that must survive any of them)."""

READ_CACHE = -8192
"""SQLite page cache of a read-only connection (negative: KiB, so 8 MiB)."""
WRITE_LOCK = 0x6361626C  # "cabl": the advisory lock every PostgreSQL write transaction holds


class Connection(Protocol):
    """What the archive uses of a connection: ``sqlite3.Connection`` has it as it is."""

    def execute(self, sql: str, args: Sequence[Any] = ..., /) -> Any: ...

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]], /) -> Any: ...

    def close(self) -> None: ...


@functools.lru_cache(maxsize=1024)
def to_pyformat(sql: str) -> str:
    """SQLite's ``?`` placeholders as psycopg's ``%s`` (``%`` doubled), outside quotes."""
    parts = re.split(r"('(?:[^']|'')*')", sql)
    for i in range(0, len(parts), 2):
        parts[i] = parts[i].replace("%", "%%").replace("?", "%s")
    return "".join(parts)


class PostgresConnection:
    """A psycopg connection (autocommit: transactions are explicit) speaking ``?``."""

    def __init__(self, conn: Any) -> None:
        self.raw = conn

    def execute(self, sql: str, args: Sequence[Any] | None = None) -> Any:
        if args is None:
            return self.raw.execute(sql)
        return self.raw.execute(to_pyformat(sql), args)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Any:
        cursor = self.raw.cursor()
        cursor.executemany(to_pyformat(sql), list(rows))
        return cursor

    def close(self) -> None:
        self.raw.close()


class Dialect:
    """What differs between the databases (SQLite here; PostgreSQL below)."""

    name = "sqlite"
    begin_write = "BEGIN IMMEDIATE"
    begin_read = "BEGIN"

    def connect(self, url: DatabaseURL, create: bool, read_only: bool = False) -> Connection:
        """A connection; ``read_only``: one that cannot write (SQLite's ``mode=ro``), as the
        web servers read."""
        path = Path(url.target)
        if not create and not path.exists():
            raise CablegateError(f"{path}: no archive there (run `cablegate ingest` first)")
        if path.exists():  # only a path where nothing is becomes a new archive
            damage = sqlite_file_damage(path)
            if damage:
                raise CablegateError(f"{path}: {damage}")
        if read_only:
            uri = f"{path.resolve().as_uri()}?mode=ro"
            conn = sqlite3.connect(
                uri, uri=True, isolation_level=None, timeout=60, check_same_thread=False
            )
            # A small page cache: a web server holds one such connection per thread, and
            # the operating system caches the file for all of them.
            pragmas: tuple[str, ...] = ("busy_timeout = 60000", f"cache_size = {READ_CACHE}")
        else:
            if path.parent and not path.parent.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path, isolation_level=None, timeout=60, check_same_thread=False)
            pragmas = (
                "journal_mode = WAL",
                "synchronous = NORMAL",
                "busy_timeout = 60000",
                "cache_size = -65536",
            )
        for pragma in pragmas:
            conn.execute(f"PRAGMA {pragma}")
        return conn

    def limit_time(self, conn: Connection, seconds: float) -> Callable[[], None]:
        """Stop the queries of a connection that run too long (:func:`timed_out` tells
        the error they raise). Returns what to call when a request starts: in SQLite the
        limit is for all queries from that call on (a progress handler watches the clock);
        in PostgreSQL for each query (``statement_timeout``)."""
        assert isinstance(conn, sqlite3.Connection)
        clock = _Clock(seconds)
        conn.set_progress_handler(clock, 1000)
        return clock.start

    def insert_rows(
        self, conn: Connection, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]
    ) -> None:
        """Insert new rows into a table, many at once (in the caller's transaction)."""
        if rows:
            marks = ", ".join("?" * len(columns))
            conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)

    def stream(self, conn: Connection, sql: str) -> Iterator[tuple[Any, ...]]:
        """The rows of a query, a batch at a time (not all in memory at once)."""
        cursor = conn.execute(sql)
        while batch := cursor.fetchmany(2000):
            yield from batch

    def broken(self, conn: Connection) -> bool:
        """Whether the connection is lost (never, for a file)."""
        return False

    def has_table(self, conn: Connection, name: str) -> bool:
        sql = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
        return conn.execute(sql, (name,)).fetchone() is not None

    def damage(self, conn: Connection) -> list[str]:
        """Damage to the database itself: SQLite's ``PRAGMA integrity_check`` (every
        page and index) and tables of the archive that are missing."""
        try:
            rows = [row[0] for row in conn.execute("PRAGMA integrity_check").fetchall()]
        except sqlite3.DatabaseError as exc:
            return [f"integrity check failed: {exc}"]
        problems = [f"integrity check: {row}" for row in rows if row != "ok"]
        return problems + self.missing_tables(conn)

    def missing_tables(self, conn: Connection) -> list[str]:
        """Tables the archive's schema has that are not there: every table of the current
        schema, or (an archive not yet migrated) those every supported schema has."""
        try:
            wanted = table_names(self.tables())
            if self.has_table(conn, "meta"):
                row = conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
                if row is None or row[0] != str(SCHEMA_VERSION):
                    wanted = [name for name in wanted if name in ALWAYS_THERE]
            missing = [name for name in wanted if not self.has_table(conn, name)]
        except DB_ERRORS as exc:
            return [f"cannot list the tables: {exc}"]
        return [f"table {name} is missing" for name in missing]

    def tables(self) -> str:
        """The archive's tables and indexes."""
        return TABLES

    def ddl(self, sql: str) -> str:
        """A table definition (written for SQLite) in this database's words."""
        return sql

    def lock(self, conn: Connection) -> None:
        """Called just after ``begin_write``: nothing more to do in SQLite."""


def file_damage(url: DatabaseURL) -> list[str]:
    """:meth:`Dialect.damage` of an SQLite archive too damaged to open as one."""
    uri = f"{Path(url.target).resolve().as_uri()}?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True, isolation_level=None)
    except sqlite3.DatabaseError as exc:
        return [f"cannot be opened: {exc}"]
    try:
        return SQLITE.damage(conn)
    finally:
        conn.close()


ALWAYS_THERE = ("meta", "cables", "versions", "inputs", "quarantine", "refs", "tags", "browse")
"""The tables of every schema an archive can be migrated from."""


def table_names(script: str) -> list[str]:
    """The tables a schema script creates."""
    return re.findall(r"CREATE TABLE (?:IF NOT EXISTS )?(\w+)", script)


SQLITE_MAGIC = b"SQLite format 3\0"
MALFORMED = "database disk image is malformed"


def sqlite_file_damage(path: Path) -> str | None:
    """What is wrong with a file that should be an SQLite archive, from its header and size
    (cheap: reads 100 bytes); None when it looks whole. Damage inside is found by
    ``PRAGMA integrity_check`` (``cablegate check``)."""
    try:
        if path.is_dir():
            return "a folder, not an SQLite database"
        size = path.stat().st_size
        with path.open("rb") as file:
            header = file.read(100)
    except OSError as exc:
        return f"cannot be read: {exc.strerror or exc}"
    if size == 0:
        return "an empty file, not an archive (remove it to start a new archive there)"
    if not header.startswith(SQLITE_MAGIC):
        return "not an SQLite database"
    if len(header) < 100:
        return f"{MALFORMED} (truncated: {size} bytes)"
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    counted = header[24:28] == header[92:96]  # the header's page count is current
    if page_size < 512 or page_size & (page_size - 1):
        return f"{MALFORMED} (page size {page_size})"
    if counted and pages and size < pages * page_size:
        return f"{MALFORMED} (truncated: {size:,} bytes, its header says {pages * page_size:,})"
    return None


class Postgres(Dialect):
    """PostgreSQL: text compared byte by byte (``COLLATE "C"``) so that every listing
    sorts as in SQLite."""

    name = "postgresql"
    begin_write = "BEGIN"
    begin_read = "BEGIN ISOLATION LEVEL REPEATABLE READ"

    def connect(self, url: DatabaseURL, create: bool, read_only: bool = False) -> Connection:
        """A connection; ``read_only``: every transaction in it is read-only."""
        if psycopg is None:  # pragma: no cover
            raise CablegateError(POSTGRESQL_MISSING.format(url=url.safe()))
        target = url.target.replace("postgresql+psycopg://", "postgresql://", 1)
        try:
            options = "-c default_transaction_read_only=on" if read_only else None
            raw = psycopg.connect(target, autocommit=True, connect_timeout=30, options=options)
        except psycopg.Error as exc:
            raise CablegateError(f"{url.safe()}: cannot connect: {exc}".strip()) from None
        conn = PostgresConnection(raw)
        if not create and not self.has_table(conn, "meta"):
            conn.close()
            raise CablegateError(f"{url.safe()}: no archive there (run `cablegate ingest` first)")
        return conn

    def insert_rows(
        self, conn: Connection, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]
    ) -> None:
        """By ``COPY``: one statement streamed to the server, not a round trip a row."""
        if not rows:
            return
        assert isinstance(conn, PostgresConnection)
        sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        with conn.raw.cursor() as cursor, cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)

    def stream(self, conn: Connection, sql: str) -> Iterator[tuple[Any, ...]]:
        """Through a server-side cursor (call it inside a transaction)."""
        assert isinstance(conn, PostgresConnection)
        with conn.raw.cursor(name=f"stream_{id(sql)}") as cursor:
            cursor.itersize = 2000
            cursor.execute(sql)
            yield from cursor

    def limit_time(self, conn: Connection, seconds: float) -> Callable[[], None]:
        conn.execute(f"SET statement_timeout = {max(1, round(seconds * 1000))}")
        return _nothing

    def broken(self, conn: Connection) -> bool:
        assert isinstance(conn, PostgresConnection)
        return bool(conn.raw.broken or conn.raw.closed)

    def has_table(self, conn: Connection, name: str) -> bool:
        sql = "SELECT 1 FROM pg_tables WHERE schemaname = current_schema() AND tablename = ?"
        return conn.execute(sql, (name,)).fetchone() is not None

    def damage(self, conn: Connection) -> list[str]:
        """Tables of the archive that are missing (the server checks its own pages)."""
        return self.missing_tables(conn)

    def tables(self) -> str:
        return postgres_ddl(TABLES)

    def ddl(self, sql: str) -> str:
        return postgres_ddl(sql)

    def lock(self, conn: Connection) -> None:
        conn.execute(_lock_sql())


class _Clock:
    """SQLite's progress handler for a time limit: nonzero (stop the query) once the
    deadline set by :meth:`start` has passed."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = math.inf

    def start(self) -> None:
        self.deadline = time.monotonic() + self.seconds

    def __call__(self) -> int:
        return int(time.monotonic() > self.deadline)


def _nothing() -> None:
    pass


def timed_out(error: BaseException) -> bool:
    """Whether an error is a query stopped by :meth:`Dialect.limit_time`."""
    if isinstance(error, sqlite3.OperationalError):
        return str(error) == "interrupted"
    return psycopg is not None and isinstance(error, psycopg.errors.QueryCanceled)


def _lock_sql() -> str:
    return f"SELECT pg_advisory_xact_lock({WRITE_LOCK})"


def postgres_ddl(sql: str) -> str:
    """The SQLite table definitions in PostgreSQL's words: 64-bit integers, ``bytea`` for
    blobs, and byte-order text. (Row IDs are given by the writer, as SQLite would.)"""
    sql = re.sub(r"\bINTEGER\b", "BIGINT", sql)
    sql = re.sub(r"\bBLOB\b", "BYTEA", sql)
    sql = re.sub(r"\bTEXT\b", 'TEXT COLLATE "C"', sql)
    sql = sql.replace(") WITHOUT ROWID;", ");")
    return sql


SQLITE = Dialect()
POSTGRES = Postgres()


def dialect(url: DatabaseURL) -> Dialect:
    return POSTGRES if url.backend == "postgresql" else SQLITE
