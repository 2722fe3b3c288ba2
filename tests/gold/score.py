"""The parser against the gold set, field by field (used by ``tests/test_gold.py`` and
``bench/accuracy.py``): each gold cable is read again from its source in the corpus with the
project's readers, and each field of the parse is compared with what the labeller wrote."""

from __future__ import annotations

import datetime as dt
import io
import json
import lzma
import re
import tarfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cablegate.model import Cable
from cablegate.parse import canonical_id
from cablegate.parse.ids import split_id, stations
from cablegate.readers.cables_csv import _UNESCAPE, _split_fields, iter_rows, parse_row
from cablegate.readers.site import read_site_page

GOLD = Path(__file__).resolve().parent / "cables"
HELD_OUT = "held out, at random"
"""``drawn`` of the cables drawn and labelled after the parser was fitted to the others."""
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


# -- the real cables.csv rows ----------------------------------------------------------------

_REF_START = re.compile(r"(?im)^[ \t]*¶?[ \t]*REF(?:S|TEL|TELS)?\b[^\n]*")
_REF_END = re.compile(
    r"(?im)^[ \t]*(?:¶?[ \t]*1[ \t]*\.|classified|summary|begin summary|\(\w+\)|¶)"
    r"|\n[ \t]*\n[ \t]*\n"
)


def ref_block(body: str) -> str:
    """The REF lines of a cable: from the first REF label to the next field or paragraph."""
    m = _REF_START.search(body[:6000])
    if m is None:
        return ""
    rest = body[m.start() : m.start() + 3000]
    end = _REF_END.search(rest, m.end() - m.start())
    return rest[: end.start()] if end else rest[:1200]


def column6(listed: str) -> list[str]:
    """The IDs of a row's column 6, as canonical IDs: WikiLeaks' list carries labels into
    some (``03REFA:TEGUCIGALPA3149``, ``04REFTEL:STATE65804``, ``04A:2004LAGOS30``) and joins
    others (``04BRASILIA2799AND2764``)."""
    out = []
    for item in filter(None, listed.upper().split("|")):
        m = re.fullmatch(r"(\d{2})(?:[A-Z]*:)?(?:SEC)?(?:\d{4}|\d)?([A-Z].*)", item)
        if m:
            item = m.group(1) + m.group(2)
        joined = re.fullmatch(r"(\d{2}[A-Z]+)(\d+)AND(\d+)", item)
        pieces = (
            [joined.group(1) + joined.group(2), joined.group(1) + joined.group(3)]
            if joined
            else [item]
        )
        out += [canonical_id(piece) for piece in pieces]
    return list(dict.fromkeys(out))


def year_stated(block: str, parts: tuple[str, str, int], parsed: set[str]) -> bool:
    """Whether the parse has the same station and number with the year its REF line states
    (``02 BRASILIA 2290`` in a 2003 cable, which column 6 lists as ``03BRASILIA2290``)."""
    for ref in parsed:
        other = split_id(ref)
        if other and other[1:] == parts[1:] and other[0] != parts[0]:
            year = other[0]
            near = (
                rf"(?:(?:19|20)?{year}\D{{1,30}}0*{parts[2]}(?!\d)"
                rf"|0*{parts[2]}\D{{1,4}}(?:19|20)?{year}\b)"
            )
            if re.search(near, block):
                return True
    return False


def year_before(citing: str, parts: tuple[str, str, int], parsed: set[str]) -> bool:
    """Whether column 6 gave the citing cable's year to a cable of the same post numbered
    above the citing cable itself, which can only be of the year before (a post numbers
    its cables in sequence through each year), as the parse has it."""
    own = split_id(citing)
    if own is None or (own[0], own[1]) != parts[:2] or parts[2] <= own[2]:
        return False
    return f"{int(own[0]) - 1:02d}{parts[1]}{parts[2]}" in parsed


@dataclass
class CsvScore:
    """The parse of the real cables.csv rows against their own columns."""

    rows: int = 0
    right_metadata: int = 0
    expected: int = 0
    """IDs of column 6 whose number stands in the cable's REF lines."""
    found: int = 0
    column_wrong: int = 0
    """Of those, with another year than the REF line states or the numbering allows."""
    not_ids: int = 0
    """Entries of column 6 that are no cable ID, or the cable itself."""
    wrong: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    junk: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.found / max(self.expected - self.column_wrong, 1)


def score_csv(corpus: Path) -> CsvScore:
    """ID, created, origin and classification against the row's columns; the references
    against WikiLeaks' column 6 (recall, where the number stands in the REF lines)."""
    out = CsvScore()
    with lzma.open(corpus / "cables-dump-rows.csv.xz") as raw:
        for line, record in iter_rows(io.BufferedReader(raw)):  # type: ignore[arg-type]
            text = record.decode("utf-8", "replace")
            fields, _ = _split_fields(text)
            if len(fields) != 8:
                continue
            _, created, ref_id, origin, classification, refs, _, content = (
                _UNESCAPE.sub(r"\1", f) for f in fields
            )
            cable = parse_row(text, "cables-dump-rows.csv.xz", line)
            out.rows += 1
            when = dt.datetime.strptime(created, "%m/%d/%Y %H:%M").replace(tzinfo=dt.UTC)
            meta = (canonical_id(ref_id), when, origin, classification)
            got = (cable.canonical_id, cable.created, cable.origin, cable.classification)
            if got == meta:
                out.right_metadata += 1
            else:
                out.wrong.append(f"{ref_id}: parsed {got}, columns {meta}")
            block = ref_block(content)
            parsed_refs = {r.value for r in cable.references if r.kind == "cable"}
            for want in column6(refs):
                parts = split_id(want)
                if parts is None or parts[1] not in stations():
                    out.not_ids += 1  # "04DTG051659ZNOV4", "04GMP20040305000091"
                    out.junk.append(f"{cable.canonical_id}: column 6's {want} is no cable ID")
                    continue
                if not re.search(rf"(?<!\d)0*{parts[2]}(?!\d)", block):
                    continue
                if want == cable.canonical_id:  # from a page header: no cable cites itself
                    out.not_ids += 1
                    out.junk.append(f"{cable.canonical_id}: column 6 lists the cable itself")
                    continue
                out.expected += 1
                if want in parsed_refs:
                    out.found += 1
                elif year_stated(block, parts, parsed_refs) or year_before(
                    cable.canonical_id, parts, parsed_refs
                ):
                    out.column_wrong += 1
                else:
                    out.lost.append(f"{cable.canonical_id}: {want} not among {sorted(parsed_refs)}")
    return out
