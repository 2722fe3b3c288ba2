"""Reader and writer of the plain-text export (seed ``000_6b405a9335b029f2.txt``).

Layout: reference ID, subject, date (``Sat Jan 03 00:00:00 +0100 2009``), classification and
origin on five lines, then the header box and the body box, joined with no separator.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re

from cablegate.errors import ReadError
from cablegate.model import CLASSIFICATIONS, Cable, Provenance
from cablegate.parse import normalise_classification, parse_cable
from cablegate.parse.header import parse_transmission
from cablegate.readers.decoding import drop_nuls

FORMAT = "text-export"
_ID_LINE = re.compile(r"[0-9]{2}[0-9A-Z\-]{3,60}")
DATE_FORMAT = "%a %b %d %H:%M:%S %z %Y"
#: Where the body box starts: its classification line, spaced or not.
_BODY_START = re.compile(
    r"(?:(?:[A-Z] ){3,}[A-Z]\b"
    r"|(?:UNCLAS(?:SIFIED)?|CONFIDENTIAL|SECRET|LIMITED OFFICIAL USE)\b"
    r"(?=[ \t]+(?:SECTION|E F T O|EFTO|[A-Z][A-Z ]*\d|STATE|NOFORN|SIPDIS|FOR\b|\S+[ \t]*\n)))"
)


def looks_like(head: str) -> bool:
    """Whether the start of a document has the export's five metadata lines."""
    lines = head.split("\n", 5)
    if len(lines) < 5 or not _ID_LINE.fullmatch(lines[0].strip()):
        return False
    try:
        dt.datetime.strptime(lines[2].strip(), DATE_FORMAT)
    except ValueError:
        return False
    return normalise_classification(lines[3]) in CLASSIFICATIONS


_WEEKDAY_LINE = (
    r"(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day, \d{1,2} (?:January|February|March|April|May"
    r"|June|July|August|September|October|November|December) \d{4}, \d\d:\d\d\n"
)


def _preambles(ref_id: str) -> re.Pattern[str]:
    """Lines that some sources put at the top of the body box, before its classification
    line: a dateline (``Friday, 05 February 2010, 15:09``), ``Cable dated:...``, or the fields
    of the cable's own ``cables.csv`` row (row number, date, this ID)."""
    cid = re.escape(ref_id)
    return re.compile(
        rf"{_WEEKDAY_LINE}"
        r"|Cable dated:\d{4}-\d\d-\d\dT"
        rf"|(?:(?P<row>\d+)[\t\n])?\d{{4}}-\d\d-\d\d(?: \d\d:\d\d:\d\d)?[\t\n]+{cid}[\t\n]"
        rf"|(?P<csv>\d+),\d{{1,2}}/\d{{1,2}}/\d{{4}} \d{{1,2}}:\d\d,{cid},"
        rf"|id: \d+\ndate: [^\n]*\nrefid: {cid}\n"
    )


def _row_number_start(text: str, m: re.Match[str]) -> int:
    """Where a cables.csv row number glued to the header's last line starts: after the
    header's last number: a four-digit message serial (``... MONTERREY 8713`` + ``174082``) or
    a date-time group's year (``292031Z Sep 05`` + ``41662``)."""
    group = "row" if m.group("row") is not None else "csv" if m.group("csv") else None
    if group is None:
        return m.start()
    start, digits = m.start(group), m.group(group)
    before = text[:start]
    if re.search(r"\d{6}Z [A-Z][A-Za-z]{2} $", before):  # a date-time group: ``Sep 05``
        keep = 2
    elif before.endswith(" "):  # a routing line's message serial: ``MONTERREY 8713``
        keep = 4
    else:
        keep = 0
    return start + keep if len(digits) > keep else start


def split_boxes(text: str, ref_id: str | None = None) -> tuple[str, str]:
    """Split the joined header and body boxes where the body starts: at its classification
    line, or at a preamble before it (see :func:`_preambles`) when the cable's ID is known."""
    dtg = re.search(r"(?m)^[ \t]*(?:[A-Z](?: [A-Z])?[ \t]+)?\d{6}Z[ \t]+[A-Z]{3}", text)
    search_from = dtg.end() if dtg else 0
    starts = [m.start() for m in [_BODY_START.search(text, search_from)] if m]
    if ref_id and (m := _preambles(ref_id).search(text)):
        starts.append(_row_number_start(text, m))
    if starts:
        at = min(starts)
        return text[:at], text[at:]
    if dtg is None:
        return "", text
    blank = text.find("\n\n", search_from)
    return (text[:blank], text[blank + 2 :]) if blank != -1 else (text, "")


def read_text_export(data: bytes, path: str) -> Cable:
    """Parse one plain-text export. Raises :class:`ReadError` when it is not one."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        reason = f"text export is not UTF-8 ({exc.reason} at byte {exc.start})"
        raise ReadError(path, reason) from None
    warnings: list[str] = []
    text = drop_nuls(text, warnings).replace("\r\n", "\n")
    lines = text.split("\n", 5)
    if len(lines) < 5:
        raise ReadError(path, "text export needs five metadata lines, found fewer")
    ref_id, subject, date_text, classification, origin = (ln.strip() for ln in lines[:5])
    if not _ID_LINE.fullmatch(ref_id):
        raise ReadError(path, f"first line {ref_id[:40]!r} is not a reference ID")
    try:
        written = dt.datetime.strptime(date_text, DATE_FORMAT)
    except ValueError:
        raise ReadError(path, f"third line {date_text[:40]!r} is not a date") from None
    header, body = split_boxes(lines[5] if len(lines) > 5 else "", ref_id)
    created, precision = _created(written, date_text, header)
    return parse_cable(
        ref_id,
        header,
        body,
        created=created,
        created_precision=precision,
        classification=classification,
        origin=origin,
        subject=subject,
        provenance=Provenance(format=FORMAT, path=path, sha256=hashlib.sha256(data).hexdigest()),
        warnings=warnings,
    )


def _created(written: dt.datetime, text: str, header: str) -> tuple[dt.datetime, str]:
    """The creation time a file's third line means. The export writes the creation *date*
    at local midnight (``Sat Jan 03 00:00:00 +0100 2009``): that is the date, not the
    instant 23:00 UTC the day before; the telegram's date-time group (``030207Z JAN 09``)
    gives its time when it falls on that date or next to it. Midnight in UTC written
    ``+0000`` and any other time are instants; ``-0000`` (RFC 2822's "no zone") is how
    :func:`cablegate.writers.write_text_export` writes a date known only to the day."""
    offset = written.utcoffset()
    if written.time() != dt.time(0, 0) or (offset == dt.timedelta(0) and "-0000" not in text):
        return written.astimezone(dt.UTC), "minute"
    day = written.date()
    dtg = parse_transmission(header).dtg_datetime
    if dtg is not None and abs((dtg.date() - day).days) <= 1:
        return dtg, "minute"
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC), "day"
