"""The words the full-text index holds, and their PostgreSQL form (pure).

Both indexes cut text the same way: FTS5's ``unicode61 remove_diacritics 2`` tokenizer in
SQLite, and :func:`tokens` (its twin in Python) for PostgreSQL, whose ``tsvector`` is built
here from those words, so that a query finds the same cables on either database.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from unicodedata import combining

_WORD = re.compile(r"[^\W_]+")
_ASCII_WORD = re.compile(r"[a-z0-9]+")
"""The same words in ASCII text (after lower-casing), found faster."""

COLUMNS = ("subject", "body", "sender", "recipients")
"""The index's columns, in the order of :func:`cablegate.archive.records.index_row`."""

WEIGHTS = {"subject": "A", "body": "B", "sender": "C", "recipients": "D"}
"""The ``tsvector`` weight that marks each column's words in PostgreSQL."""

_LAYOUT = ("subject", "sender", "recipients", "body")
"""Column order of positions in the ``tsvector``: the long body last, so the short columns
keep exact positions whatever its length (PostgreSQL stops counting at 16,383)."""

_GAP = 8
"""Positions left empty between columns, so no phrase runs from one into the next."""

MAX_POSITION = 16383
MAX_LEXEME_BYTES = 2046
MAX_POSITIONS = 256
"""Positions PostgreSQL keeps per lexeme: a word's later ones go under :func:`spill`
lexemes, so that phrases are found anywhere in a long cable."""
SPILLS = MAX_POSITION // MAX_POSITIONS
"""The most spill lexemes a word can have (one per 256 more occurrences)."""


def tokens(text: str | None) -> list[str]:
    """The index's words of a text: lower case, without accents."""
    if not text:
        return []
    if text.isascii():
        return _ASCII_WORD.findall(text.lower())
    return _WORD.findall(_NON_ASCII.sub(_bare, text).casefold())


_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def _bare(run: re.Match[str]) -> str:
    return _without_accents(run.group())


@functools.lru_cache(maxsize=4096)
def _without_accents(text: str) -> str:
    """Decomposed (NFKD) without the combining marks. Only non-ASCII text needs it, and
    decomposing goes character by character, so doing it run by run changes nothing."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not combining(c))


def tsvector(row: Sequence[str | None]) -> str:
    """A ``tsvector`` literal of an index row (subject, body, sender, recipients): each
    word with its positions, weighted by column."""
    text = dict(zip(COLUMNS, row, strict=True))
    positions: dict[str, list[str]] = {}
    at = 1
    for column in _LAYOUT:
        weight = WEIGHTS[column]
        words = tokens(text[column])
        for offset, word in enumerate(words, at):
            where = positions.get(word)
            if where is None:
                where = positions[word] = []
            where.append(f"{offset if offset < MAX_POSITION else MAX_POSITION}{weight}")
        at += len(words) + _GAP
    return " ".join(
        f"'{spill(_lexeme(word), n // MAX_POSITIONS)}':{','.join(where[n : n + MAX_POSITIONS])}"
        for word, where in positions.items()
        for n in range(0, len(where), MAX_POSITIONS)
    )


def spill(word: str, n: int) -> str:
    """The lexeme of a word's ``n``-th 256 occurrences (the word itself for the first;
    ``~`` is never part of a word)."""
    return f"{word}~{n}" if n else word


def _lexeme(word: str) -> str:
    """A word as a lexeme (PostgreSQL keeps at most 2,046 bytes of one)."""
    data = word.encode()
    return (
        word if len(data) <= MAX_LEXEME_BYTES else data[:MAX_LEXEME_BYTES].decode(errors="ignore")
    )
