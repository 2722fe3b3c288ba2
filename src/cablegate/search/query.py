"""The search query language, parsed into a tree (pure functions, no database).

    words               all of them (AND is implied)
    word                the word or any word of the same English stem (release, released,
                        releases), accents ignored; names also in their other spellings
                        (qaddafi, qadhafi, gaddafi: :mod:`cablegate.search.variants`)
    "exact phrase"      the words as written, in this order
    "a phrase"~10       the words within 10 words of each other (proximity)
    word~  word~1       words within two edits (one: ``~1``) of it (fuzzy)
    a OR b, a AND b     boolean operators (upper case), parentheses group
    NOT word, -word     without it
    word*               any word starting with it
    field:value         tag:PTER  origin:"Embassy Paris"  classification:SECRET
                        id:08STATE37957  subject:khan  created:2008-01..2008-06
                        released:2010-12-01..  from:"SECSTATE WASHDC"  to:islamabad
                        ref:09ISLAMABAD1 (cables citing it)
                        restriction:NODIS (handling restrictions: NODIS, EXDIS, LIMDIS,
                        NOFORN ...)  concept:"PRISONERS"  person:"KISSINGER, HENRY A"
                        (or person:kissinger)  current:UNCLASSIFIED (the classification
                        now, where a catalogue such as PlusD gives it)

Any input parses: unbalanced quotes and parentheses are closed, lone operators are ignored,
unknown fields are searched as words; what was changed is said in ``Query.notes``. Only a
value a filter cannot use (a bad date), a query longer than ``MAX_LENGTH`` characters or
nested deeper than ``MAX_DEPTH`` levels is an error (:class:`QueryError`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_LENGTH = 2000
MAX_TERMS = 64
MAX_DEPTH = 32
"""Parentheses and NOTs nested in one another at most (the parser and compiler recurse)."""
MAX_WORD = 200
"""Characters of a word (not a quoted phrase) at most."""

TEXT_FIELDS = {"subject": "subject", "from": "sender", "to": "recipients", "body": "body"}
"""Fields searched in the full-text index: query name -> index column."""
FILTER_FIELDS = (
    "tag",
    "origin",
    "classification",
    "id",
    "created",
    "released",
    "ref",
    "restriction",
    "concept",
    "person",
    "current",
)
CATALOG_FILTERS = {
    "restriction": "restriction",
    "concept": "concept",
    "person": "person",
    "current": "current_classification",
}
"""Filters on a catalogue's fields: query name -> index field (matched whole, any case)."""
FIELDS = (*TEXT_FIELDS, *FILTER_FIELDS)


class QueryError(ValueError):
    """A query that cannot be run, with a message for the reader."""


@dataclass(frozen=True)
class Term:
    """Words to find in the full-text index: one word, a phrase, or a prefix."""

    text: str
    column: str | None = None
    """``subject``, ``body``, ``sender``, ``recipients``; None: subject or body."""
    prefix: bool = False
    exact: bool = False
    """Quoted: the words as written (not their stems or other spellings)."""
    slop: int = 0
    """How many other words may come between those of a phrase (``"a b"~10``)."""
    fuzzy: int = 0
    """Edits allowed (``word~``: 2, ``word~1``: 1); 0: the word itself."""


MAX_SLOP = 100
MAX_EDITS = 2


@dataclass(frozen=True)
class Filter:
    field: str
    value: str


@dataclass(frozen=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    item: Node


Node = Term | Filter | And | Or | Not


@dataclass
class Query:
    text: str
    tree: Node | None
    """None: an empty query (everything)."""
    notes: list[str] = field(default_factory=list)


_TOKEN = re.compile(
    r"\s*(?:(?P<open>\()|(?P<close>\))|(?P<minus>-(?=[^\s)-]))|(?P<field>[A-Za-z]+):(?=\S)"
    r'|(?P<quote>"[^"]*"?(?:~\d*)?)'
    r'|(?P<word>[^\s()"]+))'
)
_WORDLIKE = re.compile(r"\w", re.UNICODE)


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        m = _TOKEN.match(text, position)
        if m is None:  # only trailing whitespace is left
            break
        position = m.end()
        kind = m.lastgroup or "word"
        out.append((kind, m.group(kind)))
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.at = 0
        self.notes: list[str] = []
        self.terms = 0
        self.depth = 0

    def nested(self) -> None:
        """One level deeper (a parenthesis or a NOT): a QueryError past ``MAX_DEPTH``."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise QueryError(
                f"the query is too deeply nested: at most {MAX_DEPTH} levels of parentheses and NOT"
            )

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def operator(self, name: str) -> bool:
        token = self.peek()
        if token == ("word", name):
            self.at += 1
            return True
        return False

    def parse(self) -> Node | None:
        node = self.or_expr()
        while self.peek() is not None:  # a stray ")" ends or_expr early
            self.take()
            self.notes.append("ignored an unmatched ')'")
            more = self.or_expr()
            node = _join(And, [node, more])
        return node

    def or_expr(self) -> Node | None:
        items = [self.and_expr()]
        while self.operator("OR"):
            items.append(self.and_expr())
        return _join(Or, items)

    def and_expr(self) -> Node | None:
        items: list[Node | None] = []
        while (token := self.peek()) is not None and token[0] != "close":
            if token == ("word", "OR"):
                if not items:
                    self.take()
                    self.notes.append("ignored an OR with nothing before it")
                    continue
                break
            if self.operator("AND"):
                continue
            items.append(self.unary())
        return _join(And, items)

    def unary(self) -> Node | None:
        token = self.peek()
        if token == ("word", "NOT") or (token and token[0] == "minus") or token == ("word", "-"):
            self.take()
            self.nested()
            inner = self.unary()
            self.depth -= 1
            if inner is None:
                self.notes.append("ignored a NOT with nothing after it")
                return None
            return Not(inner)
        return self.primary()

    def primary(self) -> Node | None:
        if self.peek() is None:
            return None
        kind, value = self.take()
        if kind == "open":
            self.nested()
            inner = self.or_expr()
            self.depth -= 1
            if (ahead := self.peek()) is not None and ahead[0] == "close":
                self.take()
            else:
                self.notes.append("closed an unmatched '('")
            return inner
        if kind == "quote":
            return self.phrase(value)
        if kind == "field":
            return self.field(value.lower())
        return self.word(value)

    def field(self, name: str) -> Node | None:
        token = self.peek()
        if token is None or token[0] in ("open", "close"):
            return self.word(name)
        _, raw = self.take()
        value = _unquote(raw) if raw.startswith('"') else raw
        if name in TEXT_FIELDS:
            if raw.startswith('"'):
                return self.phrase(raw, TEXT_FIELDS[name])
            return self.word(value, TEXT_FIELDS[name])
        if name in FILTER_FIELDS:
            if not value.strip():
                self.notes.append(f"ignored {name}: with no value")
                return None
            return Filter(name, value.strip())
        self.notes.append(f"unknown field {name}: searched as words")
        return _join(And, [self.word(name), self.word(value, quoted=raw.startswith('"'))])

    def phrase(self, raw: str, column: str | None = None) -> Node | None:
        raw, tilde, slop = _tilde(raw)
        if not raw.endswith('"') or len(raw) == 1:
            self.notes.append("closed an unmatched quote")
        distance = 0
        if tilde:
            distance = min(int(slop or 0), MAX_SLOP)
            if int(slop or 0) > MAX_SLOP:
                self.notes.append(f"words of a phrase are at most {MAX_SLOP} apart")
        return self.word(_unquote(raw), column, quoted=True, slop=distance)

    def word(
        self, text: str, column: str | None = None, quoted: bool = False, slop: int = 0
    ) -> Node | None:
        fuzzy = 0
        if not quoted:
            text, tilde, edits = _tilde(text)
            if tilde:
                fuzzy = min(int(edits or MAX_EDITS), MAX_EDITS) or 1
        prefix = not quoted and not fuzzy and text.endswith("*")
        text = text.rstrip("*") if prefix else text
        if not _WORDLIKE.search(text):
            return None
        if not quoted and len(text) > MAX_WORD:
            raise QueryError(f"a word of the query is longer than {MAX_WORD} characters")
        self.terms += 1
        if self.terms > MAX_TERMS:
            if self.terms == MAX_TERMS + 1:
                self.notes.append(f"used the first {MAX_TERMS} terms only")
            return None
        return Term(" ".join(text.split()), column, prefix, quoted, slop, fuzzy)


def _unquote(raw: str) -> str:
    return raw[1:].rstrip('"')


def _tilde(text: str) -> tuple[str, bool, str]:
    """``text~N`` -> (text, True, "N"); text without a tilde -> (text, False, "")."""
    m = re.fullmatch(r"(.*?)~(\d*)", text, re.S)
    if m is None or not m.group(1):
        return text, False, ""
    return m.group(1), True, m.group(2)[:3]


def _join(kind: type[And] | type[Or], items: list[Node | None]) -> Node | None:
    kept = [item for item in items if item is not None]
    if not kept:
        return None
    if len(kept) == 1:
        return kept[0]
    flat: list[Node] = []
    for item in kept:
        flat.extend(item.items if isinstance(item, kind) else [item])
    return kind(tuple(flat))


def parse_query(text: str) -> Query:
    """Parse any text into a query; raises :class:`QueryError` only for a query too long or
    too deeply nested (see the module doc)."""
    notes: list[str] = []
    if len(text) > MAX_LENGTH:
        raise QueryError(f"the query is longer than {MAX_LENGTH:,} characters: shorten it")
    parser = _Parser(text.replace("\0", " "))
    tree = parser.parse()
    return Query(text, tree, notes + parser.notes)


def positive_terms(node: Node | None) -> list[Term]:
    """The terms a hit may contain (not under a NOT): for ranking and snippets."""
    if node is None or isinstance(node, (Filter, Not)):
        return []
    if isinstance(node, Term):
        return [node]
    return [term for item in node.items for term in positive_terms(item)]
