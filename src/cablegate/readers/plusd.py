"""Reader for a cable page of PlusD, WikiLeaks' Public Library of US Diplomacy.

A page (``https://wikileaks.org/plusd/cables/1974ATHENS02959_b.html``) has the catalogue's
metadata block (``table#synopsis``: pairs of ``div.s_key`` / ``div.s_val``, the title row
above them) and the telegram in two parts: the hidden headers (``div.text-header``: the
classification banner, ``PAGE 01`` line, ACTION/INFO offices, the date-time group, FM/TO/INFO,
then the classification line, E.O., TAGS, SUBJECT and REF lines) and the text
(``#tagged-text``). The block's values are read from what the page shows, never from the
``title`` attributes (which append PlusD's "(356550 documents)" counts).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import msgspec
from selectolax.lexbor import LexborHTMLParser as HTMLParser
from selectolax.lexbor import LexborNode as Node

from cablegate.errors import ReadError
from cablegate.model import Cable, Catalog, Inferred, Provenance, TagName
from cablegate.parse import count_redactions, parse_cable
from cablegate.parse.fields import classification_of_line, despace
from cablegate.readers.decoding import decode

FORMAT = "plusd-html"

_TITLE = re.compile(r"<title>\s*Cable:\s*[0-9A-Za-z_]+\s*</title>", re.I)
_BLANK = "-- N/A or Blank --"
_COUNT = re.compile(r"\d{1,3}(?:,?\d{3})*")
_PLUSD_ID = re.compile(r"(?:19|20)?\d\d[A-Z][A-Z0-9]*?\d+(?:_[A-Za-z]{1,2}\d*)?")
_URL = re.compile(r"https?://(?:www\.)?wikileaks\.org/plusd/cables/([0-9A-Za-z_]+)\.html")
_DATE = re.compile(
    r"(\d{4})\s+([A-Za-z]{3})[A-Za-z]*\s+(\d{1,2})(?:\s*,\s*(\d{1,2}):(\d{2}))?", re.ASCII
)
_RESTRICTION_NAMES = {"ONLY": "EYES ONLY"}
"""PlusD's codes for handling restrictions where the archive's differ (PlusD's "ONLY - Eyes
Only" is the telegrams' EYES ONLY)."""

_BANNER = r"(?:UNCLASSIFIED|UNCLAS|LIMITED OFFICIAL USE|CONFIDENTIAL|SECRET|TOP SECRET)"
_PAGE_BREAK = re.compile(
    rf"(?m)^[ \t]*{_BANNER}[ \t]*\n(?:[ \t]*\n)*"
    rf"(?:[ \t]*{_BANNER}[ \t]*\n(?:[ \t]*\n)*)?"
    r"[ \t]*PAGE[ \t]+\d+[^\n]*\n(?:[ \t]*\n)*"
)
"""A page break of the telegram as PlusD shows it: the classification banner that ends a
page, the one that starts the next, and its ``PAGE 02  ATHENS 02959  171944Z`` line."""
_CLOSING_BANNER = re.compile(rf"(?m)^[ \t]*{_BANNER}[ \t]*$")
_STATE_ORIGIN = "Secretary of State"


def looks_like(head: str) -> bool:
    """Whether the start of a document (its first 8 KB) looks like a PlusD cable page: an
    HTML page titled ``Cable: <PlusD ID>`` that loads PlusD's own scripts and styles. PlusD's
    search and browse pages have other titles."""
    head = head[:8192]
    lower = head.lower()
    is_html = "<html" in lower or "<!doctype html" in lower
    return is_html and "/plusd/" in head and _TITLE.search(head) is not None


def _text(node: Node | None) -> str:
    return " ".join(node.text(deep=True).split()) if node is not None else ""


def _value(text: str) -> str | None:
    """A block's value; None for PlusD's "-- N/A or Blank --"."""
    text = " ".join(text.split())
    return None if not text or text.upper() == _BLANK.upper() else text


def _entries(node: Node) -> list[str]:
    """The entries of a list value (TAGS, Concepts, To): one per link, else split at ``|``."""
    links = node.css("a")
    items = [_text(a) for a in links] if links else _text(node).split("|")
    return [v for item in items if (v := _value(item))]


def _synopsis(table: Node) -> tuple[dict[str, str | None], dict[str, list[str]], str | None]:
    """The block's fields by key (``Date``, ``TAGS`` ...): single values, list values, and
    the title row."""
    values: dict[str, str | None] = {}
    lists: dict[str, list[str]] = {}
    for key in table.css("div.s_key"):
        name = _text(key).rstrip(":").strip()
        value = key.next
        while value is not None and not (
            value.tag == "div" and "s_val" in (value.attributes.get("class") or "").split()
        ):
            value = value.next
        if not name or value is None or name in values:
            continue
        values[name] = _value(_text(value))
        lists[name] = _entries(value)
    title = table.css_first("td[colspan]")
    return values, lists, _value(_text(title)) if title is not None else None


def _created(text: str | None, path: str) -> tuple[dt.datetime | None, str | None]:
    if text is None:
        return None, None
    m = _DATE.match(text)
    if m is None:
        raise ReadError(path, f"PlusD Date {text!r} is not a date")
    year, month, day, hour, minute = m.groups()
    try:
        day_only = dt.datetime.strptime(f"{year} {month.title()} {day}", "%Y %b %d")
        when = day_only.replace(hour=int(hour or 0), minute=int(minute or 0), tzinfo=dt.UTC)
    except ValueError as exc:
        raise ReadError(path, f"PlusD Date {text!r} is not a date") from exc
    return when, "minute" if hour is not None else "day"


_TAG_ENTRY = re.compile(r"([A-Z][A-Z0-9]{1,7})(?:[ \t]*-(?:[ \t]+(.*))?)?")


def _tag_names(entries: list[str]) -> tuple[list[TagName], list[str], list[str]]:
    """TAGS entries -> (every entry with its name, the codes, the person tags). A code is
    written alone or with its name (``GR - Greece; Crete``); a person tag is a name
    (``KISSINGER, HENRY A``)."""
    tags: list[TagName] = []
    codes: list[str] = []
    persons: list[str] = []
    for entry in entries:
        m = _TAG_ENTRY.fullmatch(entry)
        if m is not None:
            tags.append(TagName(m.group(1), (m.group(2) or "").strip() or None))
            codes.append(m.group(1))
        else:
            tags.append(TagName(entry))
            persons.append(entry)
    return tags, list(dict.fromkeys(codes)), list(dict.fromkeys(persons))


def _restrictions(entries: list[str]) -> list[str]:
    found: list[str] = []
    for entry in entries:
        for part in re.split(r"\s*[,;]\s*", entry):
            code = part.partition(" - ")[0].strip().upper()
            code = _RESTRICTION_NAMES.get(code, code)
            if code and code not in found:
                found.append(code)
    return found


def _references(tree: HTMLParser) -> list[str]:
    """The column "References in this document to other cables", as listed."""
    for table in tree.css("table.references"):
        heads = [_text(th).lower() for th in table.css("th")]
        column = next((i for i, h in enumerate(heads) if h.startswith("references in this")), None)
        if column is None:
            continue
        for row in table.css("tbody tr"):
            cells = row.css("td")
            if column < len(cells):
                return [t for a in cells[column].css("a") if (t := _text(a))]
    return []


def _url(tree: HTMLParser, plusd_id: str) -> str:
    """The record's address as the page's share link gives it (else PlusD's usual one)."""
    share = tree.css_first("input#share-link")
    given = (share.attributes.get("value") or "").strip() if share is not None else ""
    m = _URL.fullmatch(given)
    if m and m.group(1) == plusd_id:
        return given
    return f"https://www.wikileaks.org/plusd/cables/{plusd_id}.html"


def _telegram(tree: HTMLParser) -> str | None:
    """The telegram as the page shows it: the hidden headers, then the text."""
    parts = [
        node.text(deep=True)
        for node in (tree.css_first("div.text-header"), tree.css_first("#tagged-text"))
        if node is not None
    ]
    if not parts:
        return None
    return "\n".join([parts[0].lstrip("\n").rstrip(" \t\n"), *parts[1:]])


_STATION_LINE = re.compile(rf"{_BANNER}(?:[ \t]*//?[ \t]*[A-Z]+)*[ \t]+[A-Z][A-Z .-]*[ \t]\d+")
"""A telegram's classification line: level, station, number (``LIMITED OFFICIAL USE ATHENS
2959``, ``C O N F I D E N T I A L ATHENS 3099`` once despaced)."""


def _split(telegram: str) -> tuple[str, str]:
    """(header, body): the body starts at the classification line that follows the routing
    lines (``LIMITED OFFICIAL USE ATHENS 2959``), as a Cable Viewer body does; the banner,
    ``PAGE 01`` line, offices and routing lines before it are the header. Without one the
    whole telegram is the body."""
    lines = telegram.split("\n")
    fm = next((i for i, ln in enumerate(lines) if re.match(r"[ \t]*FM[ \t]+\S", ln)), None)
    for i in range(fm + 1 if fm is not None else 0, len(lines)):
        line = lines[i].strip()
        if re.match(r"(?:E\.\s*O\.|TAGS|SUBJ)", line):
            break
        if _STATION_LINE.match(despace(line.upper())) or (
            fm is not None and classification_of_line(line) is not None
        ):
            return "\n".join(lines[:i]).rstrip("\n") + "\n", "\n".join(lines[i:])
    return "", telegram


def _unpaged(body: str) -> str:
    """The body without PlusD's page-break banners and without what follows the closing
    classification banner (``NNN``, transmission garble, PlusD's own notes such as
    ``*** Current Classification ***``): the text the fields are read from."""
    text = _PAGE_BREAK.sub("", body)
    opening = re.search(r"(?m)^[ \t]*(?:\d{1,3}[ \t]*\.[ \t]|SUBJ)", text)
    if opening is not None:
        closing = [m for m in _CLOSING_BANNER.finditer(text) if m.start() > opening.start()]
        if closing:
            text = text[: closing[-1].start()]
    return text


def _origin(sender: str | None) -> str | None:
    """The origin as the release names its posts (``Embassy Athens``, ``Consulate
    Thessaloniki``, ``Secretary of State``) from the FM line, so that the origin facet merges
    with Cablegate's; None for other senders."""
    name = " ".join((sender or "").split()).upper()
    if name.startswith("SECSTATE"):
        return _STATE_ORIGIN
    for prefix, kind in (("AMEMBASSY ", "Embassy"), ("AMCONSUL ", "Consulate")):
        if name.startswith(prefix) and len(name) > len(prefix):
            return f"{kind} {name[len(prefix) :].title()}"
    return None


def read_plusd_page(data: bytes, path: str = "<plusd>") -> Cable:
    """Parse one PlusD cable page. Raises :class:`ReadError` when it is not one (or is cut
    short before its metadata block or its telegram)."""
    warnings: list[str] = []
    page = decode(data, warnings)
    if not looks_like(page):
        raise ReadError(path, "not a PlusD cable page (no 'Cable: <ID>' title)")
    complete = "</html>" in page[-4096:].lower()
    cut = "" if complete else "truncated PlusD page: "
    tree = HTMLParser(page)
    table = tree.css_first("table#synopsis")
    if table is None:
        raise ReadError(path, f"{cut}no metadata block (table#synopsis) on the PlusD cable page")
    values, lists, title = _synopsis(table)
    plusd_id = values.get("Canonical ID") or ""
    if not _PLUSD_ID.fullmatch(plusd_id):
        raise ReadError(path, f"PlusD metadata block has no valid Canonical ID ({plusd_id!r})")
    telegram = _telegram(tree)
    if telegram is None or not telegram.strip():
        raise ReadError(path, f"{cut}no telegram text on the PlusD cable page")
    created, precision = _created(values.get("Date"), path)
    tags, codes, persons = _tag_names(lists.get("TAGS", []))
    count = values.get("Character Count")
    catalog = Catalog(
        plusd_id=plusd_id,
        url=_url(tree, plusd_id),
        title=title,
        original_classification=values.get("Original Classification"),
        current_classification=values.get("Current Classification"),
        handling_restrictions=lists.get("Handling Restrictions", []),
        character_count=int(count.replace(",", "")) if count and _COUNT.fullmatch(count) else None,
        executive_order=values.get("Executive Order"),
        locator=values.get("Locator"),
        tags=tags,
        concepts=lists.get("Concepts", []),
        enclosure=values.get("Enclosure"),
        type=values.get("Type"),
        office_origin=values.get("Office Origin"),
        office_action=values.get("Office Action"),
        archive_status=values.get("Archive Status"),
        sent_from=values.get("From"),
        sent_to=lists.get("To", []),
        markings=values.get("Markings"),
        references=_references(tree),
    )
    cut_text = not complete and tree.css_first("table.references") is None
    if cut_text:  # the page ends before what follows the telegram: its text may be cut
        warnings.append("truncated PlusD page (no closing </html>): the text may be cut short")
    header, body = _split(telegram)
    plain = _unpaged(body)
    cable = parse_cable(
        plusd_id,
        header,
        plain,
        created=created,
        created_precision=precision,
        classification=catalog.original_classification,
        current_classification=catalog.current_classification,
        subject=title,
        catalog=catalog,
        restrictions=_restrictions(catalog.handling_restrictions) or None,
        concepts=catalog.concepts,
        persons=persons or None,
        provenance=Provenance(format=FORMAT, path=path, sha256=hashlib.sha256(data).hexdigest()),
        warnings=warnings,
        partial=cut_text,
    )
    # The fields come from the text without page breaks; the body is kept as PlusD shows it.
    sender = cable.transmission.sender.name if cable.transmission.sender else None
    origin = _origin(sender)
    inferred = cable.inferred
    if origin is not None and origin != catalog.sent_from:
        how = f"the post of the telegram's FM line ({sender}), named as the release names it"
        inferred = [*inferred, Inferred("origin", how)]
    in_text = {tag: i for i, tag in enumerate(cable.tags)}
    return msgspec.structs.replace(
        cable,
        body=body,
        origin=origin or catalog.sent_from,
        inferred=inferred,
        tags=sorted(codes, key=lambda t: in_text.get(t, len(in_text))) or cable.tags,
        redactions=count_redactions(header) + count_redactions(body),
    )
