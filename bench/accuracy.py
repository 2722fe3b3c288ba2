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
    expected = found = 0
    lost: list[str] = []
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
            for listed in filter(None, refs.split("|")):
                number = re.search(r"(\d+)$", listed)
                if not number or not re.search(rf"(?<!\d)0*{number.group(1)}(?!\d)", block):
                    continue
                expected += 1
                want = canonical_id(listed)
                if want in parsed_refs:
                    found += 1
                else:
                    lost.append(f"{cable.canonical_id}: {want} not among {sorted(parsed_refs)}")
    seconds = time.perf_counter() - started
    print(f"cables.csv rows: {rows:,} read in {seconds:.1f} s")
    print(f"  ID, created, origin, classification: {right_meta / max(rows, 1):.2%} right")
    print(
        f"  references of column 6 whose number is in the REF lines: {found:,} of "
        f"{expected:,} found ({found / max(expected, 1):.2%})"
    )
    if misses:
        for item in wrong + lost:
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
