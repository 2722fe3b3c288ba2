"""Transliteration variants: the other spellings of a name, so that they find each other.

A search for ``qaddafi`` should also find the cables that write ``qadhafi``, ``gaddafi`` or
``kadhafi``. The curated table of such spellings, for the Arabic, Persian, Russian, Chinese and
Korean names and words that matter in the cables, is package data: ``data/variants.txt`` in the
package :mod:`cablegate.search` (its header comment gives the format). It is read once, when
this module is imported, into :data:`VARIANTS`; :func:`variants` gives the other spellings of
one word, which the search adds to the query and names in its notes ("also searched: …").

A table that breaks the format (a spelling in two groups, a group of one, a spelling that is not
a single lower-case ASCII word) raises :class:`ValueError` at import time, naming the file and
the line.
"""

import re
from importlib import resources

__all__ = ["VARIANTS", "variants"]

_PACKAGE = "cablegate.search"
_SPELLING = re.compile(r"[a-z]+")


def _load(text: str, source: str) -> dict[str, tuple[str, ...]]:
    """Parse the table: each spelling mapped to its whole group, in the table's order."""
    table: dict[str, tuple[str, ...]] = {}
    first_line: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        group = tuple(line.split(" "))
        where = f"{source}, line {number}"
        for spelling in group:
            if not _SPELLING.fullmatch(spelling):
                raise ValueError(
                    f"{where}: {spelling!r} is not a single lower-case ASCII word "
                    "(spellings are separated by single spaces)"
                )
            if spelling in first_line:
                raise ValueError(
                    f"{where}: {spelling!r} is already in the group on line {first_line[spelling]}"
                )
            first_line[spelling] = number
        if len(group) < 2:
            raise ValueError(f"{where}: a group needs at least two spellings")
        for spelling in group:
            table[spelling] = group
    return table


def _read_table() -> dict[str, tuple[str, ...]]:
    path = resources.files(_PACKAGE) / "data" / "variants.txt"
    return _load(path.read_text(encoding="utf-8"), str(path))


VARIANTS: dict[str, tuple[str, ...]] = _read_table()
"""Each spelling in the table, mapped to all the spellings of its group (itself included)."""


def variants(word: str) -> tuple[str, ...]:
    """The other spellings of ``word`` (matched lower-cased), in the table's order; () if none."""
    key = word.lower()
    return tuple(spelling for spelling in VARIANTS.get(key, ()) if spelling != key)
