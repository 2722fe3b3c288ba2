"""What changed between two versions of a cable (pure)."""

from __future__ import annotations

import difflib

import msgspec

from cablegate.model import Cable

_IGNORED = {"provenance", "warnings", "header", "body", "articles"}


class Change(msgspec.Struct, frozen=True):
    """The difference of a version from the one before it."""

    fields: list[str]
    """Parsed fields whose value differs (``subject``, ``redactions``, ``paragraphs`` ...)."""
    header_changed: bool
    lines_added: int
    lines_removed: int


def compare(before: Cable, after: Cable) -> Change:
    """How ``after`` differs from ``before``: changed fields and changed body lines."""
    old, new = msgspec.to_builtins(before), msgspec.to_builtins(after)
    fields = [
        name
        for name in Cable.__struct_fields__
        if name not in _IGNORED and old.get(name) != new.get(name)
    ]
    added = removed = 0
    for line in difflib.unified_diff(before.body.splitlines(), after.body.splitlines(), n=0):
        if line.startswith("+") and not line.startswith("+++"):
            added += 1
        elif line.startswith("-") and not line.startswith("---"):
            removed += 1
    return Change(fields, before.header != after.header, added, removed)


def unified_diff(before: Cable, after: Cable, context: int = 3) -> list[str]:
    """A line diff of the header and body text, for showing to readers."""
    old = [*before.header.splitlines(), "", *before.body.splitlines()]
    new = [*after.header.splitlines(), "", *after.body.splitlines()]
    return list(difflib.unified_diff(old, new, "earlier", "later", n=context, lineterm=""))
