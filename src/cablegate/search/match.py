"""Whether one cable record matches a parsed query, in Python, without the index (pure).

The full-text index holds public cables only; choosing what to release by a query
(``cablegate release --query``) needs the same language over records that are not public
yet. Words are cut and compared as the index's tokenizer does (FTS5 ``unicode61
remove_diacritics 2``: letters and digits, case and accents ignored), so a query finds the
same cables here as in the index.
"""

from __future__ import annotations

import functools

from cablegate.archive.fulltext import tokens
from cablegate.archive.records import routing_text, stamp
from cablegate.model import Cable
from cablegate.parse import canonical_id
from cablegate.search.engine import date_range
from cablegate.search.query import And, Filter, Node, Not, Term


class Record:
    """A cable with its columns as the index sees them, tokenized once (when first
    needed), for matching many queries."""

    def __init__(self, cable: Cable) -> None:
        self.cable = cable

    @functools.cached_property
    def columns(self) -> dict[str, list[str]]:
        sender, recipients = routing_text(self.cable)
        return {
            "subject": tokens(self.cable.subject),
            "body": tokens(self.cable.body),
            "sender": tokens(sender),
            "recipients": tokens(recipients),
        }

    def matches(self, tree: Node | None) -> bool:
        """Whether this cable is a hit of the query ``tree`` (None: everything)."""
        return tree is None or _match(tree, self)


def matches(tree: Node | None, cable: Cable) -> bool:
    """Whether ``cable`` is a hit of the query ``tree`` (None: everything)."""
    return Record(cable).matches(tree)


def _match(node: Node, record: Record) -> bool:
    if isinstance(node, Term):
        return _term(node, record)
    if isinstance(node, Filter):
        return _filter(node, record.cable)
    if isinstance(node, Not):
        return not _match(node.item, record)
    if isinstance(node, And):
        return all(_match(item, record) for item in node.items)
    return any(_match(item, record) for item in node.items)


def _term(term: Term, record: Record) -> bool:
    words = tokens(term.text)
    if not words:
        return False
    columns = [term.column] if term.column else ["subject", "body"]
    return any(_phrase(words, record.columns[c], term.prefix) for c in columns)


def _phrase(words: list[str], text: list[str], prefix: bool) -> bool:
    n = len(words)
    for at in range(len(text) - n + 1):
        if text[at : at + n - 1] == words[:-1] and (
            text[at + n - 1].startswith(words[-1]) if prefix else text[at + n - 1] == words[-1]
        ):
            return True
    return False


def _filter(node: Filter, cable: Cable) -> bool:
    value = node.value
    if node.field == "tag":
        return value.upper() in cable.tags
    if node.field in ("origin", "classification"):
        have = (cable.origin if node.field == "origin" else cable.classification) or ""
        if value.endswith("*"):
            return have.casefold().startswith(value[:-1].casefold())
        return have.casefold() == value.casefold()
    if node.field == "id":
        return cable.canonical_id == (canonical_id(value) or value.upper())
    if node.field == "ref":
        target = canonical_id(value) or value.upper()
        return any(r.kind == "cable" and r.value == target for r in cable.references)
    when = stamp(cable.created if node.field == "created" else cable.released)
    start, end = date_range(node.field, value)
    return when is not None and (start is None or when >= start) and (end is None or when < end)
