"""Field-level parsers for the body of a cable.

Each function takes any text fragment (a whole body or just the relevant lines) and returns one
field, so each rule can be tested and reused on its own. None of them raises on odd input.
"""

from __future__ import annotations

import datetime as dt
import functools
import re

from cablegate.model import Paragraph
from cablegate.parse.ids import canonical_id, split_id, station_code

# ---------------------------------------------------------------------------------------------
# Line-level helpers

#: Field labels that end a multi-line field (a subject, a TAGS list, a REF list).
_FIELD_START = re.compile(
    r"^\s*¶?\s*(?:\d{1,3}\s*\.|\(?[A-Z]\)\s|E\.\s*O\.|TAGS?\b|SUBJ(?:ECT)?\b|REFS?\b|REFTELS?\b|"
    r"REFERENCES?\b|CLASSIFIED\s+BY|CLASSIFICATION\b|DERIVED\s+FROM|REASONS?\s*:|SUMMARY\b|"
    r"BEGIN\s+SUMMARY|SIPDIS\b|NOFORN\b|SENSITIVE\b|PASS\s+TO\b|-{3,})",
    re.IGNORECASE,
)
_WS = re.compile(r"\s+")
_PILCROW = "¶"


def clean(text: str) -> str:
    """Collapse runs of white space and drop the site's ``¶`` paragraph markers."""
    return _WS.sub(" ", text.replace(_PILCROW, " ")).strip()


def _field_block(text: str, label: str, *, stop_at_blank: bool = True) -> str | None:
    """The text of a labelled field (``SUBJECT: ...``) with its continuation lines."""
    m = re.search(rf"(?im)^[ \t]*(?:{label})[ \t]*[:.]?[ \t]*(.*)$", text)
    if not m:
        return None
    lines = [m.group(1)]
    for line in text[m.end() + 1 :].split("\n"):
        if not line.strip():
            if stop_at_blank:
                break
            continue
        if _FIELD_START.match(line) or re.fullmatch(r"\s*(?:\.{3,}|…)\s*", line):
            break
        lines.append(line)
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# The cable's own text

_ROW = re.compile(
    r"(?:^|\n)[ \t\",]*\n?[ \t]*\d{1,6}[\s,]+(?:\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{4})"
    r"(?:[ \t]+\d{1,2}:\d{2})?[\s,]+\"?(\d{2}[A-Z][A-Z0-9-]*?\d+)\b"
)
"""A row of a dump (row number, date, reference ID, as tab, comma or line separated) that
some scraped pages carry inside their body."""


_REFID = re.compile(r"(?m)^[ \t]*refid:[ \t]*(\d{2}[A-Z][A-Z0-9-]*?\d+)\b")
"""The ``refid:`` line of a dump record in the ``id: / date: / refid:`` layout."""


def _record_start(body: str, m: re.Match[str]) -> int:
    """Where the dump record of a row starts: its ``id:`` line for the ``id: / date: /
    refid:`` layout, else the row itself."""
    if m.re is _REFID:
        before = list(
            re.finditer(
                r"(?m)^[ \t]*id:[ \t]*\d+[ \t]*$", body[max(0, m.start() - 300) : m.start()]
            )
        )
        if before:
            return max(0, m.start() - 300) + before[-1].start()
    return m.start()


def own_text(body: str, canonical: str) -> str:
    """The part of a body that is this cable's text. Some pages of the release hold a cut
    preview followed by a dump row of the same cable and its whole text (then the text
    after the row is the cable's), or run on into the row of another cable, or into another
    post's telegram with its own routing header (then that and all after it are not this
    cable's)."""
    start, end = 0, len(body)
    rows = sorted([*_ROW.finditer(body), *_REFID.finditer(body)], key=lambda m: m.start())
    for m in rows:
        if canonical_id(m.group(1)) == canonical:
            start = start or m.end()
        elif m.start() > start:
            record = _record_start(body, m)
            if len(body[start:record].strip()) < 200:
                break  # the other cable's record is all the page holds: it is the text
            end = record
            break
    own = split_id(canonical)
    for m in _ROUTED.finditer(body, start, end):
        code = station_code(re.sub(r"^(?:AMEMBASSY|AMCONSUL|USMISSION|AMEMB)\s+", "", m.group(1)))
        if own and code and code != own[1]:
            header = list(_HEADER_LINE.finditer(body, start, m.start()))
            cut = header[0].start() if header else m.start()
            if len(body[start:cut].strip()) >= 200:  # else that telegram is the text itself
                end = cut
            break
    if (start, end) == (0, len(body)):
        return body
    text = body[start:end]
    return re.sub(r'[\s",]+$', "\n", text) if end < len(body) else text


_ROUTED = re.compile(r"(?m)^[ \t]*FM[ \t]+([A-Z][A-Z .'-]+?)[ \t]*\n[ \t]*TO[ \t]")
"""A telegram's routing header inside a body: ``FM AMEMBASSY MONTEVIDEO`` then ``TO ...``."""
_HEADER_LINE = re.compile(
    r"(?m)^[ \t]*(?:VZCZC\S*|[A-Z]{2}[ \t]+RU[A-Z]{3}\S*|DE[ \t]+RU[A-Z]{3}.*|ZNY.*|"
    r"[A-Z][ \t]+\d{6}Z.*)[ \t]*(?:\n[ \t]*)*"
    r"(?=(?:VZCZC|[A-Z]{2}[ \t]+RU|DE[ \t]|ZNY|[A-Z][ \t]+\d{6}Z|FM[ \t]))"
)
"""The lines of a routing header before its FM line (``PP RUEHWEB``, ``DE RUEHMN #0404/01
1971651``, ``ZNY CCCCC ZZH``, ``P 151651Z JUL 08``)."""


# ---------------------------------------------------------------------------------------------
# Classification line and caveats

_SPACED = re.compile(r"\b((?:[A-Z] ){3,}[A-Z])\b")
_CLASS_WORDS = (
    ("TOP SECRET", "SECRET"),
    ("SECRET", "SECRET"),
    ("CONFIDENTIAL", "CONFIDENTIAL"),
    ("LIMITED OFFICIAL USE", "UNCLASSIFIED//FOR OFFICIAL USE ONLY"),
    ("UNCLASSIFIED", "UNCLASSIFIED"),
    ("UNCLAS", "UNCLASSIFIED"),
)
CAVEATS: tuple[str, ...] = (
    "SIPDIS",
    "NOFORN",
    "NODIS",
    "EXDIS",
    "LIMDIS",
    "STADIS",
    "ORCON",
    "PROPIN",
    "NOCONTRACT",
    "ROGER",
    "CHEROKEE",
    "EYES ONLY",
    "SENSITIVE BUT UNCLASSIFIED",
    "FOR OFFICIAL USE ONLY",
    "NOT FOR INTERNET DISTRIBUTION",
    "SENSITIVE",
)
_CAVEAT_RE = re.compile(
    r"\b(" + "|".join(re.escape(c).replace(r"\ ", r"\s+") for c in CAVEATS) + r")\b"
)


def despace(line: str) -> str:
    """``S E C R E T STATE 037957`` -> ``SECRET STATE 037957``."""
    return _SPACED.sub(lambda m: m.group(1).replace(" ", ""), line)


def classification_line(body: str) -> str | None:
    """The body's first non-empty line (``S E C R E T STATE 037957``)."""
    for line in body.split("\n"):
        if line.strip():
            return line.strip()
    return None


def classification_of_line(line: str | None) -> str | None:
    """The classification a body's first line states (``C O N F I D E N T I A L`` ...)."""
    if not line:
        return None
    text = despace(line.upper())
    for word, level in _CLASS_WORDS:
        if re.match(rf"\s*{word}\b", text):
            if level != "UNCLASSIFIED" and "NOFORN" in text:
                return f"{level}//NOFORN"
            return level
    return None


def _preamble(body: str) -> str:
    """The part of the body before its first numbered paragraph."""
    m = re.search(r"(?m)^\s*¶?\s*1\s*\.\s", body)
    return body[: m.start()] if m else body[:2000]


def parse_caveats(body: str) -> list[str]:
    """Handling caveats of the preamble: SIPDIS, NOFORN, SENSITIVE BUT UNCLASSIFIED, ..."""
    preamble = _FIELD_LINES.sub("", _REF_BLOCK.sub("", _preamble(body)))
    # A referenced cable's caveat (``B. SAN JOSE 2223 (EXDIS)``) is not this cable's.
    preamble = _BRACKETED.sub("", preamble)
    found: list[str] = []
    text = despace(preamble.upper())
    for m in _CAVEAT_RE.finditer(text):
        word = _WS.sub(" ", m.group(1))
        if word in _ALONE_ONLY and not _alone_on_line(text, m.start(), m.end()):
            continue  # a first name (A/S ROGER NORIEGA), not the ROGER channel
        if word not in found:
            found.append(word)
    if "SENSITIVE BUT UNCLASSIFIED" in found and "SENSITIVE" in found:
        found.remove("SENSITIVE")
    return found


_FIELD_LINES = re.compile(r"(?im)^[ \t]*(?:SUBJ|TAGS|E\.\s*O|REF|CLASSIFIED).*$")
_REF_BLOCK = re.compile(r"(?ims)^[ \t]*REFS?\b.*?(?=\n[ \t]*\n|\Z)")
"""A REF entry and its continuation lines, up to the next blank line."""
_BRACKETED = re.compile(r"\([^()\n]*\)")
_ALONE_ONLY = frozenset({"ROGER"})
"""Caveats that are also common words or names: counted only on a line of their own."""


def _alone_on_line(text: str, start: int, end: int) -> bool:
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line = text[line_start : line_end if line_end >= 0 else len(text)]
    return line.strip() == text[start:end].strip()


# ---------------------------------------------------------------------------------------------
# E.O. 12958 line

_DATE_PATTERNS = (
    re.compile(r"\b(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4}|\d{2})\b"),
    re.compile(r"\b(\d{4})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{1,2})\b"),
)


def parse_declassification_date(text: str) -> dt.date | None:
    """The date of ``E.O. 12958: DECL: 04/10/2018``; None for ``N/A``, OADR and the like.

    Accepts the whole body, the E.O. line or just what follows ``DECL:``.
    """
    m = re.search(r"E\.\s*O\.\s*1\d{4}\s*:?(.*)", text, re.IGNORECASE)
    line = m.group(1) if m else text
    line = line.split("\n", 1)[0]
    if re.search(r"\bN\s*/\s*A\b", line, re.IGNORECASE) and not re.search(r"\d", line):
        return None
    iso = _DATE_PATTERNS[1].search(line)
    if iso:
        y, mo, d = (int(g) for g in iso.groups())
        return _safe_date(y, mo, d)
    us = _DATE_PATTERNS[0].search(line)
    if us:
        mo, d, y = (int(g) for g in us.groups())
        if y < 100:
            y += 2000 if y < 70 else 1900
        return _safe_date(y, mo, d)
    return None


def _safe_date(y: int, mo: int, d: int) -> dt.date | None:
    try:
        return dt.date(y, mo, d)
    except ValueError:
        return None


def declassification_text(body: str) -> str | None:
    """What follows ``E.O. 12958:`` as written (``DECL: 04/10/2018``, ``N/A``)."""
    m = re.search(r"(?im)^\s*E\.\s*O\.\s*1\d{4}\s*:?[ \t]*(.*)$", body)
    return clean(m.group(1)) if m else None


# ---------------------------------------------------------------------------------------------
# TAGS and SUBJECT

_TAG = re.compile(r"^[A-Z][A-Z0-9]{1,5}$")
_TAG_WORD = re.compile(r"^[A-Z0-9]*[A-Z][A-Z0-9]*$")
_TAG_SPLIT = re.compile(r"[\s,;/\-]+")
_TAGS_LINE = re.compile(r"(?<![A-Za-z])TAGS?(?:[ \t]*:|[ \t]+(?=[A-Z]{2}))[ \t]*(.*)", re.I)


_TAGS_END = re.compile(
    r"(?i)\bSUBJ(?:ECT)?\s*:|\bREFS?\s*:|\bclassified\s+by\b|\bE\.\s?O\.\s?1\d{4}"
    r"|\s\d{8}\s+\d{3}(?:\.\d)?\s+OF\s+\d{3}\b"
)


def has_tags(text: str) -> bool:
    """Whether the text has a TAGS field."""
    return _TAGS_LINE.search(text) is not None


def parse_tags(text: str) -> list[str]:
    """TAGS codes as a list: ``TAGS: PGOV, PINR, US`` -> ``["PGOV", "PINR", "US"]``.

    Takes the whole body or the TAGS field; follows TAGS split over several lines. Every
    word is a tag, as the Cable Viewer split them (at spaces, commas, semicolons, slashes
    and hyphens, upper-cased): ``Indian Domestic Politics`` gives three, and the names of
    ``OVIP (RICE, CONDOLEEZZA)`` are tags too, as the site's own tag index has them.
    """
    m = _TAGS_LINE.search(text)
    if m:
        lines = [m.group(1)]
        for line in text[m.end() + 1 :].split("\n")[:4]:
            words = _TAG_SPLIT.split(line.replace(_PILCROW, " ").strip())
            if not line.strip() or not all(_TAG.match(w) for w in words if w):
                break
            lines.append(line)
        block = " ".join(lines)
    else:
        block = text.split("\n", 1)[0]
    end = _TAGS_END.search(block)
    if end:  # a TAGS line run together with the subject or the next field
        block = block[: end.start()]
    block = block.replace(_PILCROW, " ").replace("(", " ").replace(")", " ")
    tags: list[str] = []
    for token in _TAG_SPLIT.split(block):
        token = token.strip(".:'\"").upper()
        if _TAG_WORD.match(token) and token not in tags:
            tags.append(token)
    return tags


def body_subject(text: str) -> str | None:
    """The subject a body states: its SUBJECT line, or a ``SUBJECT:`` run into a line of
    other fields (the squashed text of some pages: ``... TAGS: PGOV SUBJECT: MODERATE TAJIK
    ... REF: ...``); None when it states none."""
    if re.search(r"(?im)^\s*SUBJ", text):
        return parse_subject(text)
    m = _INLINE_SUBJECT.search(text[:6000])
    if m is None:
        return None
    line = text[m.end() : text.find("\n", m.end()) if "\n" in text[m.end() :] else None]
    stops = [m.start() for r in (_SUBJECT_STOP, _INLINE_END) if (m := r.search(" " + line))]
    subject = clean(_unpaged((" " + line)[: min(stops)] if stops else line)).strip(" :")
    return subject or None


_INLINE_SUBJECT = re.compile(r"\bSUBJ(?:ECT)?[ \t]*:[ \t]*")
_INLINE_END = re.compile(
    r"(?i)\s(?:¶|\d{1,2}\s?\.\s?\((?:[A-Z]{1,3}|[A-Z]{1,2}/[A-Z]+)\)|classified\s+by\b|refs?\s*:)"
)


def parse_subject(text: str) -> str | None:
    """The SUBJECT line with its continuation lines joined: one clean line of text (also
    when the subject starts on the line after an empty ``SUBJECT:``), without the page
    markers a page break leaves in it."""
    if not re.search(r"(?im)^\s*SUBJ(?:ECT)?\b", text):
        return clean(_unpaged(text)) or None
    label = re.search(r"(?im)^[ \t]*SUBJ", text)
    at = label.start() if label else 0
    m = _EMPTY_SUBJECT.match(text, at)
    if m and not re.match(r"(?i)\s*(?:REF|TAGS|CLASSIFIED|E\.\s*O|\d{1,2}\s*\.)", text[m.end() :]):
        text = text[: m.end()].rstrip() + " " + text[m.end() :]  # ``SUBJECT:`` then the subject
    # A page break inside the subject: its last words on the page marker's line.
    text = (
        text[:at] + _BROKEN_SUBJECT.sub(r" \1 \2", text[at : at + 600], count=1) + text[at + 600 :]
    )
    block = _field_block(text, r"SUBJ(?:ECT)?")
    if block is None:
        return None
    block = re.sub(r"(?m)^[ \t]*-[ \t]{2,}", "", block)  # a wrapped line's leading "-"
    subject = clean(_unpaged(block.replace("\\", " ")))
    stop = _SUBJECT_STOP.search(subject)
    if stop:
        subject = subject[: stop.start()]
    subject = subject.strip(" :")
    return subject or None


_BROKEN_SUBJECT = re.compile(
    r"\n[ \t]*\n([^\n]*?\S)[ \t]+(\d{8}[ \t]+\d{3}(?:\.\d)?[ \t]+OF[ \t]+\d{3})(?=[ \t]*\n)"
)
_EMPTY_SUBJECT = re.compile(r"(?i)[ \t]*SUBJ(?:ECT)?[ \t]*[:.]?[ \t]*(?:\n[ \t]*)+(?=\S)")
_SUBJECT_STOP = re.compile(
    r"\s(?:E\.\s?O\.\s?1\d{4}|TAGS:|UNCLAS SECTION|REFS?:|Classified By:|CLASSIFIED BY:"
    r"|(?:[A-Z] ){4,}|\d{1,2}:\d\d (?:UNCLAS|CONFIDENTIAL|SECRET))"
)
_PAGE_NUMBER = re.compile(r"\s+\d{8}\s+\d{3}(?:\.\d)?\s+OF\s+\d{3}\b")


def _unpaged(text: str) -> str:
    """The text without the markers where a page of a newer cable starts (``LONDON 00000207
    001.2 OF 005``, ``RPO DUBAI 00000023 001.2 OF 002``): the number, and the station
    before it when the words before it name one."""
    out, at = [], 0
    for m in _PAGE_NUMBER.finditer(text):
        words = list(re.finditer(r"[A-Z][A-Z'.-]*", text[max(at, m.start() - 60) : m.start()]))
        start = m.start()
        for n in range(min(4, len(words)), 0, -1):
            first = words[-n]
            named = text[max(at, m.start() - 60) :][first.start() : words[-1].end()]
            if station_code(named):
                start = max(at, m.start() - 60) + first.start()
                break
        out.append(text[at:start])
        at = m.end()
    return "".join(out) + text[at:] if out else text


# ---------------------------------------------------------------------------------------------
# Classified by

#: Words of titles, offices and the line's own wording: never part of a classifier's name.
_TITLE_WORDS = frozenset(
    [
        "1.4",
        "1.5",
        "a.i.",
        "a/s",
        "acm",
        "acting",
        "adviser",
        "advisor",
        "af",
        "affaires",
        "affairs",
        "ai",
        "amb",
        "amb.",
        "ambassador",
        "ambassador-at-large",
        "and",
        "assistant",
        "attache",
        "based",
        "by",
        "cda",
        "cg",
        "charge",
        "chargé",
        "chief",
        "classified",
        "com",
        "commercial",
        "cons",
        "consul",
        "consular",
        "coordinator",
        "couns",
        "counsellor",
        "counselor",
        "counseor",
        "country",
        "d'",
        "d'affaires",
        "d'affairs",
        "das",
        "dcm",
        "defense",
        "department",
        "deputy",
        "diplomacy",
        "director",
        "division",
        "dos",
        "dr",
        "dr.",
        "eap",
        "econ",
        "econcouns",
        "econmincouns",
        "econoff",
        "economic",
        "econpol",
        "embassy",
        "envoy",
        "ep",
        "eur",
        "executive",
        "external",
        "fo",
        "for",
        "general",
        "head",
        "interim",
        "internal",
        "isn",
        "labor",
        "m/c",
        "management",
        "mincouns",
        "minister",
        "minister-counselor",
        "mission",
        "mr",
        "mr.",
        "mrs",
        "mrs.",
        "ms",
        "ms.",
        "nea",
        "of",
        "office",
        "officer",
        "on",
        "pao",
        "pas",
        "pdas",
        "per",
        "pol",
        "pol/econ",
        "polcoun",
        "polcouns",
        "polecon",
        "political",
        "polmil",
        "polmincouns",
        "polminister",
        "poloff",
        "principal",
        "public",
        "reason",
        "reasons",
        "regional",
        "representative",
        "rso",
        "sca",
        "secretary",
        "section",
        "security",
        "senior",
        "special",
        "spokesman",
        "spokesperson",
        "staff",
        "state",
        "tdy",
        "team",
        "the",
        "u/s",
        "under",
        "undersecretary",
        "upon",
        "useu",
        "usnato",
        "usun",
        "wha",
    ]
)
_NAME_TOKEN = re.compile(r"^(?:(?:[A-Z]\.)*[A-Z][A-Za-z'’-]*\.?|(?:[A-Z]\.){1,3}[A-Z]?)$")
_PARTICLES = frozenset(
    [
        "van",
        "von",
        "de",
        "del",
        "der",
        "den",
        "da",
        "di",
        "du",
        "le",
        "la",
        "bin",
        "al",
        "el",
        "st.",
        "st",
    ]
)
_SUFFIXES = frozenset(["jr", "jr.", "sr", "sr.", "ii", "iii", "iv"])
_HAS_CLASSIFIED_BY = re.compile(r"(?i)classified\s+by")
_CLASSIFIED_BY = re.compile(r"(?i)classified\s+by\s*:?")
#: Where the reasons start: ``for reasons``, ``reason 1.4``, ``per 1.5``, ``1.4 (b)``, ``E.O.``
#: (also with the words broken by a line end, ``reaso ns``).
_REASONS = re.compile(
    r"(?i)[,;]?\s*(?:\b(?:F\s?O\s?R|per)\s+)?(?:\bR\s?E\s?A\s?S\s?O\s?N\s?S?\b|\bE\.\s*O\.)"
    r"|[,;]?\s*\b(?:for|per)?\s*\b1\s*\.\s*[45]\b|\(\s*[a-hA-H]\s*\)"
)


def has_classified_by(text: str) -> bool:
    return ("lassified" in text or "LASSIFIED" in text) and bool(_HAS_CLASSIFIED_BY.search(text))


def _short(text: str) -> str | None:
    """A fragment without its label is taken as the field itself only when it is short."""
    return text if len(text) < 300 else None


@functools.lru_cache(maxsize=4)
def _classified_by_blocks(text: str) -> tuple[str, ...]:
    """The text after each ``Classified by`` label to the end of its lines (a blank line, a
    paragraph), lines joined; a label written twice counts once."""
    blocks = []
    for m in _CLASSIFIED_BY.finditer(text):
        rest = text[m.end() : m.end() + 500]
        rest = (
            _CLASSIFIED_BY.sub("", rest, count=1)
            if re.match(r"\s*classified", rest, re.I)
            else rest
        )
        stop = re.search(r"\n\s*\n|¶|\n\s*\d{1,2}\s*\.\s", rest)
        block = clean((rest[: stop.start()] if stop else rest[:400]).replace("\\", " "))
        blocks.append(re.sub(r"(?i)^classif\w*\s+by\s*:?\s*", "", block))
        if len(blocks) == 3:
            break
    return tuple(blocks)


def _is_title(token: str) -> bool:
    """A word of a title or an office: ``PolCouns``, ``Minister-Counselor``, ``A/DCM``,
    ``ISN/MTR``."""
    bare = token.strip(",;:()").lower().replace("’", "'").replace("d,", "d'")
    bare = bare[:-1] if bare.endswith(".") and bare[:-1] in _TITLE_WORDS else bare
    if not bare:
        return True
    if bare in _TITLE_WORDS or "/" in bare:
        return True
    return "-" in bare and all(part in _TITLE_WORDS for part in bare.split("-"))


def _person(descriptor: str, mixed: bool, titled_after: bool = False) -> str | None:
    """The name in one descriptor (``SCA Acting Assistant Secretary Donald C. Camp``), or
    None when it names only an office. In text of mixed case, a capitalised abbreviation
    before the name is an office too (``NEA DAS``, ``SCA``). ``titled_after``: a title
    follows in the next part (``Stephenson, AMB``), so one word is a name."""
    tokens = [t.strip(",;:()") for t in descriptor.split()]
    tokens = _mend([t for t in tokens if t.strip(".")])
    titled = titled_after
    while tokens and (
        _is_title(tokens[0])
        or (
            mixed
            and tokens[0].isupper()
            and len(tokens[0]) > 1
            and "." not in tokens[0]
            and len(tokens) > 1
            and not tokens[1].isupper()
        )
    ):
        tokens.pop(0)
        titled = True
    while tokens and (
        _is_title(tokens[-1]) or tokens[-1].islower() or not any(c.isalpha() for c in tokens[-1])
    ):
        tokens.pop()
    if (
        tokens
        and tokens[-1].endswith(".")
        and len(tokens[-1]) > 3
        and tokens[-1].lower() not in _SUFFIXES
    ):
        tokens[-1] = tokens[-1][:-1]  # the sentence's full stop
    # Unknown words of a title before the name: the name is the run of name words at the end.
    run = 0
    for i in range(len(tokens) - 1, -1, -1):
        t = tokens[i]
        if (
            (_NAME_TOKEN.match(t) and not _is_title(t))
            or t.lower() in _SUFFIXES
            or (t.lower() in _PARTICLES and i + 1 < len(tokens))
        ):
            run += 1
        else:
            break
    if run < len(tokens):
        titled = True
        tokens = tokens[len(tokens) - run :]
    if not tokens or len(tokens) > 5 or (len(tokens) == 1 and not titled):
        return None
    if any("XXXXXX" in t.upper() for t in tokens):  # redacted
        return None
    return " ".join(tokens)


def _mend(tokens: list[str]) -> list[str]:
    """Words a line end broke in two, joined again: ``Rosen blatt``, ``Do nald``, ``Y ee``."""
    out: list[str] = []
    for t in tokens:
        if (
            out
            and t.isalpha()
            and t.islower()
            and t not in _PARTICLES
            and not _is_title(t)
            and out[-1][:1].isupper()
            and out[-1].isalpha()
            and not _is_title(out[-1])
        ):
            out[-1] += t
        else:
            out.append(t)
    return out


def parse_classified_by(text: str) -> list[str]:
    """Names of who classified the cable, without titles and offices: ``Classified By: SCA
    Acting Assistant Secretary Donald C. Camp for reasons 1.4(b) and (d)`` -> ``["Donald C.
    Camp"]``; ``LAURENCE WOHLERS, POLITICAL MINISTER COUNSELOR`` -> ``["LAURENCE WOHLERS"]``;
    ``[]`` when only an office is named."""
    blocks = _classified_by_blocks(text) if has_classified_by(text) else (_short(text) or "",)
    block = blocks[0] if blocks else ""
    m = _REASONS.search(block)
    who = (block[: m.start()] if m else block).strip(" ,;:-")
    mixed = who != who.upper()
    names: list[str] = []
    for part in re.split(r"\s*;\s*|\s+(?:and|AND|&)\s+", who):
        pieces = [p.strip() for p in part.split(",")]
        # "Robert O. Blake, Jr." is one name
        joined: list[str] = []
        suffixes: list[str] = []
        for piece in pieces:
            if joined and piece.lower() in _SUFFIXES:
                suffixes[-1] = f", {piece}"
            elif piece:
                joined.append(piece)
                suffixes.append("")
        titles = [all(_is_title(w) for w in piece.split()) for piece in joined]
        if len(joined) >= 3 and titles[2] and all(len(p.split()) == 1 for p in joined[:2]):
            joined[:2] = [f"{joined[1]} {joined[0]}"]  # "Martinez, Vilma, Ambassador"
            suffixes[:2] = [suffixes[1]]
            titles[:2] = [False]
        for i, (piece, suffix) in enumerate(zip(joined, suffixes, strict=True)):
            after = i + 1 < len(joined) and titles[i + 1]
            name = _person(piece, mixed, after)
            if name:
                name += suffix
                if name not in names:
                    names.append(name)
                break
    return names


def parse_classification_reasons(text: str, section: str = "1.4") -> list[str]:
    """Reasons for classification: ``1.4(b) and (d)`` -> ``["1.4(b)", "1.4(d)"]``; letters
    without a section (``Reasons (b) and (d)``) take ``section`` (1.5 before E.O. 13292 of
    2003 renumbered the reasons, 1.4 after)."""
    blocks = _classified_by_blocks(text) if has_classified_by(text) else (_short(text) or "",)
    for block in blocks:
        # Words broken by a line end: "a nd", "reaso ns", "1. 4", "1 .4".
        block = re.sub(r"(?i)\ba\s?n\s?d\b", "and", block)
        block = re.sub(r"\b1\s*\.\s*([45])\s*\.?", r"1.\1", block)
        m = _REASONS.search(block)
        if m is None:
            continue
        part = re.sub(r"(?i)\bE\.\s*O\.\s*\d{5}", " ", block[m.start() :])
        part = re.sub(r"(?i)\band\b", "&", part)
        out: list[str] = []
        found = list(_REASON_SECTION.finditer(part))
        if not found:
            bare = re.match(
                r"(?i)[,;.]?\s*(?:for\s+)?reasons?\s*:?\s*((?:\(?\s*[a-h]\s*\)?(?:\s*(?:,|and|&|/))*\s*)+)",
                part,
            )
            found_letters = [(section, bare.group(1))] if bare else []
        else:
            found_letters = [(f"1.{f.group(1)}", f.group(2)) for f in found]
        for sec, letters in found_letters:
            for letter in re.findall(r"(?<![A-Za-z])[A-Ha-h](?![A-Za-z0-9])", letters):
                reason = f"{sec}({letter.lower()})"
                if reason not in out:
                    out.append(reason)
        if out:
            return out
    return []


_REASON_SECTION = re.compile(
    r"\b1\.(\d)\s*[,:]?\s*((?:\(?\s*[A-Ha-h]\s*\)?(?:\s*(?:,|and|&|/))*\s*)+)", re.IGNORECASE
)


# ---------------------------------------------------------------------------------------------
# Paragraphs, summary, comment

_MARKING = (
    r"\(\s*((?:TS|S|C|U|SBU|LOU|FOUO|CUI|[tscu]|sbu)"
    r"(?:\s*/\s*/?\s*[A-Za-z][A-Za-z ,/&-]*)?)\s*\)"
)
_PARA_START = re.compile(r"(?m)^[ \t]*¶?[ \t]*(\d{1,3})[ \t]*\.[ \t]+(?:" + _MARKING + r")?")
_MARKING_ONLY = re.compile(r"^\s*" + _MARKING)


def parse_paragraphs(body: str) -> list[Paragraph]:
    """The numbered paragraphs, each with its portion marking.

    A numbered line starts a new paragraph only when its number follows the previous one, so
    numbered lists inside a paragraph stay in it.
    """
    starts: list[tuple[int, int, int, str | None]] = []
    expected: int | None = None
    for m in _PARA_START.finditer(body):
        number = int(m.group(1))
        if expected is not None and number != expected:
            continue
        marking = _normalise_marking(m.group(2)) if m.group(2) else None
        starts.append((m.start(), m.end(), number, marking))
        expected = number + 1
    paragraphs: list[Paragraph] = []
    for i, (_, text_start, number, marking) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else len(body)
        text = _RULED_HEADING.split(body[text_start:end], 1)[0]
        if i + 1 == len(starts):
            text = _TRAILING_SIGNER.sub("", text)
        paragraphs.append(Paragraph(text=text.strip(), number=number, marking=marking))
    return paragraphs


#: A heading between dashed rules (``----\nBACKGROUND\n----``) ends the paragraph before it.
_RULED_HEADING = re.compile(r"\n[ \t]*-{3,}[ \t-]*\n")
_TRAILING_SIGNER = re.compile(r"\n\s*[A-Z][A-Z'’-]+(?:[ /][A-Z][A-Z'’-]+){0,2}\s*$")


def _normalise_marking(raw: str) -> str:
    """``S/Rel Pakistan`` -> ``S/REL PAKISTAN``, ``S / NF`` -> ``S/NF``."""
    text = re.sub(r"\s*/\s*", "/", raw.strip().upper())
    return _WS.sub(" ", text)


def _search_near(
    pattern: re.Pattern[str], text: str, needles: tuple[str, ...], before: int = 16
) -> re.Match[str] | None:
    """``pattern.search(text)`` started just before the first literal hit: the same result
    when every match contains one of ``needles``, far faster on long text."""
    hits = [i for i in (text.find(n) for n in needles) if i != -1]
    if not hits:
        return None
    return pattern.search(text, max(0, min(hits) - before))


def _span_text(
    text: str, start: re.Pattern[str], end: re.Pattern[str], needles: tuple[str, ...]
) -> str | None:
    m = _search_near(start, text, needles)
    if not m:
        return None
    rest = text[m.end() : m.end() + 12000]
    e = end.search(rest)
    if e:
        chunk = rest[: e.start()]
    else:
        nxt = re.search(r"\n\s*\n\s*¶?\s*\d{1,3}\s*\.\s|\n\s*-{3,}", rest)
        chunk = rest[: nxt.start()] if nxt else rest[:3000]
    chunk = re.sub(r"^\s*-{3,}\s*", "", chunk)
    chunk = re.sub(r"^\s*¶?\s*\d{1,3}\s*\.\s*", "", chunk)
    chunk = _MARKING_ONLY.sub("", chunk)
    chunk = clean(chunk).strip(" :-")
    return chunk or None


_COMMENT_START = re.compile(r"\b(?:BEGIN\s+)?COMMENT\s*(?::|\.|-{2,}|\n\s*-{3,})", re.IGNORECASE)
_SUMMARY_NEEDLES = ("SUMMARY", "Summary", "summary", "SUmmary")
_COMMENT_NEEDLES = ("COMMENT", "Comment", "comment")
_COMMENT_END = re.compile(r"\bEND\s+(?:OF\s+)?COMMENT\b\.?", re.IGNORECASE)


def parse_summary(text: str) -> str | None:
    """The summary, as one clean line of text: from its label (``SUMMARY:``, ``Summary and
    comment:``, ``Summary/Comment:``, a ``SUMMARY`` heading over a rule, ``BEGIN SUMMARY``) to
    ``END SUMMARY`` (or its variants), else to the end of its paragraph; with no label, the
    paragraph that ends with ``END SUMMARY``."""
    if not any(n in text for n in _SUMMARY_NEEDLES):
        return None
    if "\\\n" in text or "\\ \n" in text:
        text = _ESCAPED_END.sub("\n", text)
    start = None
    for word in _SUMMARY_WORD.finditer(text):
        # The label starts at most "BEGIN INTRODUCTION AND " before the word.
        m = _SUMMARY_LABEL.search(text, max(0, word.start() - 24), word.end() + 30)
        if m is None or m.start() > word.start() or m.end() < word.end():
            continue
        line_start = text.rfind("\n", 0, m.start()) + 1
        ended = re.search(r"(?i)\bEND(?:\s+OF)?\s*$", text[max(0, m.start() - 12) : m.start()])
        if _LABEL_PREFIX.fullmatch(text[line_start : m.start()]) and not ended:
            start = m
            break
    end = None if start is not None else _SUMMARY_END.search(text)
    if start is not None:
        rest = _PAGE_BREAK.sub(
            "\n", _ESCAPED_END.sub("\n", text[start.end() : start.end() + 15_000])
        )
        e = _SUMMARY_END.search(rest)
        if e is not None:
            chunk = rest[: e.start()]
        else:
            body = re.match(r"(?:\s|[-=]{3,}|¶)*", rest)
            skip = body.end() if body else 0
            nxt = re.search(r"\n[ \t]*\n|\n[ \t]*[-=]{3,}", rest[skip:])
            chunk = rest[: skip + nxt.start()] if nxt else rest[:3000]
    elif end is not None:
        before = text[max(0, end.start() - 6000) : end.start()]
        para = list(re.finditer(r"(?m)\n[ \t]*\n|^[ \t]*¶?[ \t]*\d{1,3}[ \t]*\.[ \t]", before))
        if not para:
            return None
        chunk = before[para[-1].start() :]
    else:
        return None
    chunk = _PAGE_BREAK.sub("\n", _ESCAPED_END.sub("\n", chunk))
    chunk = re.sub(r"^(?:\s|[-=]{3,}|¶)*", "", chunk)
    chunk = re.sub(r"^\d{1,3}\s*\.\s*", "", chunk)
    chunk = re.sub(r"^\(?\s*[A-Za-z]{1,3}(?:\s*/{1,2}\s*[A-Za-z ]+)?\s*\)\s*", "", chunk)
    again = _SUMMARY_LABEL.match(chunk)  # a heading, then "1. (C) Summary: ..."
    if again and again.group().rstrip()[-1:] in (":", "."):
        chunk = chunk[again.end() :]
    summary = clean(chunk).strip(" :-").rstrip(" (")
    return summary or None


_SUMMARY_WORD = re.compile(r"SUMMARY|Summary|summary|SUmmary")
_SUMMARY_LABEL = re.compile(
    r"(?i)\b(?:BEGIN\s+)?(?:INTRODUCTION\s*(?:AND|/)\s*)?SUMMARY"
    r"(?:\s*(?:AND|/|&)\s*(?:COMMENTS?|ACTION\s+REQUESTS?|INTRODUCTION|ANALYSIS"
    r"|RECOMMENDATIONS?|BACKGROUND|OUTLOOK))*"
    r"[ \t]*(?::|\.(?!\w)|-+|[ \t]{2,}(?=\S)|\n)"
)
_LABEL_PREFIX = re.compile(
    r"[ \t¶]*(?:.*?[.!?][ \t]+\d{1,3}[ \t]*\.[ \t]*|\d{1,3}[ \t]*\.?[ \t]*)?"
    r"(?:\(?[ \t]*[A-Za-z]{1,3}(?:[ \t]*/{1,2}[ \t]*[A-Za-z ]+)?\)[ \t]*)?"
)
_ESCAPED_END = re.compile(r"[ \t]*\\[ \t]*\n")
"""A line end escaped with a backslash, as the release's cables.csv writes them."""
"""What may stand before a summary's label on its line: a paragraph number and marking."""
_SUMMARY_END = re.compile(
    r"(?i)\(?\b(?:END|(?-i:EN))\s+(?:OF\s+)?(?:INTRODUCTION\s*(?:AND|/)\s*)?SUMMARY\b"
    r"(?:\s*(?:AND|/|&)\s*(?:COMMENTS?|ACTION\s+REQUESTS?|INTRODUCTION))*[^.\n]*\.?\)?"
)
_PAGE_BREAK = re.compile(
    r"\n[ \t]*(?:UNCLASSIFIED|CONFIDENTIAL|SECRET|LIMITED OFFICIAL USE)[ \t]*\n(?:[ \t]*\n)*"
    r"[ \t]*PAGE \d+[^\n]*\n"
)


def parse_comment(text: str) -> str | None:
    """The first ``COMMENT: ... END COMMENT`` passage, as one clean line of text."""
    return _span_text(text, _COMMENT_START, _COMMENT_END, _COMMENT_NEEDLES)


# ---------------------------------------------------------------------------------------------
# Signers, redactions, partial extracts

_TRAILER = re.compile(
    r"^(?:UNCLAS(?:SIFIED)?|CONFIDENTIAL|SECRET|LIMITED OFFICIAL USE|NOFORN|SIPDIS|NNNN?|BT|"
    r"END|EXEMPT|GP-\d|#+\d*|.*CABLE ENDS.*|\*+|.*SYSTEMATIC REVIEW.*|.*GRAFELD.*|"
    r".*DECLASSIFIED/RELEASED.*|v\d+(?:\.\d+)+|>|\"|PAGE \d+\s.*|.*\.\.\.|"
    r"\d{4}[A-Z]{3,}\d{5}\s*-\s.*|"
    r"(?-i:VZCZC\S*|[A-Z]{4,8}/.*|[A-Z]{1,2} \d{6}Z.*|"
    r"(?:FM|TO|INFO|DE|ZNY|ZEN)\s.*|[A-Z]{2}\s+RU[A-Z]{3}.*)|"
    r"(?:[A-Z] ){3,}[A-Z]|-+|\.+|=+|\"|\(?END (?:TEXT|QUOTE)\.?\)?)\s*$",
    re.IGNORECASE,
)
"""Lines that may follow the signature: classification and handling lines, ``NNNN``, page
headers, the archive's ``2004CARACA01540 - UNCLASSIFIED`` and ``v1.6.2`` trailers, and the
routing header of a next section (``VZCZC...``, ``DE RUEHFR #3740``, ``RUEHC/SECSTATE ...``)."""
_WEBSITE_SIGNER = re.compile(r"(?i)classified website:.*\s(?-i:([A-Z][A-Za-z'’-]+))\s*$")
_RUN_ON = re.compile(r'\s*",\s*\d{1,2}/\d{1,2}/\d{4},|\n[ \t]*VZCZC')
"""Where a page's text runs on past its signature: a dump row's next fields, or the
routing header of the cable's next section."""
_SIGNER_LINE = re.compile(
    r"^(?:(?:van|von|de|del|da|di|le|la)\s)?[A-Z][A-Za-z'’.-]+(?:\s[A-Z][A-Za-z'’.-]+){0,2}$"
)
_SIGNER_AT_END = re.compile(
    r"(?:[.!?\"”)*:]|X{6,}|\s{2,})\s*((?:(?:van|von|de|del|da|di|le|la)\s)?"
    r"[A-Z][A-Za-z'’-]+(?:\s[A-Z][A-Z'’-]+)?)\s*$"
)
_NOT_A_NAME = {
    "END",
    "COMMENT",
    "SUMMARY",
    "TEXT",
    "QUOTE",
    "UNQUOTE",
    "NOTE",
    "MINIMIZE",
    "CONSIDERED",
    "THANKS",
    "THANK",
    "YOU",
    "REGARDS",
    "XXXXXXXXXXXX",
    "THE",
    "AND",
    "END COMMENT",
    "END SUMMARY",
    "END NOTE",
    "CONFIDENTIAL",
    "SECRET",
    "UNCLASSIFIED",
}


def parse_signers(text: str) -> list[str]:
    """Who signed the cable: the name(s) on the last line of the body (``RICE``), also when
    the name was run onto the end of the last sentence (``... End comment. SCOBEY``), after
    trailer lines, or before what a page ran on into; a title before the name is dropped
    (``CDA Griffiths`` -> ``Griffiths``)."""
    tail = text[-4000:]
    found = _signers(tail)
    if not found:
        for m in reversed(list(_RUN_ON.finditer(tail))):
            found = _signers(tail[: m.start()])
            if found:
                break
    return found


def _signers(text: str) -> list[str]:
    lines = [ln.strip() for ln in text.rstrip().split("\n")]
    seen = 0
    for line in reversed(lines):
        line = re.sub(r"^X{6,}\s*|\s*[\\\"]+$", "", line)
        if not line or _TRAILER.match(line):
            continue
        seen += 1
        if seen > 12:
            return []
        site = _WEBSITE_SIGNER.search(line)
        if site:  # "Visit London's Classified Website: http://... Tuttle"
            return [site.group(1)]
        words = line.split()
        while 1 < len(words) <= 3 and _is_title(words[0]) and words[0] not in ("THE", "AND"):
            words.pop(0)  # a short line of a title and a name: "CDA Griffiths"
        candidate = " ".join(words) if _SIGNER_LINE.match(" ".join(words)) else line
        if not _SIGNER_LINE.match(candidate):
            m = _SIGNER_AT_END.search(candidate)
            if not m:
                return []
            candidate = re.sub(r"^X{6,}\s*", "", m.group(1))
        parts = [p.strip() for p in re.split(r"\s*/\s*|\s+AND\s+", candidate) if p.strip()]
        if any(p.upper() in _NOT_A_NAME or len(p) > 30 for p in parts):
            return []
        if any(p != p.upper() for p in parts) and len(candidate.split()) > 2:
            return []
        return parts
    return []


_REDACTION = re.compile(r"X{6,}")


def count_redactions(text: str) -> int:
    """Number of redactions (runs of ``XXXXXX``)."""
    if "XXXXXX" not in text:
        return 0
    return len(_REDACTION.findall(text))


_PARTIAL = re.compile(r"partial extract of the original cable", re.IGNORECASE)


def is_partial(*texts: str) -> bool:
    """Whether the source holds only an extract of the cable."""
    return any(t and "artial extract" in t and _PARTIAL.search(t) for t in texts)


# ---------------------------------------------------------------------------------------------
# Person tags

_BRACKET = re.compile(r"\(([^()]*)\)")
_CODE_BEFORE = re.compile(r"(?:^|[\s,;:(])([A-Za-z][A-Za-z0-9]{1,5})[ \t]*$")
_PERSON_NAME = re.compile(r"[^\W\d_][\w.'’ ,:-]*[^\W\d_].?", re.UNICODE)
_ET_AL = re.compile(r"[ ,]+ET\.?[ \t]+AL\.?$", re.IGNORECASE)
_TAGS_LABEL = re.compile(
    r"(?im)(?:^[ \t¶]*TAGS?(?![A-Za-z])[ \t]*:?|(?<![A-Za-z])TAGS?[ \t]*:)[ \t]*(.*)"
)
"""The TAGS label at the start of a line (``TAGS: ...``, ``TAGS OVIP ...``) or with its
colon (run on after another field: ``DECL: 05/21/2015TAGS: PREL``)."""
_TAGS_BLOCK_STOP = re.compile(
    r"(?i)^\s*(?:¶?\s*\d{1,3}\s*\.|SUBJ|REFS?\b|E\.\s*O|CLASSIFIED|DECL|SUMMARY)"
)


def _tags_block(text: str) -> str | None:
    """The TAGS field with its continuation lines (a bracket may go on to the next line)."""
    m = _TAGS_LABEL.search(text)
    if m is None:
        return None
    lines = [m.group(1)]
    for line in text[m.end() + 1 :].split("\n")[:3]:
        if not line.strip() or _TAGS_BLOCK_STOP.match(line):
            break
        lines.append(line.replace(_PILCROW, " ").strip())
    block = re.sub(r"-[ \t]*\n", "-", "\n".join(lines)).replace("\n", " ")
    end = _TAGS_END.search(block)
    return block[: end.start()] if end else block


def parse_person_tags(text: str) -> list[str]:
    """Person tags of a TAGS line: the names in brackets after a tag, in order, without
    repeats: ``TAGS: APEC ECON OPDC BX OVIP (CLINTON, WILLIAM J.)`` -> ``["CLINTON, WILLIAM
    J."]``. Takes the whole body or the TAGS field. Upper-cased, white space collapsed and a
    trailing ``ET AL`` dropped; a bracket after a word of prose (``Defense Reform (Mil &
    NATO)``, ``Free Trade Area of the Americas (FTAA)``) or holding one word is no name."""
    block = _tags_block(text)
    if not block or "(" not in block:
        return []
    found: list[str] = []
    for m in _BRACKET.finditer(block):
        before = block[: m.start()].rstrip()
        code = _CODE_BEFORE.search(before)
        if code:  # after a code (OVIP, HO), not after a word of prose (Reform, America)
            if not (code.group(1).isupper() or before.islower()):
                continue
        elif before and before[-1] not in ",;:":
            continue  # an entry of its own (``DR, (CASTILLO, ...)``) or nothing
        name = _WS.sub(" ", m.group(1)).strip(" ,;")
        name = re.sub(r"^OVIP\s*,\s*", "", name, flags=re.IGNORECASE)  # LY(OVIP, RUMSFELD D)
        name = _ET_AL.sub("", name).strip(" ,").upper()
        if " " not in name and "," not in name:
            continue  # one word: an acronym, not a person
        if _PERSON_NAME.fullmatch(name) and name not in found:
            found.append(name)
    return found
