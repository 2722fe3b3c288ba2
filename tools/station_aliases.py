"""Propose station aliases from the release's own reference IDs, for review.

Reads ``metadata/cable2month.csv.gz`` (the 251,287 IDs of the whole release), folds each ID
with :func:`cablegate.parse.canonical_id`, and for every station spelling that is not a known
station prints the known station nearest to it (edit distance: one edit for short names,
two for longer ones, a unique nearest), with how many IDs use the spelling. A spelling with
no near station, used by several IDs, is likely a real post missing from ``stations.txt``.
The reviewed result is ``src/cablegate/data/station_aliases.txt``.

    .venv/bin/python tools/station_aliases.py [../shared/corpus/metadata/cable2month.csv.gz]
"""

from __future__ import annotations

import collections
import gzip
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from cablegate.parse.ids import canonical_id, split_id, stations  # noqa: E402


def distance(a: str, b: str) -> int:
    """Optimal string alignment distance (a few hundred short names: no library needed)."""
    d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(
                d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1])
            )
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[-1][-1]


def main() -> None:
    path = Path(
        sys.argv[1]
        if len(sys.argv) > 1
        else ROOT.parent / "shared/corpus/metadata/cable2month.csv.gz"
    )
    unknown: collections.Counter[str] = collections.Counter()
    with gzip.open(path, "rt") as lines:
        for line in lines:
            parts = split_id(canonical_id(line.split(",")[0]))
            if parts and parts[1] not in stations():
                unknown[parts[1]] += 1
    known = sorted(stations())
    for spelling, count in unknown.most_common():
        limit = 1 if len(spelling) <= 5 else 2
        near = sorted(
            (distance(spelling, s), s) for s in known if abs(len(s) - len(spelling)) <= limit
        )
        best = [s for d, s in near if d == near[0][0] and d <= limit] if near else []
        print(f"{spelling:<20} {count:>4}  {best[0] if len(best) == 1 else '?':<16} {near[:2]}")


if __name__ == "__main__":
    main()
