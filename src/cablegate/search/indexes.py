"""The full-text part of a query in each database's words: an FTS5 expression ranked by
BM25 in SQLite, a ``tsquery`` ranked by ``ts_rank`` and highlighted by ``ts_headline`` in
PostgreSQL. Both find the same cables (words cut as in :mod:`cablegate.archive.fulltext`).
"""

from __future__ import annotations

import re
from typing import Any

from cablegate.archive.fulltext import SPILLS, WEIGHTS, spill, tokens
from cablegate.search.query import And, Node, Or, Term

DEFAULT_COLUMNS = ("subject", "body")
"""Where a word without a column prefix is looked for."""


class Fts5:
    """SQLite's FTS5 index ``cables_fts`` (rowid = ``cables.id``)."""

    name = "sqlite"
    WEIGHTS = "10.0, 1.0, 2.0, 2.0"
    """BM25 weights of the index columns: subject, body, sender, recipients."""

    def term(self, term: Term) -> str:
        expr = _fts_string(term.text) + (" *" if term.prefix else "")
        columns = " ".join((term.column,) if term.column else DEFAULT_COLUMNS)
        return f"{{{columns}}} : {expr}"

    def expression(self, node: Node) -> str:
        """An expression for a tree of terms, AND and OR only."""
        if isinstance(node, Term):
            return self.term(node)
        assert isinstance(node, (And, Or))
        joiner = " AND " if isinstance(node, And) else " OR "
        return "(" + joiner.join(self.expression(item) for item in node.items) + ")"

    def either(self, terms: list[Term]) -> str:
        return " OR ".join(self.term(term) for term in terms)

    def contains(self) -> str:
        """A condition on ``cables c``: the cable matches the expression (one argument)."""
        return "c.id IN (SELECT rowid FROM cables_fts WHERE cables_fts MATCH ?)"

    def scored(self, where: str) -> str:
        """``id, score`` of every match (lower is better) that meets ``where`` (a condition
        on ``cables c``, or empty); the expression is the first argument."""
        sql = f"SELECT cables_fts.rowid, bm25(cables_fts, {self.WEIGHTS}) FROM cables_fts "
        if where:  # the index finds the hits, then each is checked against the filters
            return (
                sql + f"CROSS JOIN cables c ON c.id = cables_fts.rowid "
                f"WHERE cables_fts MATCH ? AND {where}"
            )
        return sql + "WHERE cables_fts MATCH ?"

    def ranked(self, where: str) -> str:
        """``id, score`` of every cable meeting ``where``, scored when it matches the
        expression (the first argument), else NULL."""
        return (
            f"SELECT c.id, s.score FROM cables c LEFT JOIN (SELECT rowid, "
            f"bm25(cables_fts, {self.WEIGHTS}) AS score FROM cables_fts "
            f"WHERE cables_fts MATCH ?) s ON s.rowid = c.id WHERE {where}"
        )

    def args(self, expression: str) -> list[str]:
        return [expression]

    def headline(self, conn: Any, text: str, terms: list[Term]) -> str | None:
        """The text around the matches, marked up by the database; None: not supported
        (the caller cuts the snippet in Python)."""
        return None


def _fts_string(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


class TsQuery:
    """PostgreSQL's ``cables_fts (id, doc tsvector)`` with a GIN index; a column is a weight
    (see :data:`cablegate.archive.fulltext.WEIGHTS`)."""

    name = "postgresql"
    RANK_WEIGHTS = "'{0.2, 0.2, 0.1, 1.0}'"
    """``ts_rank`` weights of D, C, B, A: recipients, sender, body, subject (as in SQLite)."""
    NOTHING = "'_'"
    """A lexeme no text has (words never hold ``_``): what a term without words finds."""
    START, STOP = "\x02", "\x03"
    """Marks around each match in a headline."""

    def term(self, term: Term, weights: bool = True) -> str:
        words = tokens(term.text)
        if not words:
            return self.NOTHING
        columns = (term.column,) if term.column else DEFAULT_COLUMNS
        mark = "".join(WEIGHTS[c] for c in columns) if weights else ""
        if len(words) == 1:
            return f"'{words[0]}':{'*' if term.prefix else ''}{mark}".rstrip(":")
        # In a phrase, a word's every occurrence counts: the later ones are spilled.
        parts = [
            "(" + " | ".join(f"'{spill(w, n)}':{mark}".rstrip(":") for n in range(SPILLS + 1)) + ")"
            for w in words
        ]
        if term.prefix:  # a prefix matches the spills as well
            parts[-1] = f"'{words[-1]}':*{mark}"
        return "(" + " <-> ".join(parts) + ")"

    def expression(self, node: Node) -> str:
        if isinstance(node, Term):
            return self.term(node)
        assert isinstance(node, (And, Or))
        joiner = " & " if isinstance(node, And) else " | "
        return "(" + joiner.join(self.expression(item) for item in node.items) + ")"

    def either(self, terms: list[Term]) -> str:
        return " | ".join(self.term(term) for term in terms)

    def contains(self) -> str:
        return "c.id IN (SELECT id FROM cables_fts WHERE doc @@ CAST(? AS tsquery))"

    def scored(self, where: str) -> str:
        sql = (
            f"SELECT f.id, -ts_rank({self.RANK_WEIGHTS}, f.doc, q.q) FROM cables_fts f "
            "CROSS JOIN (SELECT CAST(? AS tsquery) AS q) q "
        )
        if where:
            return sql + f"JOIN cables c ON c.id = f.id WHERE f.doc @@ q.q AND {where}"
        return sql + "WHERE f.doc @@ q.q"

    def ranked(self, where: str) -> str:
        return (
            f"SELECT c.id, s.score FROM cables c LEFT JOIN (SELECT f.id, "
            f"-ts_rank({self.RANK_WEIGHTS}, f.doc, q.q) AS score FROM cables_fts f "
            "CROSS JOIN (SELECT CAST(? AS tsquery) AS q) q WHERE f.doc @@ q.q) s "
            f"ON s.id = c.id WHERE {where}"
        )

    def args(self, expression: str) -> list[str]:
        return [expression]

    def headline(self, conn: Any, text: str, terms: list[Term]) -> str | None:
        """``ts_headline`` of the text for the terms (in any column), matches between
        :attr:`START` and :attr:`STOP`."""
        query = " | ".join(self.term(term, weights=False) for term in terms)
        options = (
            f'StartSel="{self.START}", StopSel="{self.STOP}", MaxWords=40, MinWords=20, '
            "ShortWord=0, HighlightAll=false, MaxFragments=1"
        )
        row = conn.execute(
            "SELECT ts_headline('simple', ?, CAST(? AS tsquery), ?)",
            (_printable(text), query, options),
        ).fetchone()
        return row[0] if row else None


def _printable(text: str) -> str:
    """The text without the marks a headline uses (and NULs, which PostgreSQL refuses)."""
    return re.sub("[\x00\x02\x03]", " ", text)


def for_dialect(name: str) -> Fts5 | TsQuery:
    return TSQUERY if name == "postgresql" else FTS5


FTS5 = Fts5()
TSQUERY = TsQuery()
