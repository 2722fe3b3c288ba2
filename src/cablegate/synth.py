"""Synthetic collections at any scale, shaped like the real release.

IDs and creation months come from ``metadata/cable2month.csv.gz`` (all 251,287 cables of the
full release); classifications follow the release's published totals; the text is recombined
from real cables: the opening (classification line, TAGS, SUBJECT, REF) of one real cable and
the numbered paragraphs of another, with the new ID, date and classification written in.

Beyond the release's 251,287 cables a collection grows as WikiLeaks' Public Library of US
Diplomacy (PlusD) did, with the 1970s cables of State's archive (:data:`PLUSD_YEARS`): each
takes the station and month of a cable of the release drawn at random (so posts and seasons
follow the real distribution), a year drawn by the size of those collections, and the next
number of that station in that year. ``cables(n)`` for a smaller ``n`` is a prefix of the
same call for a larger one, so a benchmark can measure a curve (250k, 500k, 1M ...) of one
collection. Everything is made one cable at a time: nothing holds the collection.
"""

from __future__ import annotations

import datetime as dt
import gzip
import itertools
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

PLUSD_YEARS = {
    1973: 426_875,
    1974: 426_875,
    1975: 426_875,
    1976: 426_875,
    1977: 367_174,
    1978: 500_577,
    1979: 531_525,
}
"""Records per year of PlusD's 1970s collections, the weights of the years a collection
larger than the release is extended with: the Kissinger Cables (2013, 1,707,500 records of
1973-1976, spread evenly here as their split by year is not given), the Carter Cables (2014,
367,174 of 1977; with them and the release PlusD held 2,325,961 records), Carter II (2015,
1978) and Carter III (2016, 1979)."""
PLUSD_SIZE = 2_325_961
"""Records PlusD held with the release, the Kissinger and the first Carter cables."""

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
        self.seed = seed
        self.random = random.Random(seed)
        self.origins: dict[str, str] = {}
        for t in templates:
            parts = split_id(t.canonical_id)
            if parts and t.origin:
                self.origins.setdefault(parts[1], t.origin)
        self.levels = list(RELEASE_CLASSIFICATIONS)
        self.weights = list(RELEASE_CLASSIFICATIONS.values())

    def pick(self, count: int) -> Iterator[tuple[str, int]]:
        """``count`` IDs with their months: the release's own (a sample in file order, or
        all of them), then as many 1970s cables as it takes (:data:`PLUSD_YEARS`)."""
        if count < len(self.months):
            chosen = sorted(self.random.sample(range(len(self.months)), count))
            yield from (self.months[i] for i in chosen)
            return
        yield from self.months
        yield from itertools.islice(self.extension(), count - len(self.months))

    def extension(self) -> Iterator[tuple[str, int]]:
        """1970s cables, without end: (reference ID, month), IDs unique and new to the
        release."""
        rnd = random.Random(f"plusd-{self.seed}")  # apart: the texts' draws stay as they were
        taken = {ref for ref, _ in self.months}
        years, weights = list(PLUSD_YEARS), list(PLUSD_YEARS.values())
        numbers: dict[tuple[int, str], int] = {}
        while True:
            model, month = self.months[rnd.randrange(len(self.months))]
            parts = split_id(model)
            if parts is None:  # (a few of the release's IDs name no station)
                continue
            year, station = rnd.choices(years, weights)[0], parts[1]
            number = numbers.get((year, station), 0) + rnd.randint(1, 3)
            numbers[(year, station)] = number
            ref_id = f"{year % 100:02d}{station}{number}"
            if ref_id not in taken:
                yield ref_id, month

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
