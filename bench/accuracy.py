"""Parser accuracy, field by field, against ground truth that does not come from the parser.

1. The gold set (``tests/gold/cables``, labelled by reading the cables; how, in
   ``tests/gold/README.md``): the share of cables whose field is right, for every field, and
   every miss with what was parsed and what the labeller wrote (``--misses``).
2. The 5,971 real ``cables.csv`` rows (``cables-dump-rows.csv.xz``): ID, creation time,
   origin and classification against the row's own columns; and the recall of references
   against WikiLeaks' own referenced-IDs column (column 6), counting the IDs of that column
   whose number stands in the cable's REF lines (found here with a pattern of our own, not
   the parser's), with the misses listed (``--misses``).

    .venv/bin/python bench/accuracy.py [--misses] [--corpus ../shared/corpus]
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import lzma
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from tests.gold.score import FIELDS, load_gold, read_sources, score  # noqa: E402

from cablegate.parse import canonical_id  # noqa: E402
from cablegate.parse.ids import split_id, stations  # noqa: E402
from cablegate.readers.cables_csv import _UNESCAPE, _split_fields, iter_rows, parse_row  # noqa: E402

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


def gold(misses: bool, corpus: Path) -> None:
    cables = load_gold()
    if not cables:
        print("gold set: no cables in tests/gold/cables")
        return
    parsed = read_sources(cables, corpus)
    shares, missed = score(cables, parsed)
    print(f"gold set: {len(cables)} cables labelled by reading them")
    for name in FIELDS:
        wrong = sum(1 for m in missed if m.field == name)
        print(f"  {name:<15} {shares[name]:7.1%}  ({wrong} wrong)")
    if misses:
        for m in missed:
            print(f"    {m.id} {m.field}: parsed {m.got!r}; gold {m.want!r}")


def csv_rows(misses: bool, corpus: Path) -> None:
    started = time.perf_counter()
    rows = right_meta = 0
    wrong: list[str] = []
    expected = found = not_ids = wrong_year = 0
    lost: list[str] = []
    junk: list[str] = []
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
            rows += 1
            when = dt.datetime.strptime(created, "%m/%d/%Y %H:%M").replace(tzinfo=dt.UTC)
            meta = (canonical_id(ref_id), when, origin, classification)
            got = (cable.canonical_id, cable.created, cable.origin, cable.classification)
            if got == meta:
                right_meta += 1
            else:
                wrong.append(f"{ref_id}: parsed {got}, columns {meta}")
            block = ref_block(content)
            parsed_refs = {r.value for r in cable.references if r.kind == "cable"}
            for want in column6(refs):
                parts = split_id(want)
                if parts is None or parts[1] not in stations():
                    not_ids += 1  # "04DTG051659ZNOV4", "04GMP20040305000091": no cable ID
                    junk.append(f"{cable.canonical_id}: column 6's {want} is no cable ID")
                    continue
                if not re.search(rf"(?<!\d)0*{parts[2]}(?!\d)", block):
                    continue
                if want == cable.canonical_id:  # from a page header: no cable cites itself
                    not_ids += 1
                    junk.append(f"{cable.canonical_id}: column 6 lists the cable itself")
                    continue
                expected += 1
                if want in parsed_refs:
                    found += 1
                elif year_stated(block, parts, parsed_refs) or year_before(
                    cable.canonical_id, parts, parsed_refs
                ):
                    wrong_year += 1
                else:
                    lost.append(f"{cable.canonical_id}: {want} not among {sorted(parsed_refs)}")
    seconds = time.perf_counter() - started
    print(f"cables.csv rows: {rows:,} read in {seconds:.1f} s")
    print(f"  ID, created, origin, classification: {right_meta / max(rows, 1):.2%} right")
    judged = expected - wrong_year
    print(
        f"  references of column 6 whose number is in the REF lines: {expected:,}; "
        f"{wrong_year:,} of them with another year than the REF line states or than the "
        f"numbering allows (column 6 wrong); {not_ids:,} entries of column 6 no cable ID "
        "or the cable itself"
    )
    print(f"  recall: {found:,} of {judged:,} found ({found / max(judged, 1):.2%})")
    if misses:
        for item in wrong + lost + junk:
            print(f"    {item}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--misses", action="store_true", help="list every miss")
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    args = parser.parse_args()
    gold(args.misses, args.corpus)
    csv_rows(args.misses, args.corpus)


if __name__ == "__main__":
    main()
