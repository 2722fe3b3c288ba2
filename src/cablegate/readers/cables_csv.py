"""Streaming reader for ``cables.csv``, the 2011 dump of the whole release (1.7 GB).

Columns: row number, created (``M/D/YYYY H:MM``), reference ID, origin, classification,
referenced IDs (``|``-separated), header, content. Quotes inside fields are escaped with a
backslash rather than doubled, so the ``csv`` module cannot read it; and one real row lacks its
closing quote. Rows are found by their start (``"8189","5/20/2003 20:35","``), so one broken
row never swallows the next.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Iterator

from cablegate.errors import ReadError
from cablegate.model import Cable, Provenance
from cablegate.parse import parse_cable
from cablegate.readers.decoding import drop_nuls

FORMAT = "cables-csv"
_ROW_START = re.compile(rb'^"(\d+)","(\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d{2})","')
_ROW_STARTS = re.compile(_ROW_START.pattern, re.M)
_FIELD = re.compile(r'"([^"\\]*(?:\\.[^"\\]*)*)"(,|\s*$)', re.S)
_UNESCAPE = re.compile(r"\\([\"'\\])")
_COLUMNS = 8


def looks_like(head: bytes) -> bool:
    """Whether a document starts like a ``cables.csv`` row."""
    return bool(_ROW_START.match(head.lstrip(b"\xef\xbb\xbf")))


def _split_fields(record: str) -> tuple[list[str], bool]:
    """The row's fields and whether its last quote was missing."""
    fields: list[str] = []
    pos = 0
    while len(fields) < _COLUMNS:
        m = _FIELD.match(record, pos)
        if m:
            fields.append(m.group(1))
            pos = m.end()
            if m.group(2) != ",":
                break
            continue
        if len(fields) == _COLUMNS - 1 and record.startswith('"', pos):
            # The last field lacks its closing quote: take the rest of the row.
            fields.append(record[pos + 1 :].rstrip("\n"))
            return fields, True
        break
    return fields, False


def parse_row(record: str, path: str, line: int) -> Cable:
    """Parse one whole row (its text, newlines included)."""
    where = f"{path}:{line}"
    warnings: list[str] = []
    fields, unterminated = _split_fields(drop_nuls(record, warnings))
    if len(fields) != _COLUMNS:
        raise ReadError(
            where, f"row has {len(fields)} readable fields, expected {_COLUMNS} (broken quoting)"
        )
    row, created_text, ref_id, origin, classification, _refs, header, content = (
        _UNESCAPE.sub(r"\1", f) for f in fields
    )
    try:
        created = dt.datetime.strptime(created_text, "%m/%d/%Y %H:%M").replace(tzinfo=dt.UTC)
    except ValueError:
        raise ReadError(where, f"created {created_text!r} is not M/D/YYYY H:MM") from None
    if not re.fullmatch(r"[0-9]{2}[0-9A-Z\-]{3,60}", ref_id):
        raise ReadError(where, f"reference ID {ref_id[:40]!r} is malformed")
    if unterminated:
        warnings.append(f"{where}: content field has no closing quote; read up to the next row")
    return parse_cable(
        ref_id,
        header,
        content,
        created=created,
        classification=classification,
        origin=origin,
        provenance=Provenance(
            format=FORMAT,
            path=path,
            sha256=hashlib.sha256(record.encode("utf-8")).hexdigest(),
            row=int(row),
        ),
        warnings=warnings,
    )


def iter_rows(chunks: Iterable[bytes]) -> Iterator[tuple[int, bytes]]:
    """Group a CSV byte stream (lines or blocks of any size) into whole rows:
    (first line number, row bytes). A row starts at a line that starts like a row."""
    parts: list[bytes] = []
    start = line = 1
    tail = b""
    first = True
    for chunk in chunks:
        if first and chunk:
            chunk, first = chunk.removeprefix(b"\xef\xbb\xbf"), False
        tail += chunk
        cut = tail.rfind(b"\n") + 1
        if not cut:
            continue
        region, tail = tail[:cut], tail[cut:]
        pos = 0
        for m in _ROW_STARTS.finditer(region):
            parts.append(region[pos : m.start()])
            here = line + region.count(b"\n", 0, m.start())
            row = b"".join(parts)
            if row:
                yield start, row
            parts, start, pos = [], here, m.start()
        parts.append(region[pos:])
        line += region.count(b"\n")
    parts.append(tail)
    row = b"".join(parts)
    if row:
        yield start, row


def read_cables_csv(lines: Iterable[bytes], path: str) -> Iterator[Cable | ReadError]:
    """Stream a ``cables.csv``: one :class:`Cable` per row, or a :class:`ReadError` for a row
    that cannot be read (the rest goes on). Memory stays at one row."""
    for line, raw in iter_rows(lines):
        where = f"{path}:{line}"
        if not _ROW_START.match(raw):
            yield ReadError(where, "text before the first row is not a cables.csv row")
            continue
        try:
            record = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield ReadError(where, f"row is not UTF-8 ({exc.reason} at byte {exc.start})")
            continue
        try:
            yield parse_row(record, path, line)
        except ReadError as exc:
            yield exc
