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
import re
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

from cablegate.archive.schema import TABLES
from cablegate.archive.url import POSTGRESQL_MISSING, DatabaseURL
from cablegate.errors import CablegateError

try:  # PostgreSQL is optional: SQLite archives need nothing but the standard library
    import psycopg
except ImportError:  # pragma: no cover - the optional extra cablegate[postgresql]
    psycopg = None  # type: ignore[assignment]

DB_ERRORS: tuple[type[Exception], ...] = (sqlite3.Error,) + (
    (psycopg.Error,) if psycopg is not None else ()
)
"""Errors either database raises (for code that must survive any of them)."""

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
        if read_only:
            uri = f"{path.resolve().as_uri()}?mode=ro"
            conn = sqlite3.connect(
                uri, uri=True, isolation_level=None, timeout=60, check_same_thread=False
            )
            pragmas: tuple[str, ...] = ("busy_timeout = 60000", "cache_size = -65536")
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

    def tables(self) -> str:
        """The archive's tables and indexes."""
        return TABLES

    def ddl(self, sql: str) -> str:
        """A table definition (written for SQLite) in this database's words."""
        return sql

    def lock(self, conn: Connection) -> None:
        """Called just after ``begin_write``: nothing more to do in SQLite."""


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

    def stream(self, conn: Connection, sql: str) -> Iterator[tuple[Any, ...]]:
        """Through a server-side cursor (call it inside a transaction)."""
        assert isinstance(conn, PostgresConnection)
        with conn.raw.cursor(name=f"stream_{id(sql)}") as cursor:
            cursor.itersize = 2000
            cursor.execute(sql)
            yield from cursor

    def broken(self, conn: Connection) -> bool:
        assert isinstance(conn, PostgresConnection)
        return bool(conn.raw.broken or conn.raw.closed)

    def has_table(self, conn: Connection, name: str) -> bool:
        sql = "SELECT 1 FROM pg_tables WHERE schemaname = current_schema() AND tablename = ?"
        return conn.execute(sql, (name,)).fetchone() is not None

    def tables(self) -> str:
        return postgres_ddl(TABLES)

    def ddl(self, sql: str) -> str:
        return postgres_ddl(sql)

    def lock(self, conn: Connection) -> None:
        conn.execute(_lock_sql())


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
