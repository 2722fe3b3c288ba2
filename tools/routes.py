"""Derive the routing-indicator table (``RUEHFR`` -> ``AMEMBASSY PARIS``) from the release's
own telegram headers, for review.

A telegram names its sender's routing indicator on its ``DE`` line (``DE RUEHFR #1007
2051555``) and its sender on the ``FM`` line; its addressees appear as ``RUEHC/SECSTATE
WASHDC`` on the ``TO`` and ``INFO`` lines. Every such pair in the corpus's pages and cables.csv
rows is counted, and each indicator keeps the name most headers give it (names written with a
precedence or message number are cleaned first). The result is
``src/cablegate/data/routes.txt``, which the bare-telegram reader uses when a text has a
``DE`` line but no ``FM`` line.

    .venv/bin/python tools/routes.py [../shared/corpus] > src/cablegate/data/routes.txt
"""

from __future__ import annotations

import collections
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from cablegate.model import Cable  # noqa: E402
from cablegate.readers import read_paths  # noqa: E402

_DE = re.compile(r"(?m)^\s*DE\s+(R[A-Z]{3,6})\s+#")
_FM = re.compile(r"(?m)^\s*FM\s+(.+?)\s*$")
_ADDRESS = re.compile(r"(?m)(?:^|\s)(R[A-Z]{3,6})/([A-Z0-9][A-Z0-9 .,&()'/-]*?)\s*$")
_TAIL = re.compile(r"\s+(?:(?:NIACT\s+)?IMMEDIATE|PRIORITY|ROUTINE|FLASH|\d{1,5}|//.*)+$")


def clean(name: str) -> str:
    name = " ".join(name.split())
    while True:
        shorter = _TAIL.sub("", name)
        if shorter == name:
            return name
        name = shorter


def main() -> None:
    corpus = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT.parent / "shared" / "corpus")
    votes: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    inputs = [corpus / "cablegate-site.tar.xz", corpus / "cables-dump-rows.csv.xz"]
    for item in read_paths(inputs):
        if not isinstance(item, Cable):
            continue
        head = item.header or item.body[:3000]
        de, fm = _DE.search(head), _FM.search(head)
        if de and fm:
            votes[de.group(1)][clean(fm.group(1))] += 1
        for route, name in _ADDRESS.findall(head):
            votes[route][clean(name)] += 1
    print("# Routing indicator -> station, the name most of the release's headers give it.")
    print("# Made by tools/routes.py from the corpus's telegram headers; reviewed by hand.")
    for route in sorted(votes):
        name, count = votes[route].most_common(1)[0]
        if name and count >= 2:
            print(f"{route}\t{name}")


if __name__ == "__main__":
    main()
