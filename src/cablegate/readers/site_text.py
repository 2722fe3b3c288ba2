"""Reader for a Cable Viewer page as a reader sees it: the rendered text of the page, as
copied from a browser or saved as text (seed ``002_9bf8a78e29ea3dab.txt``)."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

from cablegate.errors import ReadError
from cablegate.model import CLASSIFICATIONS, Article, Cable, Provenance
from cablegate.parse import parse_cable
from cablegate.readers.decoding import decode
from cablegate.readers.text_export import split_boxes

FORMAT = "site-text"
_TITLE = re.compile(r"(?m)^Viewing cable (\S+), ?(.*)$")
_TABLE_HEAD = re.compile(
    r"(?m)^Reference ID\s+(Created\s+Released|Date)\s+Classification\s+Origin"
    r"\s*$"
)
_WHEN = r"(\d{4}-\d\d-\d\d \d\d:\d\d)"
# Longest first, so that SECRET//NOFORN is not read as SECRET.
_CLASS = "(" + "|".join(sorted(CLASSIFICATIONS, key=len, reverse=True)) + ")"
_ROW5 = re.compile(rf"^(\S+) {_WHEN} (?:{_WHEN}|unknown) {_CLASS} (.+)$")
_ROW4 = re.compile(rf"^(\S+) {_WHEN} {_CLASS} (.+)$")
_URL = re.compile(r"^(?:https?://|www\.)\S+$")


def looks_like(head: str) -> bool:
    """Whether a text is a rendered Cable Viewer page."""
    return bool(_TITLE.search(head)) and "Reference ID" in head


def _when(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    return dt.datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=dt.UTC)


def read_site_text(data: bytes, path: str) -> Cable:
    """Parse the rendered text of one cable page. Raises :class:`ReadError` when it is not one."""
    warnings: list[str] = []
    text = decode(data, warnings).replace("\r\n", "\n")
    title = _TITLE.search(text)
    head = _TABLE_HEAD.search(text)
    if not title or not head:
        raise ReadError(
            path,
            "not the text of a Cable Viewer page (no 'Viewing cable' title or no metadata table)",
        )
    rest = text[head.end() + 1 :]
    row_line, _, rest = rest.partition("\n")
    five = head.group(1) != "Date"
    m = (_ROW5 if five else _ROW4).match(row_line.strip())
    if not m:
        raise ReadError(path, f"metadata row {row_line[:80]!r} does not match the table heading")
    if five:
        ref_id, created, released, classification, origin = m.groups()
    else:
        (ref_id, created, classification, origin), released = m.groups(), None
    articles: list[Article] = []
    if rest.startswith("Appears in these articles:"):
        rest = rest.split("\n", 1)[1] if "\n" in rest else ""
        while rest:
            line, _, remainder = rest.partition("\n")
            if not _URL.match(line.strip()):
                break
            articles.append(Article(url=line.strip()))
            rest = remainder
    header, body = split_boxes(rest)
    header = header.rstrip("\n")  # the rendered page puts a line break between the boxes
    return parse_cable(
        ref_id,
        header,
        body,
        created=_when(created),
        released=_when(released),
        classification=classification,
        origin=origin.strip(),
        subject=title.group(2),
        articles=articles,
        provenance=Provenance(format=FORMAT, path=path, sha256=hashlib.sha256(data).hexdigest()),
        warnings=warnings,
    )
