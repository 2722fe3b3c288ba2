"""Run a parsed query against the archive (FTS5 in SQLite, ``tsquery`` in PostgreSQL; see
:mod:`cablegate.search.indexes`): hits ranked by relevance (subject above body) or by date,
snippets, facet counts, and the jump to a cable when the query is its ID."""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from cablegate.archive import Archive, Listed
from cablegate.archive.db import QUERY_ERRORS, Connection
from cablegate.parse import canonical_id
from cablegate.search.columns import Columns, columns
from cablegate.search.indexes import FTS5, TSQUERY, Fts5, TsQuery, for_dialect
from cablegate.search.query import (
    And,
    Filter,
    Node,
    Not,
    Or,
    Query,
    QueryError,
    Term,
    parse_query,
    positive_terms,
)

TextIndex = Fts5 | TsQuery
SORTS = ("relevance", "newest", "oldest")
FACETS = ("origin", "tag", "classification", "year")
FACET_SIZE = 20


@dataclass(frozen=True)
class Hit(Listed):
    score: float | None
    snippet: list[tuple[str, bool]] = field(default_factory=list)
    """The text around the first match, as (text, is_match) pieces."""


@dataclass
class Results:
    query: Query
    total: int
    page: int
    per_page: int
    sort: str
    hits: list[Hit]
    facets: dict[str, list[tuple[str, int]]]
    jump: str | None = None
    """The canonical ID of the cable the query names, when it is in the archive."""

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


# -- compiling the tree to SQL ---------------------------------------------------------------


def _pure_text(node: Node) -> bool:
    if isinstance(node, Term):
        return True
    if isinstance(node, (And, Or)):
        return all(_pure_text(item) for item in node.items)
    return False


def _period(value: str, name: str) -> tuple[str, str]:
    """``2008`` / ``2008-06`` / ``2008-06-30`` -> [start, end) as sortable text."""
    value = value.strip()
    try:
        if re.fullmatch(r"\d{4}", value):
            return value, f"{int(value) + 1:04d}"
        if re.fullmatch(r"\d{4}-\d{2}", value):
            start = dt.date(int(value[:4]), int(value[5:]), 1)
            end = (start + dt.timedelta(days=32)).replace(day=1)
            return value, end.strftime("%Y-%m")
        day = dt.date.fromisoformat(value)
        return value, (day + dt.timedelta(days=1)).isoformat()
    except ValueError:
        pass
    raise QueryError(
        f"{name}:{value}: not a date (write 2008, 2008-06 or 2008-06-30, "
        "and ranges as 2008-01..2008-06, 2010-12-01.. or ..2009)"
    )


def date_range(name: str, value: str) -> tuple[str | None, str | None]:
    if ".." in value:
        low, _, high = value.partition("..")
        start = _period(low, name)[0] if low.strip() else None
        end = _period(high, name)[1] if high.strip() else None
        if start is None and end is None:
            raise QueryError(f"{name}:{value}: give a start, an end or both")
        return start, end
    return _period(value, name)


def _filter_sql(node: Filter, probe: bool = False) -> tuple[str, list[str]]:
    """SQL for a filter; ``probe``: other conditions of the same AND find the candidates, so
    a tag is checked on each of them rather than listing every cable with the tag."""
    value = node.value
    if node.field == "tag" and probe:
        return "EXISTS (SELECT 1 FROM tags t WHERE t.cable_id = c.id AND t.tag = ?)", [
            value.upper()
        ]
    if node.field == "tag":
        return "c.id IN (SELECT cable_id FROM tags WHERE tag = ?)", [value.upper()]
    if node.field in ("origin", "classification"):
        column = f"c.{node.field}"
        if value.endswith("*"):
            return f"lower({column}) LIKE ? ESCAPE '\\'", [_like(value[:-1].lower()) + "%"]
        # Any case matches; the archive's own spelling, found in the browse counts, lets the
        # comparison use the column's index.
        known = f"SELECT key FROM browse WHERE kind = '{node.field}' AND lower(key) = lower(?)"
        return f"{column} IN ({known})", [value]
    if node.field == "id":
        return "c.canonical_id = ?", [canonical_id(value) or value.upper()]
    if node.field == "ref":
        target = canonical_id(value) or value.upper()
        return "c.id IN (SELECT cable_id FROM refs WHERE kind = 'cable' AND target = ?)", [target]
    column = "c.created" if node.field == "created" else "c.released"
    start, end = date_range(node.field, value)
    parts, args = [], []
    if start is not None:
        parts.append(f"{column} >= ?")
        args.append(start)
    if end is not None:
        parts.append(f"{column} < ?")
        args.append(end)
    return "(" + " AND ".join(parts) + ")", args


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def compile_node(node: Node, probe: bool = False, index: TextIndex = FTS5) -> tuple[str, list[str]]:
    """A SQL condition on ``cables c`` for any tree (``probe``: see :func:`_filter_sql`)."""
    if _pure_text(node):
        return index.contains(), index.args(index.expression(node))
    if isinstance(node, Filter):
        return _filter_sql(node, probe)
    if isinstance(node, Not):  # never finds candidates itself: check each one
        sql, args = compile_node(node.item, probe=True, index=index)
        return f"NOT ({sql})", args
    assert isinstance(node, (And, Or))
    parts = [compile_node(item, index=index) for item in node.items]
    joiner = " AND " if isinstance(node, And) else " OR "
    return "(" + joiner.join(sql for sql, _ in parts) + ")", [a for _, args in parts for a in args]


def plan(tree: Node | None, index: TextIndex = FTS5) -> tuple[str, list[str], str | None]:
    """(SQL selecting ``id, score`` of every hit, its arguments, the full-text expression
    used for ranking). The text part of a top-level AND drives the query through the index."""
    if tree is None:
        return "SELECT c.id, NULL AS score FROM cables c", [], None
    items = list(tree.items) if isinstance(tree, And) else [tree]
    text = [item for item in items if _pure_text(item)]
    rest = [item for item in items if not _pure_text(item)]
    conditions = [
        compile_node(item, probe=_probes(item, items, bool(text)), index=index) for item in rest
    ]
    where = " AND ".join(sql for sql, _ in conditions)
    args = [a for _, part in conditions for a in part]
    if text:
        expression = index.expression(And(tuple(text)) if len(text) > 1 else text[0])
        return index.scored(where), [*index.args(expression), *args], expression
    ranking = positive_terms(tree)
    if ranking:  # rank by the terms a hit may have matched (under an OR)
        expression = index.either(ranking)
        return index.ranked(where), [*index.args(expression), *args], expression
    return f"SELECT c.id, NULL AS score FROM cables c WHERE {where}", args, None


def _probes(item: Node, items: list[Node], text: bool) -> bool:
    """Whether a tag filter is checked on candidates that the rest of its AND finds: yes when
    there is text or another kind of filter, and for all tags but the first of an AND of tags."""
    if not (isinstance(item, Filter) and item.field == "tag"):
        return False
    tags = [i for i in items if isinstance(i, Filter) and i.field == "tag"]
    return text or len(tags) < len(items) or item is not tags[0]


# -- running it ------------------------------------------------------------------------------

_ID_QUERY = re.compile(r"\s*(\d{2})?\s*([A-Za-z][A-Za-z ]*?)\s*(\d{1,6})\s*")


def search(
    archive: Archive,
    text: str,
    page: int = 0,
    per_page: int = 20,
    sort: str = "relevance",
    facets: bool = True,
    facet_size: int = FACET_SIZE,
) -> Results:
    """Search the archive; raises :class:`QueryError` only for values a filter cannot use."""
    query = parse_query(text)
    page, per_page = max(page, 0), min(max(per_page, 1), 200)
    with archive.snapshot() as conn:
        found = _Found.run(archive, query, sort)
        shown = found.hits(conn, page * per_page, per_page)
        counts = found.facets(facet_size) if facets else {}
        terms = positive_terms(query.tree)
        hits = [replace(hit, snippet=_snippet(archive, hit.canonical_id, terms)) for hit in shown]
        jump = _jump(archive, query)
    return Results(query, found.total, page, per_page, sort, hits, counts, jump)


def all_hits(
    archive: Archive, text: str, sort: str = "relevance", limit: int | None = None
) -> list[Hit]:
    """Every hit of a query (or the first ``limit``), in order, without snippets (for
    exports, feeds and tests)."""
    query = parse_query(text)
    with archive.snapshot() as conn:
        found = _Found.run(archive, query, sort)
        return found.hits(conn, 0, found.total if limit is None else limit)


@dataclass
class _Found:
    """Every hit of a query in order: row IDs and scores, with the archive's columns."""

    ids: np.ndarray
    scores: np.ndarray
    columns: Columns

    @classmethod
    def run(cls, archive: Archive, query: Query, sort: str) -> _Found:
        """Run ``query`` (inside a read transaction) and sort its hits."""
        if sort not in SORTS:
            raise QueryError(f"sort: {sort!r} is not one of {', '.join(SORTS)}")
        sql, args, _ = plan(query.tree, for_dialect(archive.dialect.name))
        conn = archive.conn
        rows = _run(conn, sql, args).fetchall()
        table = np.array(rows, dtype=np.float64).reshape(len(rows), 2)
        ids, scores = table[:, 0].astype(np.int64), table[:, 1]
        cols = columns(conn, str(archive.url))
        if sort == "relevance" and query.tree is not None:
            # Best (lowest) BM25 first, unscored hits last, ties newest first.
            unscored = np.isnan(scores)
            order = np.lexsort((cols.newest[ids], np.where(unscored, 0.0, scores), unscored))
        else:
            order = np.argsort((cols.oldest if sort == "oldest" else cols.newest)[ids])
        return cls(ids[order], scores[order], cols)

    @property
    def total(self) -> int:
        return len(self.ids)

    def hits(self, conn: Connection, start: int, count: int) -> list[Hit]:
        """The hits from ``start`` on, in order, with their cables' columns."""
        out: list[Hit] = []
        for at in range(start, min(start + count, self.total), _CHUNK):
            ids = self.ids[at : min(at + _CHUNK, start + count)]
            marks = ",".join("?" * len(ids))
            rows = {
                r[0]: r[1:]
                for r in conn.execute(
                    "SELECT id, canonical_id, subject, created, released, classification, "
                    f"origin FROM cables WHERE id IN ({marks})",
                    ids.tolist(),
                )
            }
            scores = self.scores[at : at + len(ids)]
            for cable_id, score in zip(ids.tolist(), scores.tolist(), strict=True):
                out.append(Hit(*rows[cable_id], None if math.isnan(score) else score))
        return out

    def facets(self, size: int) -> dict[str, list[tuple[str, int]]]:
        cols, ids = self.columns, self.ids
        counts = {
            "origin": cols.origin.count(ids, size),
            "tag": cols.tags(ids, size),
            "classification": cols.classification.count(ids, size),
            "year": cols.year.count(ids, size, by_name=True),
        }
        return {name: counts[name] for name in FACETS}


_CHUNK = 500
"""Cables looked up per query when hits are read."""


def _run(conn: Connection, sql: str, args: list[str]) -> Any:
    try:
        return conn.execute(sql, args)
    except QUERY_ERRORS as exc:  # a full-text expression we failed to make safe
        raise QueryError(f"cannot run this query: {exc}") from None


def _jump(archive: Archive, query: Query) -> str | None:
    """The cable a query names by its ID (``08STATE37957``, ``08 STATE 37957``, or ``STATE
    37957`` with a one-year ``created:`` filter)."""
    tree = query.tree
    items = list(tree.items) if isinstance(tree, And) else [tree] if tree else []
    words = [i.text for i in items if isinstance(i, Term) and not i.column and not i.prefix]
    years = [
        i.value[2:4]
        for i in items
        if isinstance(i, Filter) and i.field == "created" and re.fullmatch(r"\d{4}", i.value)
    ]
    if not words or len(words) + len(years) != len(items):
        return None
    m = _ID_QUERY.fullmatch(" ".join(words))
    if m is None:
        return None
    year = m.group(1) or (years[0] if len(years) == 1 else None)
    if year is None:
        return None
    cid = canonical_id(f"{year}{m.group(2).replace(' ', '')}{m.group(3)}")
    found = archive.conn.execute("SELECT 1 FROM cables WHERE canonical_id = ?", (cid,)).fetchone()
    return cid if found else None


def _snippet(archive: Archive, cid: str, terms: list[Term]) -> list[tuple[str, bool]]:
    cable = archive.cable(cid) if terms else None
    if cable is None:
        return []
    index = for_dialect(archive.dialect.name)
    marked = index.headline(archive.conn, _near_match(cable.body, terms), terms)
    pieces = headline_pieces(marked, cable.body, TSQUERY.START, TSQUERY.STOP) if marked else []
    # The database's parser may cut words otherwise (PostgreSQL reads "A.Q." as one word):
    # where its headline marks nothing, the snippet is cut here.
    return pieces or snippet(cable.body, terms)


def _near_match(text: str, terms: list[Term], before: int = 400, after: int = 1600) -> str:
    """The part of a text around the first match of any term (a database's headline then
    reads a few kilobytes, not the whole cable); the whole text when nothing matches."""
    matcher = _matcher(terms)
    first = matcher.search(text) if matcher else None
    if first is None:
        return text
    start = max(0, first.start() - before)
    start = text.rfind(" ", 0, start) + 1 if start else 0  # not in the middle of a word
    end = text.find(" ", first.end() + after)
    return text[start : end if end >= 0 else len(text)]


def headline_pieces(marked: str, text: str, start: str, stop: str) -> list[tuple[str, bool]]:
    """A headline from the database (matches between ``start`` and ``stop``) as snippet
    pieces, with "…" where it cuts the text, and the words of a phrase marked as one; none
    when nothing in it is marked."""
    if start not in marked:
        return []
    parts = re.split(f"[{start}{stop}]", marked)
    pieces: list[tuple[str, bool]] = []
    for i, part in enumerate(parts):
        part, match = re.sub(r"\s+", " ", part), bool(i % 2)
        if match and len(pieces) > 1 and re.fullmatch(r"[\W_]*", pieces[-1][0]):
            gap = pieces.pop()[0]  # between two matches: one mark
            pieces[-1] = (pieces[-1][0] + gap + part, True)
        else:
            pieces.append((part, match))
    plain, whole = "".join(p for p, _ in pieces).strip(), re.sub(r"\s+", " ", text).strip()
    if plain and not whole.startswith(plain):
        pieces.insert(0, ("…", False))
    if plain and not whole.endswith(plain):
        pieces.append(("…", False))
    return [p for p in pieces if p[0]]


def _matcher(terms: list[Term]) -> re.Pattern[str] | None:
    """A pattern finding any of the terms in text (any case), or None if none has words."""
    patterns = []
    for term in terms:
        words = [re.escape(w) for w in re.findall(r"\w+", term.text)]
        if not words:
            continue
        tail = r"\w*" if term.prefix else r"\b"
        patterns.append(r"\b" + r"\W+".join(words) + tail)
    return re.compile("|".join(patterns), re.I) if patterns else None


def snippet(text: str, terms: list[Term], width: int = 220) -> list[tuple[str, bool]]:
    """The text around the first match of any term, matches marked (pure)."""
    matcher = _matcher(terms)
    if matcher is None:
        return []
    first = matcher.search(text)
    start = max(0, first.start() - width // 3) if first else 0
    window = text[start : start + width]
    pieces: list[tuple[str, bool]] = []
    at = 0
    for m in matcher.finditer(window):
        pieces.append((window[at : m.start()], False))
        pieces.append((m.group(), True))
        at = m.end()
    pieces.append((window[at:], False))
    prefix = "…" if start else ""
    suffix = "…" if start + width < len(text) else ""
    pieces = [(re.sub(r"\s+", " ", t), hit) for t, hit in pieces]
    pieces[0] = (prefix + pieces[0][0], pieces[0][1])
    pieces[-1] = (pieces[-1][0] + suffix, pieces[-1][1])
    return [p for p in pieces if p[0]]
