"""The one query compiler: a parsed query tree (:mod:`cablegate.search.query`) to a Tantivy
query over the index's fields (:mod:`cablegate.search.index`).

- an unquoted word matches its English stem in the subject or body (``release``,
  ``released``, ``releases`` alike) and, for the names of :mod:`cablegate.search.variants`,
  their other spellings too; a quoted phrase matches the words as written, in order, or
  within ``~N`` words of each other; ``word*`` any word starting so; ``word~`` words within
  one or two edits; the subject weighs more than the body;
- filters match exactly, forgiving case (``tag:pk``, ``concept:prisoners``) and, for
  origins, a place named in them (``origin:islamabad`` finds "Embassy Islamabad"), for
  person tags the words of the name (``person:kissinger``); they never add to the score.
"""

from __future__ import annotations

import datetime as dt
import re

import tantivy
from tantivy import Occur, Query

from cablegate.parse import canonical_id
from cablegate.search.dates import date_range
from cablegate.search.index import ANALYZERS, EXACT, SCHEMA, STEM
from cablegate.search.query import (
    CATALOG_FILTERS,
    MAX_DEPTH,
    Filter,
    Node,
    Not,
    Or,
    QueryError,
    Term,
)
from cablegate.search.variants import variants

COLUMNS = {
    # column: (stemmed field or None, exact field, weight)
    "subject": ("subject", "subject_exact", 10.0),
    "body": ("body", "body_exact", 1.0),
    "sender": (None, "sender", 2.0),
    "recipients": (None, "recipients", 2.0),
}
DEFAULT_COLUMNS = ("subject", "body")
"""Where a word without a column is looked for."""

CABLES = Query.term_query(SCHEMA, "doctype", "cable")
"""Every cable (the index also holds its state document)."""

NOTHING = Query.empty_query()

MAX_TREE_DEPTH = 3 * MAX_DEPTH + 8
"""Nodes nested in one another at most (each level of parentheses or NOT the parser allows
makes at most an Or, an And and a Not)."""


def words(text: str, stem: bool = False) -> list[str]:
    """The index's words of a text (stems, or as written)."""
    return ANALYZERS[STEM if stem else EXACT].analyze(text)


class Compiler:
    """Compiles trees, noting what it did that a reader should know (other spellings)."""

    def __init__(self) -> None:
        self.notes: list[str] = []
        self.depth = 0

    def compile(self, node: Node | None) -> Query:
        """The Tantivy query of a tree (a :class:`QueryError` for one nested too deeply:
        the parser makes none, but trees can be built by hand)."""
        self.depth += 1
        try:
            if self.depth > MAX_TREE_DEPTH:
                raise QueryError(f"the query is too deeply nested (more than {MAX_DEPTH} levels)")
            return self._compile(node)
        finally:
            self.depth -= 1

    def _compile(self, node: Node | None) -> Query:
        if node is None:
            return CABLES
        if isinstance(node, Term):
            return self.term(node)
        if isinstance(node, Filter):
            return Query.const_score_query(filter_query(node), 0.0)
        if isinstance(node, Not):
            return Query.boolean_query(
                [(Occur.Must, CABLES), (Occur.MustNot, self.compile(node.item))]
            )
        if isinstance(node, Or):
            return Query.boolean_query([(Occur.Should, self.compile(i)) for i in node.items])
        clauses = [
            (Occur.MustNot, self.compile(i.item))
            if isinstance(i, Not)
            else (Occur.Must, self.compile(i))
            for i in node.items
        ]
        if all(occur == Occur.MustNot for occur, _ in clauses):
            clauses.insert(0, (Occur.Must, CABLES))
        return Query.boolean_query(clauses)

    def term(self, term: Term) -> Query:
        columns = (term.column,) if term.column else DEFAULT_COLUMNS
        spellings = [term.text]
        found = words(term.text)
        if not (term.exact or term.prefix or term.fuzzy) and len(found) == 1:
            # The word as the index cuts it: "Qadhafi," is "qadhafi", with its spellings.
            others = variants(found[0])
            if others:
                spellings += others
                self.notes.append(f"also searched: {', '.join(others)}")
        parts = [
            Query.boost_query(query, COLUMNS[column][2])
            for column in columns
            for text in spellings
            if (query := _term_in(term, text, column)) is not None
        ]
        if not parts:
            return NOTHING
        return (
            parts[0] if len(parts) == 1 else Query.boolean_query([(Occur.Should, p) for p in parts])
        )


def _positions(found: list[str]) -> list[str | tuple[int, str]]:
    """A phrase's words as Tantivy's phrase queries take them (words, or (position, word))."""
    return [*found]


def _term_in(term: Term, text: str, column: str) -> Query | None:
    stemmed, exact, _ = COLUMNS[column]
    found = words(text)
    if not found:
        return None
    if term.fuzzy and len(found) == 1:
        return Query.fuzzy_term_query(SCHEMA, exact, found[0], distance=term.fuzzy)
    if term.prefix:
        if len(found) == 1:
            return Query.regex_query(SCHEMA, exact, re.escape(found[0]) + ".*")
        return Query.phrase_prefix_query(SCHEMA, exact, _positions(found))
    if term.exact or len(found) > 1 or stemmed is None:
        if len(found) == 1:
            return Query.term_query(SCHEMA, exact, found[0])
        return Query.phrase_query(SCHEMA, exact, _positions(found), slop=term.slop)
    stems = words(text, stem=True)
    return Query.term_query(SCHEMA, stemmed, stems[0]) if stems else None


def filter_query(node: Filter) -> Query:
    """The cables a filter keeps (a :class:`QueryError` for a value it cannot use)."""
    value = node.value
    prefix = value.endswith("*")
    stem = value.rstrip("*")
    if node.field == "tag":
        if prefix:
            return Query.regex_query(SCHEMA, "tag", re.escape(stem.upper()) + ".*")
        return Query.term_query(SCHEMA, "tag", value.upper())
    if node.field in ("origin", "classification"):
        key = f"{node.field}_key"
        if prefix:
            whole = Query.regex_query(SCHEMA, key, re.escape(stem.lower()) + ".*")
            named = words(stem)
            if node.field == "classification" or len(named) != 1:
                return whole
            # A word of the origin starting so: "islam*" finds "Embassy Islamabad".
            inside = Query.regex_query(SCHEMA, "origin_words", re.escape(named[0]) + ".*")
            return Query.boolean_query([(Occur.Should, whole), (Occur.Should, inside)])
        whole = Query.term_query(SCHEMA, key, value.lower())
        if node.field == "classification":
            return whole
        # A place named in the origin: "islamabad" finds "Embassy Islamabad".
        named = words(value)
        if not named:
            return whole
        inside = (
            Query.term_query(SCHEMA, "origin_words", named[0])
            if len(named) == 1
            else Query.phrase_query(SCHEMA, "origin_words", _positions(named))
        )
        return Query.boolean_query([(Occur.Should, whole), (Occur.Should, inside)])
    if node.field in CATALOG_FILTERS:
        return _catalog_filter(CATALOG_FILTERS[node.field], value)
    if node.field == "id":
        return Query.term_query(SCHEMA, "id", canonical_id(value))
    if node.field == "ref":
        return Query.term_query(SCHEMA, "ref", canonical_id(value))
    start, end = date_range(node.field, value)
    return Query.range_query(
        SCHEMA,
        node.field,
        tantivy.FieldType.Date,
        _moment(start) if start else None,
        _moment(end) if end else None,
        include_upper=end is None,
    )


def _catalog_filter(name: str, value: str) -> Query:
    """A catalogue field's values matched whole, any case (``concept:prisoners``,
    ``concept:prison*``); a person also by the words of the name (``person:kissinger``,
    ``person:"henry kissinger"`` find ``KISSINGER, HENRY A``)."""
    key = f"{name}_key"
    prefix = value.endswith("*")
    stem = value.rstrip("*")
    if prefix:
        whole = Query.regex_query(SCHEMA, key, re.escape(stem.lower()) + ".*")
    else:
        whole = Query.term_query(SCHEMA, key, value.lower())
    named = words(stem)
    if name != "person" or not named:
        return whole
    if prefix and len(named) == 1:
        inside = Query.regex_query(SCHEMA, "person_words", re.escape(named[0]) + ".*")
    elif prefix:
        inside = Query.phrase_prefix_query(SCHEMA, "person_words", _positions(named))
    else:
        # The words in any order: a name is written "KISSINGER, HENRY A" or "Henry Kissinger".
        inside = Query.boolean_query(
            [(Occur.Must, Query.term_query(SCHEMA, "person_words", w)) for w in named]
        )
    return Query.boolean_query([(Occur.Should, whole), (Occur.Should, inside)])


def _moment(text: str) -> dt.datetime:
    """``2008``, ``2008-06`` or ``2008-06-30`` as the first moment of that period."""
    parts = [int(p) for p in text.split("-")] + [1, 1]
    return dt.datetime(parts[0], parts[1], parts[2])
