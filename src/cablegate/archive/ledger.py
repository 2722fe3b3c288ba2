"""A ledger of files on disk: (path, SHA-256, size, written) for millions of files.

The static build (:mod:`cablegate.site.build`) keeps what its last run wrote (its
``MANIFEST.sha256``) and what this run writes in two ledgers, not in memory: a mirror of
PlusD's 2.3 million records has some 10 million files, several GB as Python dicts, and every
rendering process would hold a copy of the last manifest.

SQLite (in the standard library) is the library for the job: an on-disk map of ~10 million
paths, a B-tree keyed on the path that answers a lookup without reading the rest, a folder's
files as a range of keys, and every path in order (for the manifest) without a sort. Its
memory is its page cache, whatever the number of files. A ledger is scratch: no journal, no
syncing, so no side files (``-journal``, ``-wal``); its owner deletes it when done, and the
next build removes one a killed build left.
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import TracebackType

CHUNK = 10_000
"""Rows written in one statement and transaction."""
CACHE_KIB = 32 * 1024
"""The page cache of a ledger written in no order (a build's files), so that the B-tree's
inner pages stay in memory; one written in path order (a manifest) or opened to read keeps
SQLite's default (2 MiB)."""

Row = tuple[str, str, int, bool]
"""(path, SHA-256 in hex, size in bytes, written by this build)."""


def _uri(path: Path, mode: str) -> str:
    return f"{path.absolute().as_uri()}?mode={mode}"


class Ledger:
    """A set of files (path, SHA-256, size, written) in an SQLite file; a path is there
    once (the last one put wins)."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path

    @classmethod
    def create(cls, path: Path, in_order: bool = False) -> Ledger:
        """A new, empty ledger at ``path`` (a file there is replaced); ``in_order``: to be
        filled in path order (it needs no more than SQLite's default page cache)."""
        path.unlink(missing_ok=True)
        conn = sqlite3.connect(_uri(path, "rwc"), uri=True)
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        if not in_order:
            conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        conn.execute(
            "CREATE TABLE files (path TEXT PRIMARY KEY, sha TEXT NOT NULL, "
            "size INTEGER NOT NULL, written INTEGER NOT NULL) WITHOUT ROWID"
        )
        conn.commit()
        return cls(conn, path)

    @classmethod
    def open(cls, path: Path) -> Ledger:
        """The ledger at ``path``, to read (from any number of processes at once)."""
        return cls(sqlite3.connect(_uri(path, "ro"), uri=True), path)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    # -- writing ---------------------------------------------------------------------------

    def put(self, rows: Iterable[Row]) -> int:
        """Add files (a path already there is replaced); how many rows were given."""
        count = 0
        it = iter(rows)
        while chunk := list(itertools.islice(it, CHUNK)):
            with self.conn:
                self.conn.executemany(
                    "INSERT OR REPLACE INTO files (path, sha, size, written) VALUES (?, ?, ?, ?)",
                    chunk,
                )
            count += len(chunk)
        return count

    def drop_under(self, prefix: str) -> None:
        """Forget the files whose path starts with ``prefix`` (a folder: ``pagefind/``)."""
        with self.conn:
            self.conn.execute(
                "DELETE FROM files WHERE path >= ? AND path < ?", (prefix, _after(prefix))
            )

    # -- reading ---------------------------------------------------------------------------

    def get(self, path: str) -> str | None:
        """The SHA-256 of a file, or None if it is not here."""
        row = self.conn.execute("SELECT sha FROM files WHERE path = ?", (path,)).fetchone()
        return None if row is None else str(row[0])

    def __contains__(self, path: str) -> bool:
        return self.get(path) is not None

    def under(self, prefix: str) -> list[tuple[str, str]]:
        """(path, SHA-256) of the files whose path starts with ``prefix`` (a folder's, e.g.
        ``pagefind/0/``), in path order."""
        rows = self.conn.execute(
            "SELECT path, sha FROM files WHERE path >= ? AND path < ? ORDER BY path",
            (prefix, _after(prefix)),
        )
        return [(str(path), str(sha)) for path, sha in rows]

    def lines(self) -> Iterator[tuple[str, str]]:
        """(SHA-256, path) of every file, in path order: the order of UTF-8 bytes (SQLite's
        BINARY collation), which is the order of code points, as Python sorts ``str``."""
        yield from self.conn.execute("SELECT sha, path FROM files ORDER BY path")

    def stale(self, last: Path) -> Iterator[str]:
        """The paths in the ledger at ``last`` that are not in this one, in path order."""
        self.conn.execute("ATTACH DATABASE ? AS last", (_uri(last, "ro"),))
        rows = self.conn.execute(
            "SELECT path FROM last.files AS l WHERE NOT EXISTS "
            "(SELECT 1 FROM main.files AS f WHERE f.path = l.path) ORDER BY path"
        )
        try:
            for (path,) in rows:
                yield str(path)
        finally:
            rows.close()
            self.conn.execute("DETACH DATABASE last")

    def totals(self) -> tuple[int, int, int]:
        """(files, files written, bytes)."""
        files, written, size = self.conn.execute(
            "SELECT count(*), coalesce(sum(written), 0), coalesce(sum(size), 0) FROM files"
        ).fetchone()
        return int(files), int(written), int(size)

    def written_paths(self, limit: int) -> list[str]:
        """The first ``limit`` paths of the files written, in path order."""
        rows = self.conn.execute(
            "SELECT path FROM files WHERE written ORDER BY path LIMIT ?", (limit,)
        )
        return [str(path) for (path,) in rows]


def _after(prefix: str) -> str:
    """The least string after every string that starts with ``prefix`` (UTF-8 bytes keep
    the order of code points, so a range of keys is a prefix's)."""
    if not prefix:
        raise ValueError("an empty prefix is every path")
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)
