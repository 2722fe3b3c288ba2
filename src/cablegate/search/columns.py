"""The columns search needs for every cable, as arrays indexed by cable row ID, so that facet
counts and sorting over any number of hits take a few array operations instead of one
database lookup per hit.

One :class:`Columns` per archive and state of it (``meta.generation``) is kept per process and
shared by its threads; it is rebuilt when the archive changes.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from cablegate.archive.db import Connection

_NULL = -1


@dataclass(frozen=True)
class Coded:
    """One text column as codes: ``names[codes[cable_id]]`` (``-1``: NULL or no such row)."""

    names: list[str]
    codes: np.ndarray

    def count(self, ids: np.ndarray, limit: int, by_name: bool = False) -> list[tuple[str, int]]:
        """The ``limit`` most frequent values among ``ids`` (most first, then by name), or the
        ``limit`` last by name (``by_name``: years, newest first)."""
        codes = self.codes[ids]
        return _top(
            np.bincount(codes[codes >= 0], minlength=len(self.names)), self.names, limit, by_name
        )


def _top(counts: np.ndarray, names: list[str], limit: int, by_name: bool) -> list[tuple[str, int]]:
    present = [(names[i], int(counts[i])) for i in np.flatnonzero(counts)]
    if by_name:
        return sorted(present, reverse=True)[:limit]
    return sorted(present, key=lambda item: (-item[1], item[0]))[:limit]


@dataclass(frozen=True)
class Columns:
    state: tuple[str, ...]
    """The archive's ``generation`` and ``modified`` when these were read."""
    size: int
    """One more than the largest cable row ID."""
    origin: Coded
    classification: Coded
    year: Coded
    tag_names: list[str]
    tag_start: np.ndarray
    """Where each cable's tags start in ``tag_code`` (by row ID; one more entry at the end)."""
    tag_code: np.ndarray
    newest: np.ndarray
    """Rank of each cable in the order newest first (created DESC, NULL last, then ID)."""
    oldest: np.ndarray

    def tags(self, ids: np.ndarray, limit: int) -> list[tuple[str, int]]:
        starts, ends = self.tag_start[ids], self.tag_start[ids + 1]
        lengths = ends - starts
        # The positions of every tag of every hit: each run starts[i] .. ends[i] laid end to end.
        offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
        codes = self.tag_code[np.arange(int(lengths.sum())) + offsets]
        counts = np.bincount(codes, minlength=len(self.tag_names))
        return _top(counts, self.tag_names, limit, by_name=False)


def _coded(size: int, rows: list[tuple[int, str | None]]) -> Coded:
    names = sorted({value for _, value in rows if value is not None})
    index = {name: n for n, name in enumerate(names)}
    codes = np.full(size, _NULL, dtype=np.int32)
    for cable_id, value in rows:
        if value is not None:
            codes[cable_id] = index[value]
    return Coded(names, codes)


def _ranks(conn: Connection, size: int, order: str) -> np.ndarray:
    ranks = np.full(size, size, dtype=np.int64)
    ids = np.fromiter(
        (r[0] for r in conn.execute(f"SELECT id FROM cables ORDER BY {order}")), np.int64
    )
    ranks[ids] = np.arange(len(ids))
    return ranks


def load(conn: Connection, state: tuple[str, ...]) -> Columns:
    """Read the columns (inside the caller's read transaction)."""
    size = (conn.execute("SELECT max(id) FROM cables").fetchone()[0] or 0) + 1
    rows = conn.execute(
        "SELECT id, origin, classification, substr(created, 1, 4) FROM cables"
    ).fetchall()
    tag_rows = conn.execute("SELECT cable_id, tag FROM tags ORDER BY cable_id").fetchall()
    tags = _coded(len(tag_rows), [(n, tag) for n, (_, tag) in enumerate(tag_rows)])
    per_cable = np.bincount(
        np.fromiter((r[0] for r in tag_rows), np.int64, len(tag_rows)), minlength=size
    )
    tag_start = np.concatenate(([0], np.cumsum(per_cable)))
    return Columns(
        state,
        size,
        _coded(size, [(r[0], r[1]) for r in rows]),
        _coded(size, [(r[0], r[2]) for r in rows]),
        _coded(size, [(r[0], r[3]) for r in rows]),
        tags.names,
        tag_start,
        tags.codes,
        _ranks(conn, size, "created IS NULL, created DESC, canonical_id"),
        _ranks(conn, size, "created IS NULL, created, canonical_id"),
    )


_cache: dict[str, Columns] = {}
_lock = threading.Lock()


def columns(conn: Connection, key: str) -> Columns:
    """The columns of the archive ``key`` names as it is in ``conn``'s read transaction."""
    state = tuple(
        str(r[0])
        for r in conn.execute(
            "SELECT value FROM meta WHERE key IN ('generation', 'modified') ORDER BY key"
        )
    )
    found = _cache.get(key)
    if found is not None and found.state == state:
        return found
    with _lock:
        found = _cache.get(key)
        if found is None or found.state != state:
            found = _cache[key] = load(conn, state)
    return found
