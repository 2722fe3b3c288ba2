"""The parser against the gold set, field by field (used by ``tests/test_gold.py`` and
``bench/accuracy.py``): each gold cable is read again from its source in the corpus with the
project's readers, and each field of the parse is compared with what the labeller wrote."""

from __future__ import annotations

import io
import json
import lzma
import re
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cablegate.model import Cable
from cablegate.readers.cables_csv import iter_rows, parse_row
from cablegate.readers.site import read_site_page

GOLD = Path(__file__).resolve().parent / "cables"
FIELDS = (
    "id",
    "classification",
    "origin",
    "subject",
    "tags",
    "references",
    "classified_by",
    "reasons",
    "summary",
    "signers",
    "sender",
    "to",
    "info",
)


def load_gold(folder: Path = GOLD) -> list[dict[str, Any]]:
    """The gold cables, each with ``file``: its file's name (the source's ID)."""
    return [
        json.loads(p.read_text(encoding="utf-8")) | {"file": p.stem}
        for p in sorted(folder.glob("*.json"))
    ]


def read_sources(gold: list[dict[str, Any]], corpus: Path) -> dict[str, Cable]:
    """Each gold cable parsed from its source (``archive!member`` or ``file:line``), by the
    name of its gold file."""
    wanted: dict[str, dict[str, str]] = {}
    for g in gold:
        name, where = re.split(r"[!:]", g["source"], maxsplit=1)
        wanted.setdefault(name, {})[where] = g["file"]
    found: dict[str, Cable] = {}
    members = wanted.get("cablegate-site.tar.xz", {})
    if members:
        with tarfile.open(corpus / "cablegate-site.tar.xz", "r|*") as tar:
            for member in tar:
                if member.name in members:
                    data = tar.extractfile(member).read()  # type: ignore[union-attr]
                    found[members[member.name]] = read_site_page(data, member.name)
    lines = wanted.get("cables-dump-rows.csv.xz", {})
    if lines:
        with lzma.open(corpus / "cables-dump-rows.csv.xz") as raw:
            for line, record in iter_rows(io.BufferedReader(raw)):  # type: ignore[arg-type]
                if str(line) in lines:
                    text = record.decode("utf-8", "replace")
                    found[lines[str(line)]] = parse_row(text, "cables-dump-rows.csv.xz", line)
    return found


def _spaces(text: str | None) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def _names(values: list[str]) -> list[str]:
    return [_spaces(v).casefold() for v in values]


_MARKING = re.compile(r"^\((?:[A-Z]{1,4}(?:\s*/\s*[A-Za-z ]+)?|[a-z]{1,3})\)\s*")


def _summary(got: str | None, want: dict[str, str] | None) -> bool:
    if want is None or got is None:
        return want is None and got is None
    text = _MARKING.sub("", _spaces(got))
    trim = " .;:-\"'"
    return text.startswith(_spaces(want["starts"]).strip(trim)) and text.rstrip(trim).endswith(
        _spaces(want["ends"]).rstrip(trim)
    )


def observed(cable: Cable) -> dict[str, Any]:
    """The parse's value of each field, in the gold set's terms."""
    sent = cable.transmission
    return {
        "id": cable.canonical_id,
        "classification": cable.classification,
        "origin": cable.origin,
        "subject": cable.subject,
        "tags": cable.tags,
        "references": [r.value for r in cable.references if r.kind == "cable"],
        "classified_by": cable.classified_by,
        "reasons": cable.classification_reasons,
        "summary": cable.summary,
        "signers": cable.signers,
        "sender": sent.sender.name if sent.sender else None,
        "to": [r.name for r in sent.to],
        "info": [r.name for r in sent.info],
    }


_SAME: dict[str, Callable[[Any, Any], bool]] = {
    "subject": lambda got, want: _spaces(got) == _spaces(want),
    "tags": lambda got, want: {t.upper() for t in got} == {t.upper() for t in want},
    "references": lambda got, want: set(got) == set(want),
    "classified_by": lambda got, want: _names(got) == _names(want),
    "reasons": lambda got, want: set(got) == set(want),
    "summary": _summary,
    "signers": lambda got, want: _names(got) == _names(want),
    "sender": lambda got, want: _spaces(got) == _spaces(want),
    "to": lambda got, want: _names(got) == _names(want),
    "info": lambda got, want: _names(got) == _names(want),
}


@dataclass(frozen=True)
class Miss:
    id: str
    field: str
    got: Any
    want: Any


def score(
    gold: list[dict[str, Any]], parsed: dict[str, Cable]
) -> tuple[dict[str, float], list[Miss]]:
    """(share of the gold cables right, by field; every miss)."""
    right = dict.fromkeys(FIELDS, 0)
    misses = []
    for g in gold:
        got = observed(parsed[g["file"]])
        for name in FIELDS:
            same = _SAME.get(name, lambda a, b: a == b)
            if same(got[name], g[name]):
                right[name] += 1
            else:
                misses.append(Miss(g["file"], name, got[name], g[name]))
    return {name: right[name] / max(len(gold), 1) for name in FIELDS}, misses
