"""Synthetic collections at any scale, shaped like the real release.

IDs and creation months come from ``metadata/cable2month.csv.gz`` (all 251,287 cables of the
full release); classifications follow the release's published totals; the text is recombined
from real cables: the opening (classification line, TAGS, SUBJECT, REF) of one real cable and
the numbered paragraphs of another, with the new ID, date and classification written in.
"""

from __future__ import annotations

import datetime as dt
import gzip
import random
import re
from collections.abc import Iterator
from pathlib import Path

from cablegate.model import Cable
from cablegate.parse.ids import canonical_id, split_id
from cablegate.readers.collect import read_paths
from cablegate.writers import write_row, write_text_export

FORMATS = ("csv", "text")

RELEASE_CLASSIFICATIONS = {
    "UNCLASSIFIED": 75_792,
    "UNCLASSIFIED//FOR OFFICIAL USE ONLY": 58_095,
    "CONFIDENTIAL": 97_070,
    "CONFIDENTIAL//NOFORN": 4_678,
    "SECRET": 11_322,
    "SECRET//NOFORN": 4_330,
}
"""Cables per classification in the full release of 251,287."""

_SPACED = {
    "UNCLASSIFIED": "UNCLAS",
    "CONFIDENTIAL": "C O N F I D E N T I A L",
    "SECRET": "S E C R E T",
}
_FIRST_PARA = re.compile(r"^\s*¶?1\.\s", re.M)
_PILCROW = re.compile(r"^(\s*)¶(?=\d+\.)", re.M)
_DTG = re.compile(r"\b\d{6}Z [A-Z]{3} \d{2}\b")


def load_months(corpus: Path) -> list[tuple[str, int]]:
    """(reference ID, creation month 1-12) of every cable of the full release."""
    with gzip.open(corpus / "metadata" / "cable2month.csv.gz", "rt") as f:
        rows = [line.strip().split(",") for line in f if line.strip()]
    return [(ref, int(month)) for ref, month in rows]


def load_templates(corpus: Path) -> list[Cable]:
    """The real cables whose text is recombined."""
    return [c for c in read_paths([corpus / "cablegate-site.tar.xz"]) if isinstance(c, Cable)]


class Synthesizer:
    """Makes synthetic cables from real IDs, months and texts (deterministic per seed)."""

    def __init__(self, months: list[tuple[str, int]], templates: list[Cable], seed: int = 0):
        self.templates = [
            t for t in templates if _FIRST_PARA.search(t.body) and t.origin and not t.partial
        ]
        if not self.templates:
            raise ValueError("no template cables (with numbered paragraphs) to recombine")
        self.months = months
        self.random = random.Random(seed)
        self.origins: dict[str, str] = {}
        for t in templates:
            parts = split_id(t.canonical_id)
            if parts and t.origin:
                self.origins.setdefault(parts[1], t.origin)
        self.levels = list(RELEASE_CLASSIFICATIONS)
        self.weights = list(RELEASE_CLASSIFICATIONS.values())

    def pick(self, count: int) -> list[tuple[str, int]]:
        """``count`` IDs with their months (all of them, in file order, when count >= total)."""
        if count >= len(self.months):
            return list(self.months)
        chosen = sorted(self.random.sample(range(len(self.months)), count))
        return [self.months[i] for i in chosen]

    def cable(self, ref_id: str, month: int) -> Cable:
        rnd = self.random
        parts = split_id(ref_id)
        yy, station, number = parts if parts else ("10", "STATE", rnd.randrange(1, 99999))
        year = int(yy) + (1900 if int(yy) > 50 else 2000)
        created = dt.datetime(
            year, month, rnd.randint(1, 28), rnd.randrange(24), rnd.randrange(60), tzinfo=dt.UTC
        )
        level = rnd.choices(self.levels, self.weights)[0]
        opening, rest = rnd.choice(self.templates), rnd.choice(self.templates)
        head = opening.body[: _FIRST_PARA.search(opening.body).start()]  # type: ignore[union-attr]
        tail = rest.body[_FIRST_PARA.search(rest.body).start() :]  # type: ignore[union-attr]
        spaced = _SPACED[level.split("//")[0]]
        _, _, head_rest = head.lstrip("\n").partition("\n")
        body = _PILCROW.sub(r"\1", f"\n{spaced} {station} {number:06d} \n{head_rest}{tail}")
        dtg = created.strftime("%d%H%MZ %b %y").upper()
        header = _DTG.sub(dtg, opening.header, count=1)
        origin = self.origins.get(station) or f"Embassy {station.title()}"
        return Cable(
            reference_id=ref_id,
            canonical_id=canonical_id(ref_id),
            created=created,
            classification=level,
            origin=origin,
            subject=opening.subject,
            header=header,
            body=body,
            references=opening.references,
        )

    def cables(self, count: int) -> Iterator[Cable]:
        for ref_id, month in self.pick(count):
            yield self.cable(ref_id, month)


def write_synthetic(out: Path, cables: Iterator[Cable], fmt: str) -> int:
    """Write cables as one ``cables.csv`` (``csv``) or text-export files by month
    (``text``); returns how many."""
    out.mkdir(parents=True, exist_ok=True)
    n = 0
    if fmt == "csv":
        with (out / "cables.csv").open("w", encoding="utf-8", newline="") as f:
            for n, cable in enumerate(cables, 1):
                f.write(write_row(cable, n))
        return n
    if fmt == "text":
        for cable in cables:
            n += 1
            created = cable.created or dt.datetime(1970, 1, 1)
            folder = out / f"{created:%Y}" / f"{created:%m}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{cable.canonical_id}.txt").write_text(
                write_text_export(cable), encoding="utf-8"
            )
        return n
    raise ValueError(f"unknown synthetic format {fmt!r}; use one of {', '.join(FORMATS)}")
