"""Parser accuracy, field by field, against ground truth that does not come from the parser.

1. The gold set (``tests/gold/cables``, labelled by reading the cables; how, in
   ``tests/gold/README.md``): the share of cables whose field is right, for every field, and
   every miss with what was parsed and what the labeller wrote (``--misses``); the same for
   the held-out part alone (drawn and labelled after the parser was fitted to the rest).
2. The 5,971 real ``cables.csv`` rows (``cables-dump-rows.csv.xz``): ID, creation time,
   origin and classification against the row's own columns; and the recall of references
   against WikiLeaks' own referenced-IDs column (column 6), counting the IDs of that column
   whose number stands in the cable's REF lines (found here with a pattern of our own, not
   the parser's), with the misses listed (``--misses``).

    .venv/bin/python bench/accuracy.py [--misses] [--corpus ../shared/corpus]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from tests.gold.score import (  # noqa: E402
    FIELDS,
    HELD_OUT,
    load_gold,
    read_sources,
    score,
    score_csv,
)


def gold(misses: bool, corpus: Path) -> None:
    cables = load_gold()
    if not cables:
        print("gold set: no cables in tests/gold/cables")
        return
    parsed = read_sources(cables, corpus)
    held = [g for g in cables if g["drawn"] == HELD_OUT]
    parts = [("gold set", cables)] + ([("of which held out", held)] if held else [])
    for label, chosen in parts:
        shares, missed = score(chosen, parsed)
        print(f"{label}: {len(chosen)} cables labelled by reading them")
        for name in FIELDS:
            wrong = sum(1 for m in missed if m.field == name)
            print(f"  {name:<15} {shares[name]:7.1%}  ({wrong} wrong)")
        if misses and chosen is cables:
            for m in missed:
                print(f"    {m.id} {m.field}: parsed {m.got!r}; gold {m.want!r}")


def csv_rows(misses: bool, corpus: Path) -> None:
    started = time.perf_counter()
    out = score_csv(corpus)
    seconds = time.perf_counter() - started
    print(f"cables.csv rows: {out.rows:,} read in {seconds:.1f} s")
    print(
        f"  ID, created, origin, classification: {out.right_metadata / max(out.rows, 1):.2%} right"
    )
    print(
        f"  references of column 6 whose number is in the REF lines: {out.expected:,}; "
        f"{out.column_wrong:,} of them with another year than the REF line states or than the "
        f"numbering allows (column 6 wrong); {out.not_ids:,} entries of column 6 no cable ID "
        "or the cable itself"
    )
    judged = out.expected - out.column_wrong
    print(f"  recall: {out.found:,} of {judged:,} found ({out.recall:.2%})")
    if misses:
        for item in out.wrong + out.lost + out.junk:
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
