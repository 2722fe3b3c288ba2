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

FORMAT = "text-export"
_ID_LINE = re.compile(r"[0-9]{2}[0-9A-Z\-]{3,60}")
_DATE_FORMAT = "%a %b %d %H:%M:%S %z %Y"
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
        dt.datetime.strptime(lines[2].strip(), _DATE_FORMAT)
    except ValueError:
        return False
    return normalise_classification(lines[3]) in CLASSIFICATIONS


def split_boxes(text: str) -> tuple[str, str]:
    """Split the joined header and body boxes at the body's classification line."""
    dtg = re.search(r"(?m)^[ \t]*(?:[A-Z](?: [A-Z])?[ \t]+)?\d{6}Z[ \t]+[A-Z]{3}", text)
    search_from = dtg.end() if dtg else 0
    for m in _BODY_START.finditer(text, search_from):
        return text[: m.start()], text[m.start() :]
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
    text = text.replace("\r\n", "\n")
    lines = text.split("\n", 5)
    if len(lines) < 5:
        raise ReadError(path, "text export needs five metadata lines, found fewer")
    ref_id, subject, date_text, classification, origin = (ln.strip() for ln in lines[:5])
    if not _ID_LINE.fullmatch(ref_id):
        raise ReadError(path, f"first line {ref_id[:40]!r} is not a reference ID")
    try:
        created = dt.datetime.strptime(date_text, _DATE_FORMAT).astimezone(dt.UTC)
    except ValueError:
        raise ReadError(path, f"third line {date_text[:40]!r} is not a date") from None
    header, body = split_boxes(lines[5] if len(lines) > 5 else "")
    return parse_cable(
        ref_id,
        header,
        body,
        created=created,
        classification=classification,
        origin=origin,
        subject=subject,
        provenance=Provenance(format=FORMAT, path=path, sha256=hashlib.sha256(data).hexdigest()),
    )


def write_text_export(cable: Cable) -> str:
    """The cable in the export's layout (the inverse of :func:`read_text_export`)."""
    created = cable.created or dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return "\n".join(
        [
            cable.reference_id,
            cable.subject or "",
            created.strftime(_DATE_FORMAT),
            cable.classification or "",
            cable.origin or "",
            cable.header + cable.body,
        ]
    )
