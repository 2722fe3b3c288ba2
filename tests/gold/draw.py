"""Draw the cables of the gold set and write each one's text for the people labelling it.

The gold set (``tests/gold/cables/<ID>.json``) is written by reading cables, not by running
the parser; this script only chooses which cables and lays their raw text out to be read:
the source's own metadata, then the telegram's header box and body box exactly as the
source holds them. It never calls a field parser.

Drawn with a fixed seed, so the same corpus gives the same set:

- site pages (``cablegate-site.tar.xz``): up to 8 a decade before 1990, then by year ranges,
  one cable per origin at most within a range where the range has enough origins;
- rows of the real ``cables.csv`` (``cables-dump-rows.csv.xz``), by year of creation;
- odd layouts, found by a pattern each (a page marker after the subject, the subject on the
  line after ``SUBJECT:``, several ``REF`` labels on one line, ``classified by`` over two
  lines, trailer lines after the signature, ``Summary/Comment``, a ``====`` rule, glued
  reference IDs, lower-case tags ...), a few of each.

    .venv/bin/python tests/gold/draw.py [OUT] [--held-out]   (default /tmp/gold-src)
"""

from __future__ import annotations

import html
import io
import lzma
import random
import re
import sys
import tarfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "corpus"
SEED = 2010

_PRE = re.compile(rb"<pre>(.*?)</pre>", re.S)
_META = re.compile(rb"<table class=['\"]cable['\"]>(.*?)</table>", re.S)
_TAG = re.compile(r"<[^>]+>")

ODD = {
    "page marker after the subject": r"SUBJECT:[^\n]*\n[^\n]*\d{8}\s+\d{3}(?:\.\d)?\s+OF\s+\d{3}",
    "subject on the next line": r"SUBJECT:\s*\n\s*\S",
    "TAGS and subject on one line": r"TAGS:[^\n]*SUBJ",
    "several REF labels on a line": r"REF[^\n]*\bA\.?[:)][^\n]*\bB\.?[:)]",
    "references joined by AND": r"REFS?:[^\n]*\d{3,}\s+AND\s+\d{3,}",
    "a glued reference": r"REFS?:[^\n]*\b\d{2}[A-Z]{4,}\s?\d{3,}",
    "a year after a reference": r"REFS?:[^\n]*[A-Z]+\s+\d{2,6}\s*(?:\(\d{2}\)|/\d{2}\b|-\d{2}\b)",
    "classified by over two lines": r"(?i)classified by:?[^\n]{0,60}\n[^\n]{0,60}reasons?",
    "classified by with an office": r"(?i)classified by:?\s*(?:A/|P/|[A-Z]{2,5}/)",
    "classified by with reason letters": (
        r"(?i)classified by[^\n]*1\.[45]\s*\(?[a-h]\)?\s*,\s*\(?[a-h]"
    ),
    "trailer after the signature": r"\n\s*(?:NNNN|v1\.6\.2|##|\d{4}[A-Z]{4,}\d{5} - [A-Z]+)\s*$",
    "summary and comment": r"(?i)summary\s*(?:/|and)\s*comment\s*:",
    "summary under a rule": r"SUMMARY\s*\n\s*={3,}|={3,}\s*\n\s*SUMMARY",
    "lower-case tags": r"TAGS:[^\n]*\b[a-z]{4}\b",
    "TAGS over two lines": r"TAGS:[^\n]*\n\s+[A-Z]{4}\s+[A-Z]{2,4}\s*\n\s*SUBJ",
    "a table of contents after the summary": r"(?i)summary[^\n]*\n[^\n]*contents",
}


def site_pages() -> list[dict]:
    """Every cable page, as (ID, year, origin, metadata text, header, body, member)."""
    found = []
    with tarfile.open(CORPUS / "cablegate-site.tar.xz", "r|*") as tar:
        for member in tar:
            if not (member.isfile() and member.name.endswith(".html")):
                continue
            data = tar.extractfile(member).read()  # type: ignore[union-attr]
            boxes = [_text(b) for b in _PRE.findall(data)]
            meta = _META.search(data)
            meta_text = re.sub(r"\s+", " ", _text(meta.group(1))) if meta else ""
            year = int(member.name.split("/")[-3])
            found.append(
                {
                    "id": Path(member.name).stem,
                    "year": year,
                    "origin": _origin(meta_text),
                    "meta": meta_text,
                    "header": boxes[0] if boxes else "",
                    "body": boxes[1] if len(boxes) > 1 else "",
                    "source": f"cablegate-site.tar.xz!{member.name}",
                }
            )
    return found


def _text(raw: bytes) -> str:
    text = _TAG.sub("", raw.decode("utf-8", "replace").replace("&#x000A;", "\n"))
    return html.unescape(text)


def _origin(meta: str) -> str:
    m = re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} \S+ (.*)$", meta)
    return m.group(1) if m else ""


def csv_rows() -> list[dict]:
    """Every row of the real cables.csv rows (the reader's own row splitter, no parsing)."""
    sys.path.insert(0, str(ROOT / "src"))
    from cablegate.readers.cables_csv import _UNESCAPE, _split_fields, iter_rows

    found = []
    with lzma.open(CORPUS / "cables-dump-rows.csv.xz") as raw:
        for line, record in iter_rows(io.BufferedReader(raw)):  # type: ignore[arg-type]
            fields, _ = _split_fields(record.decode("utf-8", "replace"))
            if len(fields) != 8:
                continue
            row, created, ref_id, origin, classification, refs, header, content = (
                _UNESCAPE.sub(r"\1", f) for f in fields
            )
            found.append(
                {
                    "id": ref_id,
                    "year": int(created.split()[0].split("/")[-1]),
                    "origin": origin,
                    "meta": f"row {row}; created {created}; {ref_id}; {origin}; "
                    f"{classification}; referenced IDs (column 6): {refs or '-'}",
                    "header": header,
                    "body": content,
                    "source": f"cables-dump-rows.csv.xz:{line}",
                }
            )
    return found


def spread(pool: list[dict], count: int, rng: random.Random) -> list[dict]:
    """``count`` cables of a pool, as many different origins as there are."""
    by_origin: dict[str, list[dict]] = defaultdict(list)
    for cable in pool:
        by_origin[cable["origin"]].append(cable)
    origins = sorted(by_origin)
    rng.shuffle(origins)
    chosen = []
    while len(chosen) < count and origins:
        for origin in list(origins):
            cables = by_origin[origin]
            if not cables:
                origins.remove(origin)
                continue
            chosen.append(cables.pop(rng.randrange(len(cables))))
            if len(chosen) == count:
                break
    return chosen


SITE_RANGES = [
    (1960, 1969, 4),
    (1970, 1979, 8),
    (1980, 1989, 8),
    (1990, 1999, 12),
    (2000, 2003, 14),
    (2004, 2005, 18),
    (2006, 2006, 16),
    (2007, 2007, 18),
    (2008, 2008, 20),
    (2009, 2010, 22),
]
CSV_RANGES = [(1985, 2000, 8), (2001, 2002, 14), (2003, 2003, 12), (2004, 2005, 16)]


def draw() -> list[dict]:
    rng = random.Random(SEED)
    pages, rows = site_pages(), csv_rows()
    pages.sort(key=lambda c: c["id"])
    rows.sort(key=lambda c: (c["id"], c["source"]))
    chosen: list[dict] = []
    for low, high, count in SITE_RANGES:
        chosen += spread([c for c in pages if low <= c["year"] <= high], count, rng)
    taken = {c["id"] for c in chosen}
    rows = [r for r in rows if r["id"] not in taken]
    for low, high, count in CSV_RANGES:
        chosen += spread([c for c in rows if low <= c["year"] <= high], count, rng)
    taken = {c["id"] for c in chosen}
    for label, pattern in ODD.items():
        regex = re.compile(pattern)
        fits = [c for c in pages + rows if c["id"] not in taken and regex.search(c["body"])]
        for cable in rng.sample(fits, min(3, len(fits))):
            cable["why"] = label
            chosen.append(cable)
            taken.add(cable["id"])
    return chosen


def held_out(count: int = 60) -> list[dict]:
    """A second draw, at random from both sources (another seed), of cables not in the
    first: labelled after the parser was tuned on the first, to measure it on cables it was
    never fitted to."""
    first = {c["id"] for c in draw()}
    rng = random.Random(SEED + 1)
    pages = sorted((c for c in site_pages() if c["id"] not in first), key=lambda c: c["id"])
    rows = sorted((c for c in csv_rows() if c["id"] not in first), key=lambda c: c["id"])
    chosen = rng.sample(pages, count * 2 // 3) + rng.sample(rows, count - count * 2 // 3)
    for cable in chosen:
        cable["why"] = "held out, at random"
    return chosen


def main() -> None:
    args = [a for a in sys.argv[1:] if a != "--held-out"]
    out = Path(args[0] if args else "/tmp/gold-src")
    out.mkdir(parents=True, exist_ok=True)
    for cable in held_out() if "--held-out" in sys.argv else draw():
        (out / f"{cable['id']}.txt").write_text(
            f"SOURCE: {cable['source']}\n"
            f"DRAWN: {cable.get('why', 'at random')}\n"
            f"METADATA: {cable['meta']}\n"
            f"===== HEADER BOX =====\n{cable['header']}\n"
            f"===== BODY BOX =====\n{cable['body']}\n",
            encoding="utf-8",
        )
        print(cable["id"], cable.get("why", ""))


if __name__ == "__main__":
    main()
