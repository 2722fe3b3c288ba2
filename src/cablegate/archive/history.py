"""What changed between two versions of a cable (pure).

Versions are compared by words: the header and body text split at white space, so that a
text re-wrapped at other line breaks (the site re-flowed many cables between releases)
differs only by the words that changed. Redactions are runs of ``XXXXXX`` (see
:func:`cablegate.parse.fields.count_redactions`); words that take the place of one in the
later version were restored: the redaction was lifted.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

import msgspec

from cablegate.model import Cable

_IGNORED = {
    "provenance",
    "warnings",
    "header",
    "body",
    "articles",
    "released",  # every version has its own: the history lists it apart
    "released_at_ingest",
    "created_precision",
}

FIELD_LABELS: dict[str, str] = {
    "reference_id": "reference ID",
    "canonical_id": "reference ID",
    "created": "creation date",
    "created_precision": "creation date",
    "released": "release date",
    "released_at_ingest": "release date",
    "classification": "classification",
    "origin": "origin",
    "subject": "subject",
    "header": "header",
    "body": "body",
    "transmission": "transmission line",
    "classification_line": "classification line",
    "caveats": "caveats",
    "declassification_date": "declassification date",
    "declassification_text": "declassification instructions",
    "tags": "TAGS",
    "references": "references",
    "classified_by": "classified by",
    "classification_reasons": "classification reasons",
    "paragraphs": "paragraphs",
    "summary": "summary",
    "comment": "comment",
    "signers": "signature",
    "redactions": "redactions",
    "partial": "partial extract",
    "articles": "articles",
}
"""Record field -> the name a reader knows it by (the one place for them)."""


def field_label(name: str) -> str:
    """The reader's name of a record field (``classification_line`` -> ``classification
    line``)."""
    return FIELD_LABELS.get(name, name.replace("_", " "))


_REDACTED = re.compile(r"X{6,}")


def _redacted(word: str) -> bool:
    return "XXXXXX" in word and _REDACTED.search(word) is not None


class Change(msgspec.Struct, frozen=True):
    """The difference of a version from the one before it."""

    fields: list[str]
    """Parsed fields whose value differs (``subject``, ``redactions``, ``paragraphs`` ...;
    :func:`field_label` names them for readers)."""
    header_changed: bool
    """Whether the words of the header differ (not only its line breaks)."""
    words_added: int
    """Words of the later text (header and body) not in the earlier, line breaks ignored."""
    words_removed: int
    """Words of the earlier text not in the later."""
    redactions_lifted: int = 0
    """Redaction markers (``XXXXXXXXXXXX``) of the earlier text whose place the later text
    fills with words."""
    words_restored: int = 0
    """The words the later text has where the earlier had those markers."""
    redactions_added: int = 0
    """Redaction markers of the later text standing where the earlier had words."""
    words_redacted: int = 0
    """The words the earlier text had where the later has those markers."""

    @property
    def labels(self) -> list[str]:
        """The changed fields by their readers' names, without repeats."""
        return list(dict.fromkeys(field_label(name) for name in self.fields))


def words(cable: Cable) -> list[str]:
    """The words of a version's header and body, in order (white space and line breaks are
    not words)."""
    return [*cable.header.split(), *cable.body.split()]


def _opcodes(old: Sequence[str], new: Sequence[str]) -> list[tuple[str, int, int, int, int]]:
    return [
        (str(tag), i1, i2, j1, j2)
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(
            None, old, new, autojunk=False
        ).get_opcodes()
    ]


def compare(before: Cable, after: Cable) -> Change:
    """How ``after`` differs from ``before``: changed fields, and words added and removed
    (header and body, line breaks ignored), with the redactions lifted or added."""
    old, new = msgspec.to_builtins(before), msgspec.to_builtins(after)
    fields = [
        name
        for name in Cable.__struct_fields__
        if name not in _IGNORED and old.get(name) != new.get(name)
    ]
    a, b = words(before), words(after)
    added = removed = lifted = restored = hidden = redacted = 0
    for tag, i1, i2, j1, j2 in _opcodes(a, b):
        if tag == "equal":
            continue
        gone, came = a[i1:i2], b[j1:j2]
        removed += len(gone)
        added += len(came)
        old_marks = sum(map(_redacted, gone))
        new_marks = sum(map(_redacted, came))
        if old_marks and not new_marks and came:
            lifted += old_marks
            restored += len(came) - (len(gone) - old_marks)
        elif new_marks and not old_marks and gone:
            hidden += new_marks
            redacted += len(gone) - (len(came) - new_marks)
    return Change(
        fields=fields,
        header_changed=before.header.split() != after.header.split(),
        words_added=added,
        words_removed=removed,
        redactions_lifted=lifted,
        words_restored=max(restored, 0),
        redactions_added=hidden,
        words_redacted=max(redacted, 0),
    )


def describe(change: Change | None) -> str:
    """The changes of a version in a reader's words: ``+14 / −0 words; redactions,
    subject`` (``first version`` for the first)."""
    if change is None:
        return "first version"
    parts = [f"+{change.words_added} / −{change.words_removed} words"]
    if change.labels:
        parts.append(", ".join(change.labels))
    return "; ".join(parts)


def summary(change: Change) -> str:
    """The gist of a change: redactions lifted or added, else reworded, or the same words."""
    said = []
    if change.redactions_lifted:
        said.append(
            f"{_plural(change.redactions_lifted, 'redaction')} lifted, "
            f"{_plural(change.words_restored, 'word')} restored"
        )
    if change.redactions_added:
        said.append(
            f"{_plural(change.redactions_added, 'redaction')} added, "
            f"{_plural(change.words_redacted, 'word')} hidden"
        )
    if said:
        return "; ".join(said)
    if change.words_added or change.words_removed:
        return (
            f"{_plural(change.words_added, 'word')} added, "
            f"{_plural(change.words_removed, 'word')} removed"
        )
    return "same words (layout or metadata only)"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


class Segment(msgspec.Struct, frozen=True):
    """A run of words of a word diff: ``same``, ``ins`` (only in the later version), ``del``
    (only in the earlier), or ``gap`` (unchanged words left out; ``text`` says how many)."""

    kind: str
    text: str


def word_diff(before: Cable, after: Cable, context: int = 12) -> list[Segment]:
    """A word diff of the header and body text for showing to readers: line breaks are
    ignored, unchanged runs longer than twice ``context`` words are cut to their ends."""
    a, b = words(before), words(after)
    out: list[Segment] = []
    opcodes = _opcodes(a, b)
    for n, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag == "equal":
            same = a[i1:i2]
            head = context if n > 0 else 0
            tail = context if n < len(opcodes) - 1 else 0
            if len(same) > head + tail + 3:
                if head:
                    out.append(Segment("same", " ".join(same[:head])))
                out.append(Segment("gap", f"{len(same) - head - tail} unchanged words"))
                if tail:
                    out.append(Segment("same", " ".join(same[-tail:])))
            else:
                out.append(Segment("same", " ".join(same)))
            continue
        if i2 > i1:
            out.append(Segment("del", " ".join(a[i1:i2])))
        if j2 > j1:
            out.append(Segment("ins", " ".join(b[j1:j2])))
    return out


def unified_diff(before: Cable, after: Cable, context: int = 3) -> list[str]:
    """A line diff of the header and body text (as published, line breaks and all)."""
    old = [*before.header.splitlines(), "", *before.body.splitlines()]
    new = [*after.header.splitlines(), "", *after.body.splitlines()]
    return list(difflib.unified_diff(old, new, "earlier", "later", n=context, lineterm=""))
