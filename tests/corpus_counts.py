"""The real corpus counted from its files alone, with the standard library (tarfile, lzma,
html, regexes) and never with cablegate's readers: what reading or ingesting it must give.

Where the cables are comes from the corpus README: every ``.html`` member of the three page
archives is a Cable Viewer cable page, every row of the two ``cables.csv`` files is a cable, each
PDF of ``pdf/``, each non-empty telegram text of ``pdf/pdftotext/`` and each page of ``plusd/``
is one cable (named by its reference ID), each seed is one cable; every other file or archive
member is no cable."""

from __future__ import annotations

import functools
import hashlib
import html
import lzma
import re
import tarfile
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

PAGE_ARCHIVES = (
    "cablegate-site.tar.xz",
    "cablegate-versions.tar.xz",
    "httrack-mirror-sample.tar.xz",
)
CSV_FILES = ("cables-sample.csv", "cables-dump-rows.csv.xz")
NAMED_BY_ID = (re.compile(r"pdf/[^/]+\.pdf"), re.compile(r"pdf/pdftotext/[^/]+\.txt"))
"""Cables in a file of their own named by reference ID (README): PDFs and telegram texts."""
PLUSD = re.compile(r"plusd/(\d{4})([A-Z]+?)0*(\d+)\.html")
"""PlusD pages, named by PlusD's ID: four-digit year, padded number (``1974ATHENS02959``)."""
# Every other file is no cable (assets, metadata lists, robots.txt, pages that are no cable
# page, empty files): skipped with the reason. None of the corpus's other files looks like a
# cable that cannot be read, so nothing is quarantined.

# A page's cable ID: the file name (``<ID>.html``, HTTrack variants ``<ID>__<hash>.html``) or the
# folder of its versions (``versions/<ID>/<n>-released-....html``).
_PAGE_ID = re.compile(r"(?:^|/)(\d\d[A-Z][A-Z0-9-]*?\d+)(?:__[0-9a-f]+)?(?:\.html$|/)")
# A cables.csv row starts a line with its quoted row number and created time (README: one row
# lacks its closing quote, so rows are found by their start, not by the csv module).
_ROW = re.compile(rb'^"(\d+)","\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d\d","([^"]*)",', re.M)
_FIELD = re.compile(r'"((?:[^"\\]|\\.)*)",')
_PRE = re.compile(r"<pre[^>]*>(.*?)</pre>", re.S | re.I)
_TAG = re.compile(r"<[^>]*>")
_VIEWING = re.compile(r"Viewing cable (\S+),")
# Reference IDs in the wild with noise inside (README): ``08SCTION02OF02SAOPAULO335``,
# ``85NOFORNMOGADISHU1643``, ``07IRANRPODUBAI18``, ``09EFTOLONDON2187``, ``7575LIBREVILLE1895``.
_NOISY_ID = re.compile(r"(\d\d)(?:\1)?(?:S?E?CTION\d+OF\d+|NOFORN|EFTO|IRAN(?=RPO))?(.+)")
KEPT_APART: frozenset[str] = frozenset()
"""Noisy IDs the readers do not merge (none now: ``08ECTION01OF02MANAMA492``, whose section
marker lost its S, folds into 08MANAMA492 like the others)."""
MISSPELT = {"09QRIPOLI583": "09TRIPOLI583"}
"""IDs of the corpus whose station is misspelt (a garbled letter), read by eye: the page of
09SECTION02OF03QRIPOLI583 is cable 09TRIPOLI583, which the corpus also holds."""


def canonical(reference_id: str) -> str:
    m = _NOISY_ID.fullmatch(reference_id)
    folded = reference_id if not m or reference_id in KEPT_APART else m.group(1) + m.group(2)
    return MISSPELT.get(folded, folded)


def _digest(header: str, body: str) -> str:
    """A version is the header and body text exactly as published."""
    text = f"{header}\0{body}".replace("\r\n", "\n")
    return hashlib.sha256(text.encode()).hexdigest()


def _page_text(data: bytes) -> str:
    """Header and body box of a page: its first and last ``<pre>``, tags dropped, unescaped."""
    try:
        page = data.decode("utf-8")
    except UnicodeDecodeError:
        page = data.decode("latin-1")
    boxes = [html.unescape(_TAG.sub("", pre)) for pre in _PRE.findall(page)]
    assert boxes, "a cable page without <pre> boxes"
    return _digest(boxes[0] if len(boxes) > 1 else "", boxes[-1])


def _csv_rows(data: bytes) -> Iterator[tuple[str, str]]:
    """(reference ID, text digest) of each row, rows split at their starts."""
    starts = list(_ROW.finditer(data))
    for i, start in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(data)
        record = data[start.start() : end].decode("utf-8").rstrip("\r\n")
        fields, pos = [], 0
        while len(fields) < 7 and (m := _FIELD.match(record, pos)):
            fields.append(m.group(1))
            pos = m.end()
        assert len(fields) == 7 and record.startswith('"', pos), record[:200]
        content = record[pos + 1 :]
        # The last field ends with a quote, except in the one broken row.
        if content.endswith('"') and not content.endswith('\\"'):
            content = content[:-1]
        header, content = (re.sub(r"\\(.)", r"\1", f, flags=re.S) for f in (fields[6], content))
        yield start.group(2).decode(), _digest(header, content)


@dataclass
class Counts:
    pages: dict[str, int] = field(default_factory=dict)
    """Cable pages per page archive."""
    rows: dict[str, int] = field(default_factory=dict)
    """Rows per cables.csv file."""
    seeds: int = 0
    files: int = 0
    """PDFs, telegram texts and PlusD pages."""
    texts: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    """Distinct texts of each cable, by canonical ID."""
    skipped: list[str] = field(default_factory=list)
    quarantined: list[str] = field(default_factory=list)

    @property
    def documents(self) -> int:
        """Cable documents: pages, rows, files of one cable and seeds."""
        return sum(self.pages.values()) + sum(self.rows.values()) + self.seeds + self.files

    @property
    def cables(self) -> int:
        return len(self.texts)

    @property
    def versions(self) -> int:
        """Distinct texts of all cables (the first version of each included)."""
        return sum(len(t) for t in self.texts.values())

    def secretary_of_state(self) -> int:
        """Cables sent by the Secretary of State: the sender is in the ID (``09STATE314``)."""
        return sum(1 for cable_id in self.texts if re.fullmatch(r"\d\dSTATE\d.*", cable_id))

    def _other(self, name: str) -> None:
        self.skipped.append(name)

    def _own_file(self, cable_id: str, name: str) -> None:
        """A cable in a file of its own: a text no other source has (its own layout)."""
        self.texts[canonical(cable_id)].add(f"file:{name}")
        self.files += 1


def own_file_id(name: str) -> str | None:
    """The reference ID a PDF, telegram text or PlusD page is named by (None for others)."""
    if any(p.fullmatch(name) for p in NAMED_BY_ID):
        return canonical(Path(name).stem)
    if m := PLUSD.fullmatch(name):
        year, station, number = m.groups()
        return f"{year[2:]}{station}{int(number)}"
    return None


@functools.cache
def count(corpus: Path, seeds: Path | None = None) -> Counts:
    """Count the corpus folder (and the seeds folder, if given)."""
    counts = Counts()
    for path in sorted(p for p in corpus.rglob("*") if p.is_file()):
        name = path.relative_to(corpus).as_posix()
        if name in PAGE_ARCHIVES:
            counts.pages[name] = 0
            with tarfile.open(path, "r|*") as tar:
                for member in tar:
                    if not member.isfile():
                        continue
                    if not member.name.endswith(".html"):
                        counts._other(f"{name}!{member.name}")
                        continue
                    m = _PAGE_ID.search(member.name)
                    assert m, member.name
                    fileobj = tar.extractfile(member)
                    assert fileobj is not None
                    counts.texts[canonical(m.group(1))].add(_page_text(fileobj.read()))
                    counts.pages[name] += 1
        elif name in CSV_FILES:
            data = lzma.decompress(path.read_bytes()) if name.endswith(".xz") else path.read_bytes()
            counts.rows[name] = 0
            for reference_id, text in _csv_rows(data):
                counts.texts[canonical(reference_id)].add(text)
                counts.rows[name] += 1
        elif name.endswith(".tar.xz"):
            with tarfile.open(path) as tar:
                for member in tar.getmembers():
                    if member.isfile():
                        counts._other(f"{name}!{member.name}")
        elif (cable_id := own_file_id(name)) and path.stat().st_size:
            counts._own_file(cable_id, name)
        elif name.endswith(".gz"):
            counts._other(name.removesuffix(".gz"))  # read as the file it holds
        else:
            counts._other(name)
    for path in sorted(seeds.iterdir()) if seeds else []:
        # A seed is one cable: a text export (its ID on the first line) or a page as a reader
        # sees it ("Viewing cable <ID>, ..."). Neither is a copy of the <pre> boxes of a page
        # (the export joins both boxes, the browser renders them): each is a text of its own.
        text = path.read_text(encoding="utf-8")
        m = _VIEWING.search(text)
        reference_id = m.group(1) if m else text.split("\n", 1)[0].strip()
        counts.texts[canonical(reference_id)].add(hashlib.sha256(text.encode()).hexdigest())
        counts.seeds += 1
    return counts


@functools.cache
def site_cables(corpus: Path) -> int:
    """Distinct cables of ``cablegate-site.tar.xz`` alone (6,712 pages; garbled IDs such as
    ``08SCTION02OF02SAOPAULO335`` are copies of cables the archive also holds)."""
    with tarfile.open(corpus / "cablegate-site.tar.xz", "r|*") as tar:
        ids = {
            canonical(m.group(1))
            for member in tar
            if member.isfile() and (m := _PAGE_ID.search(member.name))
        }
    return len(ids)
