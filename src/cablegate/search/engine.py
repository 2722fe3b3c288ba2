"""Run a parsed query against the archive (SQLite FTS5): hits ranked by BM25 (subject above
body) or by date, snippets, facet counts, and the jump to a cable when the query is its ID."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from dataclasses import dataclass, field

from cablegate.archive import Archive, Listed
from cablegate.parse import canonical_id
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

SORTS = ("relevance", "newest", "oldest")
FACETS = ("origin", "tag", "classification", "year")
FACET_SIZE = 20
WEIGHTS = "10.0, 1.0, 2.0, 2.0"
"""BM25 weights of the index columns: subject, body, sender, recipients."""


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


def fts_string(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def fts_term(term: Term) -> str:
    expr = fts_string(term.text) + (" *" if term.prefix else "")
    if term.column:
        return f"{{{term.column}}} : {expr}"
    return f"{{subject body}} : {expr}"


def _pure_text(node: Node) -> bool:
    if isinstance(node, Term):
        return True
    if isinstance(node, (And, Or)):
        return all(_pure_text(item) for item in node.items)
    return False


def fts_expression(node: Node) -> str:
    """An FTS5 expression for a tree of terms, AND and OR only."""
    if isinstance(node, Term):
        return fts_term(node)
    assert isinstance(node, (And, Or))
    joiner = " AND " if isinstance(node, And) else " OR "
    return "(" + joiner.join(fts_expression(item) for item in node.items) + ")"


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


def _filter_sql(node: Filter) -> tuple[str, list[str]]:
    value = node.value
    if node.field == "tag":
        return "c.id IN (SELECT cable_id FROM tags WHERE tag = ?)", [value.upper()]
    if node.field == "origin":
        if value.endswith("*"):
            return "c.origin LIKE ? ESCAPE '\\'", [_like(value[:-1]) + "%"]
        return "c.origin = ? COLLATE NOCASE", [value]
    if node.field == "classification":
        if value.endswith("*"):
            return "c.classification LIKE ? ESCAPE '\\'", [_like(value[:-1]) + "%"]
        return "c.classification = ? COLLATE NOCASE", [value]
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


def compile_node(node: Node) -> tuple[str, list[str]]:
    """A SQL condition on ``cables c`` for any tree."""
    if _pure_text(node):
        return (
            "c.id IN (SELECT rowid FROM cables_fts WHERE cables_fts MATCH ?)",
            [fts_expression(node)],
        )
    if isinstance(node, Filter):
        return _filter_sql(node)
    if isinstance(node, Not):
        sql, args = compile_node(node.item)
        return f"NOT ({sql})", args
    assert isinstance(node, (And, Or))
    parts = [compile_node(item) for item in node.items]
    joiner = " AND " if isinstance(node, And) else " OR "
    return "(" + joiner.join(sql for sql, _ in parts) + ")", [a for _, args in parts for a in args]


def plan(tree: Node | None) -> tuple[str, list[str], str | None]:
    """(SQL selecting ``id, score`` of every hit, its arguments, the FTS expression used for
    ranking). The text part of a top-level AND drives the query through the index."""
    if tree is None:
        return "SELECT c.id, NULL AS score FROM cables c", [], None
    items = list(tree.items) if isinstance(tree, And) else [tree]
    text = [item for item in items if _pure_text(item)]
    rest = [item for item in items if not _pure_text(item)]
    conditions = [compile_node(item) for item in rest]
    where = " AND ".join(sql for sql, _ in conditions)
    args = [a for _, part in conditions for a in part]
    if text:
        expression = fts_expression(And(tuple(text)) if len(text) > 1 else text[0])
        sql = (
            f"SELECT cables_fts.rowid AS id, bm25(cables_fts, {WEIGHTS}) AS score "
            "FROM cables_fts JOIN cables c ON c.id = cables_fts.rowid WHERE cables_fts MATCH ?"
            + (f" AND {where}" if where else "")
        )
        return sql, [expression, *args], expression
    ranking = positive_terms(tree)
    if ranking:  # rank by the terms a hit may have matched (under an OR)
        expression = " OR ".join(fts_term(term) for term in ranking)
        sql = (
            f"SELECT c.id, s.score FROM cables c LEFT JOIN (SELECT rowid, "
            f"bm25(cables_fts, {WEIGHTS}) AS score FROM cables_fts WHERE cables_fts MATCH ?) s "
            f"ON s.rowid = c.id WHERE {where}"
        )
        return sql, [expression, *args], expression
    return f"SELECT c.id, NULL AS score FROM cables c WHERE {where}", args, None


# -- running it ------------------------------------------------------------------------------

_ORDER = {
    "relevance": "h.score IS NULL, h.score, c.created DESC, c.canonical_id",
    "newest": "c.created IS NULL, c.created DESC, c.canonical_id",
    "oldest": "c.created IS NULL, c.created, c.canonical_id",
}
_FACET_SQL = {
    "origin": "SELECT c.origin, count(*) FROM temp.hits h JOIN cables c ON c.id = h.id "
    "WHERE c.origin IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ?",
    "tag": "SELECT t.tag, count(*) FROM temp.hits h JOIN tags t ON t.cable_id = h.id "
    "GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ?",
    "classification": "SELECT c.classification, count(*) FROM temp.hits h "
    "JOIN cables c ON c.id = h.id WHERE c.classification IS NOT NULL "
    "GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ?",
    "year": "SELECT substr(c.created, 1, 4), count(*) FROM temp.hits h "
    "JOIN cables c ON c.id = h.id WHERE c.created IS NOT NULL GROUP BY 1 ORDER BY 1 DESC "
    "LIMIT ?",
}
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
    order = _order(query, sort)
    page, per_page = max(page, 0), min(max(per_page, 1), 200)
    sql, args, _ = plan(query.tree)
    conn = archive.conn
    with archive.snapshot():
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS hits (id INTEGER PRIMARY KEY, score REAL)")
        conn.execute("DELETE FROM temp.hits")
        _run(conn, f"INSERT INTO temp.hits (id, score) {sql}", args)
        total = conn.execute("SELECT count(*) FROM temp.hits").fetchone()[0]
        rows = conn.execute(
            f"{_HIT_COLUMNS} FROM temp.hits h JOIN cables c ON c.id = h.id "
            f"ORDER BY {order} LIMIT ? OFFSET ?",
            (per_page, page * per_page),
        ).fetchall()
        counts = {
            name: [(str(k), n) for k, n in conn.execute(_FACET_SQL[name], (facet_size,))]
            for name in FACETS
            if facets
        }
        terms = positive_terms(query.tree)
        hits = [Hit(*row, snippet=_snippet(archive, row[0], terms)) for row in rows]
        jump = _jump(archive, query)
    return Results(query, total, page, per_page, sort, hits, counts, jump)


_HIT_COLUMNS = (
    "SELECT c.canonical_id, c.subject, c.created, c.released, c.classification, c.origin, h.score"
)


def _order(query: Query, sort: str) -> str:
    if sort not in SORTS:
        raise QueryError(f"sort: {sort!r} is not one of {', '.join(SORTS)}")
    return _ORDER["newest" if sort == "relevance" and query.tree is None else sort]


def _run(conn: sqlite3.Connection, sql: str, args: list[str]) -> sqlite3.Cursor:
    try:
        return conn.execute(sql, args)
    except sqlite3.OperationalError as exc:  # an FTS5 expression we failed to make safe
        raise QueryError(f"cannot run this query: {exc}") from None


def all_hits(
    archive: Archive, text: str, sort: str = "relevance", limit: int | None = None
) -> list[Hit]:
    """Every hit of a query (or the first ``limit``), in order, without snippets (for
    exports, feeds and tests)."""
    query = parse_query(text)
    order = _order(query, sort)
    sql, args, _ = plan(query.tree)
    cut = "" if limit is None else f" LIMIT {int(limit)}"
    with archive.snapshot() as conn:
        rows = _run(
            conn,
            f"{_HIT_COLUMNS} FROM ({sql}) h JOIN cables c ON c.id = h.id ORDER BY {order}{cut}",
            args,
        ).fetchall()
    return [Hit(*row) for row in rows]


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
    return snippet(cable.body, terms) if cable is not None else []


def snippet(text: str, terms: list[Term], width: int = 220) -> list[tuple[str, bool]]:
    """The text around the first match of any term, matches marked (pure)."""
    patterns = []
    for term in terms:
        words = [re.escape(w) for w in re.findall(r"\w+", term.text)]
        if not words:
            continue
        tail = r"\w*" if term.prefix else r"\b"
        patterns.append(r"\b" + r"\W+".join(words) + tail)
    if not patterns:
        return []
    matcher = re.compile("|".join(patterns), re.I)
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
