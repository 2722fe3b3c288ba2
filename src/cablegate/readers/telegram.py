"""Reader for a bare telegram (``pdftotext`` output, a telegram pasted as text): no metadata
beside the text, so the ID, origin, classification and creation time are inferred from it.

A telegram is its transmission part (transmission ID, routing lines, ``DE`` line, date-time
group, ``FM`` / ``TO`` / ``INFO``: the header) and, from its classification line on, its text
(the body). What the Cable Viewer's metadata table would give is read from them:

- the reference ID: two-digit year + station + number. Station and number from the
  classification line (``CONFIDENTIAL PARIS 001007``), the number cross-checked with the ``DE``
  line (``DE RUEHFR #1007 2051555``), the year from the date-time group (``O 241555Z JUL 09``);
- the creation time from the date-time group (to the minute);
- the origin from the ``FM`` line, named as the Cable Viewer names origins (``AMEMBASSY PARIS``
  is "Embassy Paris"), else from the ``DE`` line's routing indicator;
- the classification from the classification line and the caveats under it.

Each such field is listed in :attr:`Cable.inferred` with how it was found. A telegram whose ID
cannot be read is a :class:`ReadError`; one that kept only its transmission header (sender and
date-time group, no classification line) is an :class:`Unidentified`, which an archive that
holds the cable can resolve by sender and date-time group.

Copies of State's old printed telegrams (archive.org's PDFs of PlusD records) carry page
furniture: a header ``PAGE 02 HANOI 00686 01 OF 07 050821Z`` and a classification banner at each
page break, and a record line ``2000HANOI00686 - CONFIDENTIAL``. The body is read without the
furniture; the page header's day and time and the record line's year stand in for a missing
date-time group.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import re
from dataclasses import dataclass

from cablegate.errors import ReadError, Unidentified
from cablegate.model import Cable, Inferred, Provenance
from cablegate.parse import parse_cable
from cablegate.parse.fields import (
    classification_of_line,
    despace,
    parse_caveats,
    parse_declassification_date,
)
from cablegate.parse.header import parse_dtg
from cablegate.parse.ids import station_code
from cablegate.parse.routes import route_name
from cablegate.readers.decoding import decode

FORMAT = "telegram"

_MONTH_NAMES = "JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC"
_DTG_LINE = re.compile(
    rf"(?m)^[ \t]*(?:[A-Z](?:[ \t][A-Z])?[ \t]+)?(\d{{6}}Z[ \t]+(?i:{_MONTH_NAMES})[ \t]+\d{{2,4}})"
    r"\b[^\n]*$"
)
"""The date-time group line: ``O 241555Z JUL 09``, ``R 181313Z JUN 09 ZDK MANY SVCS``."""
_FM_LINE = re.compile(
    r"(?m)^[ \t]*FM[ \t]+([A-Z][A-Z0-9.,'&()/-]*(?:[ \t]+[A-Z0-9.,'&()/-]+)*)[ \t]*$"
)
_TO_LINE = re.compile(r"[ \t]*TO[ \t]+\S")
_DE_LINE = re.compile(
    r"(?m)^[ \t]*DE[ \t]+(R[A-Z]{3,6})[ \t]+#[ \t]*(\d{1,6})(?:/(\d{1,3}))?(?:[ \t]+(\d{7}))?"
    r"[^\n]*$"
)
"""``DE RUEHFR #1007 2051555``: the sending station's routing indicator, the telegram's number
(``/01`` its section), the Julian day and time of transmission."""
_CAPTIONS = (
    r"EFTO|NOFORN|SENSITIVE|SIPDIS|NOCONTRACT|FOUO|NODIS|EXDIS|LIMDIS|STADIS|ORCON|PROPIN"
    r"|ROGER|CHEROKEE|EYES[ \t]+ONLY|FOR[ \t]+OFFICIAL[ \t]+USE[ \t]+ONLY"
)
_CLASS_LINE = re.compile(
    r"[ \t]*(?P<level>TOP[ \t]+SECRET|SECRET|CONFIDENTIAL|UNCLASSIFIED|UNCLAS"
    r"|LIMITED[ \t]+OFFICIAL[ \t]+USE)"
    rf"(?://[A-Z ]+)?(?P<captions>(?:[ \t]+(?:{_CAPTIONS}))*)"
    r"(?:[ \t]+SECTION[ \t]+(?P<section>\d{1,2})[ \t]+OF[ \t]+(?P<sections>\d{1,2}))?"
    r"[ \t]+(?P<station>[A-Z][A-Z .'-]*?[A-Z])[ \t]+(?P<number>\d{1,6})[ \t]*"
)
"""A classification line that names the station and the number (after :func:`despace`):
``CONFIDENTIAL SECTION 01 OF 02 ABU DHABI 005893``, ``UNCLAS UNVIE VIENNA 000281``."""
_RECORD = (
    r"[ \t]*(?P<year>(?:19|20)\d\d)(?P<station>[A-Z]+?)0*(?P<number>\d{1,6})"
    r"(?:_[A-Za-z]{1,2})?[ \t]+-[ \t]+[A-Z/]+(?:[ \t]+[A-Z/]+)*[ \t]*"
)
_RECORD_LINE = re.compile(rf"(?m)^{_RECORD}$")
"""The record line of a PlusD record (``2000HANOI00686 - CONFIDENTIAL``), at the top and the
end of archive.org's PDFs of them."""
_PAGE_HEADER = re.compile(
    r"(?m)^[ \t]*PAGE[ \t]+\d{1,3}[ \t]+(?P<station>[A-Z][A-Z .'-]*?)[ \t]+(?P<number>\d{1,6})"
    r"(?:[ \t]+\d{1,2}[ \t]+OF[ \t]+\d{1,2})?[ \t]+(?P<day>\d\d)(?P<hour>\d\d)(?P<minute>\d\d)Z"
    r"[ \t]*$"
)
"""A page header of State's old printed telegrams: ``PAGE 02 HANOI 00686 01 OF 07 050821Z``."""
_BANNER = r"[ \t]*(?:UNCLASSIFIED|CONFIDENTIAL|SECRET|LIMITED OFFICIAL USE)[ \t]*"
_PAGE_BREAK = re.compile(
    rf"\n{_BANNER}\n(?:[ \t]*\n)*[ \t]*PAGE[ \t]+\d{{1,3}}[ \t]+[A-Z][^\n]*\d{{6}}Z[ \t]*(?=\n)"
)
"""A page break of such a telegram: the banner closing a page, the next page's header."""

# Lines that may come before the date-time group (or the FM line) in a bare telegram.
_ENVELOPE = re.compile(
    r"[ \t]*(?:"
    r"VZCZC[A-Z0-9]*"
    r"|(?:[A-Z]{1,2}(?:[ \t]+[A-Z]{1,2})?[ \t]+)?R[A-Z]{3,6}(?:[ \t]+R[A-Z]{3,6})*"
    r"|DE[ \t]+R[A-Z]{3,6}[ \t]+#.*"
    r"|ZN[YR][ \t]+.*"
    r"|(?:(?:ACTION|INFO)[ \t]+)?[A-Z0-9]{1,5}-\d\d(?:[ \t]+[A-Z0-9]{1,5}-\d\d)*"
    r"(?:[ \t]+/\d{3}[A-Z])?"
    r"|-{5,}[ \t]*[0-9A-F]*(?:[ \t]+\d{6}Z)?(?:[ \t]+/\d+)?"
    r"|This record is a partial extract of the original cable\..*"
    r"|(?:19|20)\d\d[A-Z]+\d+(?:_[A-Za-z]{1,2})?[ \t]+-[ \t]+[A-Z/]+(?:[ \t]+[A-Z/]+)*"
    r"|(?:UNCLASSIFIED|CONFIDENTIAL|SECRET|LIMITED OFFICIAL USE)(?:[ \t]+[A-Z]{3}\d{3,5})?"
    r"|[A-Z]{3}\d{3,5}|/\d{3}[A-Z]"
    r"|PAGE[ \t]+\d{1,3}[ \t]+[A-Z].*\d{6}Z"
    r")[ \t]*"
)

_PREFIXES = {"AMEMBASSY": "Embassy", "AMCONSUL": "Consulate"}
_EMBASSY_LIKE = ("USMISSION", "USOFFICE", "USLO")
"""Senders the Cable Viewer files under the embassy of their city (``USLO TRIPOLI`` is
Embassy Tripoli, ``USOFFICE PRISTINA`` Embassy Pristina): the missions below are the others."""
_ORIGINS = {
    "SECSTATE WASHDC": "Secretary of State",
    "SECSTATE": "Secretary of State",
    "USEU BRUSSELS": "USEU Brussels",
    "USMISSION USEU BRUSSELS": "USEU Brussels",
    "USMISSION UNVIE VIENNA": "UNVIE",
    "UNVIE VIENNA": "UNVIE",
    "USMISSION USNATO": "Mission USNATO",
    "USNATO": "Mission USNATO",
    "USMISSION USUN NEW YORK": "USUN New York",
    "USUN NEW YORK": "USUN New York",
    "USMISSION GENEVA": "US Mission Geneva",
    "USINT HAVANA": "US Interests Section Havana",
    "AIT TAIPEI": "American Institute Taiwan, Taipei",
    "IRAN RPO DUBAI": "Iran RPO Dubai",
    "RPO DUBAI": "Iran RPO Dubai",
    "REO BASRAH": "REO Basrah",
    "USDEL SECRETARY": "US Delegation, Secretary",
}
"""Senders the Cable Viewer names in its own way (checked against the origins of the
corpus's pages and dump rows)."""
_RENAMED = {"KIEV": "KYIV", "CALCUTTA": "KOLKATA", "MADRAS": "CHENNAI", "BOMBAY": "MUMBAI"}
"""Cities the Cable Viewer names as they are called now (``AMCONSUL CALCUTTA`` is
Consulate Kolkata)."""


def looks_like(head: str) -> bool:
    """Whether a text is a bare telegram: it starts with its transmission part (routing lines,
    ``DE`` line, office lists ...) up to a date-time group and an ``FM`` line, an ``FM`` line
    followed by a ``TO`` line, or a date-time group followed by a classification line."""
    text = head.replace("\r\n", "\n").replace("\r", "\n")
    dtg, fm, start = _top(text)
    if fm is not None:
        rest = text[fm.end() :].lstrip(" \t\n")
        return dtg is not None or bool(_TO_LINE.match(rest))
    return dtg is not None and _class_line(text, start)[0] is not None


def read_telegram(data: bytes, path: str = "<telegram>") -> Cable:
    """Parse a bare telegram. Raises :class:`ReadError` (or :class:`Unidentified`) when its
    reference ID cannot be read from it."""
    warnings: list[str] = []
    text = decode(data, warnings)
    provenance = Provenance(format=FORMAT, path=path, sha256=hashlib.sha256(data).hexdigest())
    return parse_telegram(text, path, provenance, warnings)


@dataclass(slots=True)
class _Parts:
    """A telegram split into its header and body, with the lines that identify it."""

    header: str
    body: str
    class_line: re.Match[str] | None
    """The classification line, white space despaced (``CONFIDENTIAL``)."""
    class_text: str
    """The classification line as written."""
    fm_end: int
    """Where the FM line (else the date-time group line) ends in the header."""
    dtg: str | None
    fm: str | None
    de: re.Match[str] | None
    record: re.Match[str] | None
    page: re.Match[str] | None


def _top(text: str) -> tuple[re.Match[str] | None, re.Match[str] | None, int]:
    """The date-time group and the FM line of the transmission header a text starts with
    (only envelope lines before them: routing lines, office lists, banners ...), and where
    its classification line is to be looked for: after them."""
    dtg: re.Match[str] | None = None
    pos = 0
    for _ in range(400):
        if pos >= len(text):
            break
        end = text.find("\n", pos)
        end = len(text) if end == -1 else end
        if text[pos:end].strip():
            if dtg is None and (m := _DTG_LINE.fullmatch(text, pos, end)):
                dtg = m
            elif m := _FM_LINE.fullmatch(text, pos, end):
                return dtg, m, end
            elif not _ENVELOPE.fullmatch(text, pos, end):
                break
        pos = end + 1
    return dtg, None, dtg.end() if dtg else 0


def _class_line(text: str, start: int) -> tuple[re.Match[str] | None, int]:
    """The first classification line from ``start`` on that names a known station and a
    number, and where it starts (else None and the text's end)."""
    pos = start
    while pos < len(text):
        end = text.find("\n", pos)
        end = len(text) if end == -1 else end
        line = text[pos:end]
        if line.strip() and len(line) < 300:
            m = _CLASS_LINE.fullmatch(despace(line))
            if m and station_code(m.group("station")):
                return m, pos
        pos = end + 1
    return None, len(text)


def _split(text: str) -> _Parts:
    dtg, fm, start = _top(text)
    class_line, at = _class_line(text, start)
    header, body = text[:at], text[at:]
    lead = len(header) - len(header.lstrip("\n"))
    return _Parts(
        header=header.strip("\n"),
        body=body,
        class_line=class_line,
        class_text=" ".join(body.split("\n", 1)[0].split()) if class_line else "",
        fm_end=max(0, start - lead),
        dtg=" ".join(dtg.group(1).upper().split()) if dtg else None,
        fm=" ".join(fm.group(1).split()) if fm else None,
        de=_DE_LINE.search(header),
        record=_RECORD_LINE.search(text),
        page=_PAGE_HEADER.search(text),
    )


_END_LINE = re.compile(rf"{_BANNER}|[ \t]*(?:>[ \t]*)?|{_RECORD}")
"""What ends a PlusD record's printout: the last banner, a stray ``>``, the record line."""


def _unpaged(body: str) -> str:
    """The body of a printed telegram without its page breaks and end-of-record lines."""
    lines = _PAGE_BREAK.sub("", body).split("\n")
    while lines and _END_LINE.fullmatch(lines[-1]):
        lines.pop()
    return "\n".join(lines) + "\n"


def parse_telegram(
    text: str,
    path: str,
    provenance: Provenance,
    warnings: list[str] | None = None,
    *,
    partial: bool = False,
) -> Cable:
    """Parse a telegram's text (decoded): see the module's description."""
    warnings = list(warnings or [])
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    parts = _split(text)
    body = _unpaged(parts.body) if parts.page else parts.body
    inferred: list[Inferred] = []
    created, precision, created_note = _created(parts, warnings)
    if created is not None and created_note:
        inferred.append(Inferred("created", created_note))
    origin = _origin(parts, inferred)
    if parts.class_line is None:
        raise _unidentified(
            path, parts, body, (created, precision), origin, inferred, provenance, warnings
        )
    ref_id = _reference_id(path, parts, created, inferred, warnings)
    classification = _classification(parts.class_text, body, inferred)
    return parse_cable(
        ref_id,
        parts.header,
        body,
        created=created,
        created_precision=precision,
        classification=classification,
        origin=origin,
        provenance=provenance,
        warnings=warnings,
        inferred=inferred,
        partial=partial,
    )


def _line_of(m: re.Match[str]) -> str:
    """The whole line a match is on, white space collapsed."""
    text = m.string
    start = text.rfind("\n", 0, m.start()) + 1
    end = text.find("\n", m.start())
    return " ".join(text[start : len(text) if end == -1 else end].split())


def _created(parts: _Parts, warnings: list[str]) -> tuple[dt.datetime | None, str | None, str]:
    """The creation time, its precision and how it was read: the date-time group (to the
    minute); else, for a printed telegram, the day of its page header in the month its text
    dates it to (to the day: the printout's time is when State's system printed it, up to a
    day or two after the telegram was sent)."""
    if parts.dtg:
        when = parse_dtg(parts.dtg)
        if when is not None:
            return when, "minute", f"from the date-time group '{parts.dtg}'"
        warnings.append(f"date-time group '{parts.dtg}' is not a valid date")
        return None, None, ""
    if parts.page is None or parts.record is None:
        return None, None, ""
    page, year, day = parts.page, int(parts.record.group("year")), int(parts.page.group("day"))
    decl = parse_declassification_date(parts.body)
    if decl is None or not 5 <= decl.year - year <= 30 or (decl.year - year) % 5:
        return None, None, ""
    # Classified on the declassification date's day and month, N whole years before (E.O.
    # 12958's 10, 20 or 25 years); printed on the first day ``day`` from then on.
    last = calendar.monthrange(year, decl.month)[1]
    drafted = dt.date(year, decl.month, min(decl.day, last))
    for step in range(2):
        y, m = divmod(drafted.month - 1 + step, 12)
        y, m = year + y, m + 1
        if day <= calendar.monthrange(y, m)[1] and dt.date(y, m, day) >= drafted:
            how = (
                f"no date-time group: the day of the page header '{_line_of(page)}', the "
                f"year of the record line '{_line_of(parts.record)}', the month of the first "
                f"such day on or after the classification date {drafted.isoformat()} that "
                f"'DECL: {decl.month}/{decl.day}/{decl.year}' ({decl.year - year} years on) "
                "implies"
            )
            return dt.datetime(y, m, day, tzinfo=dt.UTC), "day", how
    return None, None, ""


def _origin(parts: _Parts, inferred: list[Inferred]) -> str | None:
    """The Cable Viewer's name of the sender: from the FM line, else the DE line's routing
    indicator."""
    if parts.fm:
        origin = origin_name(parts.fm)
        if origin:
            inferred.append(Inferred("origin", f"from the sender line 'FM {parts.fm}'"))
            return origin
    if parts.de:
        indicator = parts.de.group(1)
        name = route_name(indicator)
        origin = origin_name(name) if name else None
        if origin:
            how = (
                f"from the routing indicator {indicator} of the line '{_line_of(parts.de)}' "
                f"(the station {name})"
            )
            inferred.append(Inferred("origin", how))
            return origin
    return None


def origin_name(sender: str) -> str | None:
    """The origin as the Cable Viewer writes it for a sender as a ``FM`` line writes it.

    >>> origin_name("AMEMBASSY PARIS"), origin_name("USMISSION UNVIE VIENNA")
    ('Embassy Paris', 'UNVIE')
    >>> origin_name("AMCONSUL HO CHI MINH CITY"), origin_name("SECSTATE WASHDC")
    ('Consulate Ho Chi Minh City', 'Secretary of State')
    """
    name = " ".join(re.sub(r"//.*$", "", sender.upper()).split())
    if name in _ORIGINS:
        return _ORIGINS[name]
    first, _, place = name.partition(" ")
    if not place:
        return None
    place = _RENAMED.get(place, place)
    words = " ".join(w[:1] + w[1:].lower() for w in place.split())
    if first in _PREFIXES:
        return f"{_PREFIXES[first]} {words}"
    if first in _EMBASSY_LIKE:
        return f"Embassy {words}"
    return None


def sender_station(sender: str) -> str | None:
    """The station code of a sender: ``AMEMBASSY DAMASCUS`` -> ``DAMASCUS``."""
    words = re.sub(r"//.*$", "", sender.upper()).split()
    for candidate in (words, words[1:], words[:1], words[:-1], words[1:-1]):
        if candidate and (code := station_code(" ".join(candidate))):
            return code
    return None


def _unidentified(
    path: str,
    parts: _Parts,
    body: str,
    when: tuple[dt.datetime | None, str | None],
    origin: str | None,
    inferred: list[Inferred],
    provenance: Provenance,
    warnings: list[str],
) -> ReadError:
    """The error for a telegram whose text does not name its station and number."""
    created, precision = when
    station = sender_station(parts.fm) if parts.fm else None
    if station is None and parts.de and (name := route_name(parts.de.group(1))):
        station = sender_station(name)
    if parts.fm is None and parts.dtg is None:
        return ReadError(
            path,
            "not a readable telegram: no date-time group or FM line, and no classification "
            "line naming the station and number",
        )
    header, body = _address_block(parts)
    header_only = not body.strip()
    if header_only:
        reason = (
            "reference ID not in the text: only the transmission header is there "
            "(no classification line with the station and number)"
        )
    else:
        reason = "reference ID not in the text: no classification line names the station and number"
    cable = parse_cable(
        "",
        header,
        body,
        created=created,
        created_precision=precision,
        origin=origin,
        provenance=provenance,
        warnings=warnings,
        inferred=inferred,
        partial=header_only,
    )
    return Unidentified(path, reason, cable, station, created)


_ADDRESS = re.compile(r"[ \t]*(?:(?:TO|INFO)[ \t]+)?[A-Z0-9][A-Z0-9 ./,&()'-]{0,78}")
"""A line of the ``TO`` / ``INFO`` lists (``RUEHC/SECSTATE WASHDC IMMEDIATE 1438``)."""


def _address_block(parts: _Parts) -> tuple[str, str]:
    """A telegram without a classification line, split after its address lists."""
    text = parts.header  # the whole text: no classification line ended it
    pos = parts.fm_end
    while pos < len(text):
        end = text.find("\n", pos)
        end = len(text) if end == -1 else end
        if text[pos:end].strip() and not _ADDRESS.fullmatch(text, pos, end):
            return text[:pos].rstrip("\n"), text[pos:]
        pos = end + 1
    return text, ""


def _reference_id(
    path: str,
    parts: _Parts,
    created: dt.datetime | None,
    inferred: list[Inferred],
    warnings: list[str],
) -> str:
    """``YY`` + station + number, from the classification line and the date-time group."""
    assert parts.class_line is not None
    m = parts.class_line
    station = station_code(m.group("station"))
    assert station is not None  # _split keeps only classification lines of known stations
    number = int(m.group("number"))
    line = parts.class_text
    if parts.dtg and created is not None:
        year, year_from = created.year % 100, f"the year of the date-time group '{parts.dtg}'"
    elif parts.record is not None:
        year = int(parts.record.group("year")) % 100
        year_from = f"the year of the record line '{_line_of(parts.record)}'"
    else:
        raise ReadError(
            path,
            f"reference ID not in the text: the classification line '{line}' names "
            f"{station} {number}, but there is no date-time group to give the year",
        )
    how = (
        f"from the classification line '{line}' (station {station}, number {number}) "
        f"and {year_from}"
    )
    checks: list[str] = []
    if parts.de is not None:
        de_number = int(parts.de.group(2))
        de_line = _line_of(parts.de)
        if de_number == number:
            checks.append(f"the routing line '{de_line}' has the same number")
        else:
            warnings.append(
                f"the routing line '{de_line}' numbers the telegram {de_number}, "
                f"its classification line {number}"
            )
    if parts.record is not None:
        record = parts.record
        same = (
            station_code(record.group("station")) == station
            and int(record.group("number")) == number
            and int(record.group("year")) % 100 == year
        )
        if same:
            checks.append(f"the record line '{_line_of(record)}' agrees")
        else:
            warnings.append(
                f"the record line '{_line_of(record)}' names another cable than the "
                f"classification line '{line}'"
            )
    if parts.fm and (sender := sender_station(parts.fm)) and sender != station:
        warnings.append(f"sent by {parts.fm} ({sender}) but numbered as {station}'s")
    if checks:
        how += "; " + " and ".join(checks)
    inferred.insert(0, Inferred("reference_id", how))
    return f"{year:02d}{station}{number}"


_SENSITIVE_CAPTION = re.compile(r"(?m)^[ \t]*SENSITIVE\b(?![ \t,]+BUT)")


def _classification(line: str, body: str, inferred: list[Inferred]) -> str | None:
    """The classification the Cable Viewer gives a telegram: its classification line's level;
    ``//NOFORN`` for a classified telegram with that caveat; an unclassified one with the
    caption ``SENSITIVE`` is ``UNCLASSIFIED//FOR OFFICIAL USE ONLY`` (as the Cable Viewer
    classifies 1,052 of the 1,053 such cables of the corpus's pages)."""
    level = classification_of_line(despace(line))
    if level is None:
        return None
    how = f"from the classification line '{line}'"
    caveats = parse_caveats(body)
    if level in ("SECRET", "CONFIDENTIAL") and "NOFORN" in caveats:
        level = f"{level}//NOFORN"
        how += " and its NOFORN caveat"
    elif level == "UNCLASSIFIED":
        first = re.search(r"(?m)^[ \t]*(?:¶?[ \t]*1[ \t]*\.|E\.[ \t]*O\.|TAGS|SUBJ)", body)
        if _SENSITIVE_CAPTION.search(body, 0, first.start() if first else 2000):
            level = "UNCLASSIFIED//FOR OFFICIAL USE ONLY"
            how += " and its caption SENSITIVE (for official use only)"
    inferred.append(Inferred("classification", how))
    return level
