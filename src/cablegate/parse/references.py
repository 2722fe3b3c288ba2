"""The ``REF:`` field: references to other cables and to other documents."""

from __future__ import annotations

import re
from dataclasses import dataclass

from cablegate.model import Reference
from cablegate.parse.ids import split_id, station_code, two_digit_year

_REF_LABEL = r"(?:REFS?|REFTELS?|REFERENCES?|REF\s+TEL)"
_LABEL = re.compile(r"(?:(?<=[\s;,(])|^)(?:REF\s+)?\(?([A-Z])\s*(?:\)|\.(?=\s)|:)\s*")
_TOKEN = re.compile(r"[A-Z0-9][A-Z0-9'’.&-]*")
_KINDS = (
    ("email", re.compile(r"E-?MAILS?\b|\bEMAIL")),
    ("telcon", re.compile(r"\bTELCONS?\b|\bTELECONS?\b|\bPHONE\b|\bTELEPHONE\b|\bCALLS?\b")),
    ("memo", re.compile(r"\bMEMO(?:RANDUM)?S?\b")),
    ("letter", re.compile(r"\bLETTERS?\b|\bDIPNOTE\b|\bNOTE\b")),
    ("fax", re.compile(r"\bFAX\b")),
    ("report", re.compile(r"\bREPORTS?\b|\bIIR\b|\bTD-?\d|\bCRS\b|\bSTUDY\b")),
    ("meeting", re.compile(r"\bMEETINGS?\b|\bCONVERSATIONS?\b|\bMEMCON\b|\bDISCUSSIONS?\b")),
    ("airgram", re.compile(r"\bA-\d+|\bCA-\d+|\bAIRGRAM\b")),
)
_NOISE = re.compile(r"\b(?:AND\s+PREVIOUS|NOTAL|CIRCULAR|ALL\s+NOTAL|PREVIOUS)\b")


def reference_block(body: str) -> str | None:
    """The text of the body's ``REF`` fields, continuation lines included: every REF field
    before the first paragraph (a page may hold a cut preview of the field, then the field
    again in full), also one run onto the subject's line (``SUBJECT: ... REF: A. ...``)."""
    if "REF" not in body and "Ref" not in body and "ref" not in body:
        return None
    body = body[:12_000]
    if "PAGE" in body:
        body = _PAGE_BREAK.sub("\n", body)
    first = _first_paragraph(body)
    blocks: list[tuple[str, int]] = []
    for m in _REF_START.finditer(body, 0, max(first, 3000)):
        if blocks and m.start() < blocks[-1][1]:
            continue
        if m.start() > first and not m.group().lstrip(" \t¶").upper().startswith("REF"):
            continue  # in a paragraph, only a label that starts its line
        if m.start() > first and body.rfind("\n", 0, m.start()) + 1 < m.start() - 3:
            continue
        block, end = _block_at(body, m)
        blocks.append((block, end))
    found = [b for b, _ in blocks if b.strip(" .…\n\t¶")]
    return "\n".join(found) if found else (blocks[0][0] if blocks else None)


_REF_START = re.compile(
    rf"(?im)(?:^[ \t]*¶?[ \t]*{_REF_LABEL}\b[ \t]*(?:[A-Z][ \t]*:)?[ \t]*[:.]?"
    r"|(?<![A-Z])REFS?[ \t]*:)"
)
_PAGE_BREAK = re.compile(
    r"\n[ \t]*(?:UNCLASSIFIED|CONFIDENTIAL|SECRET|LIMITED OFFICIAL USE)?[ \t]*\n(?:[ \t]*\n)*"
    r"[ \t]*PAGE \d+[^\n]*\n"
)
"""A page break of an older telegram (its classification, ``PAGE 02 VATICA 01419 01 OF 02
131649Z``): a REF field runs on after it."""
_STOP = re.compile(
    r"(?i)\bclassified\s+by\b|\bVZCZC|\b\d{6}Z\s+[A-Z]{3}\s+\d{2}\s*FM\b|\bE\.\s?O\.\s?1\d{4}"
    r"|\bTAGS:|\bSUBJECT:|\s\d{8}\s+\d{3}(?:\.\d)?\s+OF\s+\d{3}\b|\bDERIVED\s+FROM\b"
)
"""Where a REF field run together with the next field or a page marker ends."""


def _first_paragraph(body: str) -> int:
    m = re.search(r"(?m)^[ \t]*¶?[ \t]*1[ \t]*\.[ \t]*(?:\(|[A-Z])", body)
    return m.start() if m else min(len(body), 8000)


def _block_at(body: str, m: re.Match[str]) -> tuple[str, int]:
    """The field's text from its label on, and where it ends."""
    first_end = body.find("\n", m.end())
    lines = [body[m.end() : first_end if first_end != -1 else None]]
    pos = first_end
    while pos != -1:
        nxt = body.find("\n", pos + 1)
        line = body[pos + 1 : nxt if nxt != -1 else None]
        stripped = line.replace("¶", "").strip()
        if not stripped:
            if lines and any(s.strip() for s in lines) and not _continues(body, nxt):
                break
            pos = nxt
            continue
        if re.match(
            r"(?i)(?:E\.\s*O\.|TAGS|SUBJ|CLASSIFIED|\(?[UCS]\)?\s*CLASSIFIED|\d{1,2}\s*\.\s"
            r"|SUMMARY|-{3,}|SIPDIS|SENSITIVE|PAGE \d)",
            stripped,
        ):
            if not re.match(r"PAGE \d", stripped):
                break
            pos = nxt
            continue
        lines.append(line)
        pos = nxt
    text = "\n".join(lines)
    stop = _STOP.search(text)
    if stop:
        text = text[: stop.start()]
    return text, m.end() + len(text)


def _continues(body: str, pos: int) -> bool:
    """Whether the REF list goes on after a blank line (a lettered entry follows)."""
    if pos == -1:
        return False
    rest = body[pos + 1 : pos + 200].lstrip("\n ¶")
    return bool(re.match(r"[B-Z]\s*[.)]\s", rest))


def _split_entries(text: str) -> list[tuple[str | None, str]]:
    """Lettered entries (``A. ...  B. ...``) or, without letters, entries split at ``;``."""
    labels: list[tuple[int, int, str]] = []
    expected = "A"
    for m in _LABEL.finditer(text):
        letter = m.group(1)
        if letter == expected:
            labels.append((m.start(), m.end(), letter))
            expected = chr(ord(letter) + 1)
        elif labels and letter == labels[-1][2] and m.start() == labels[-1][1]:
            labels[-1] = (labels[-1][0], m.end(), letter)  # "A. A. 02 NEW DELHI 6938"
    if not labels:
        return [(None, part) for part in re.split(r";|\n(?=\s*\S)", text) if part.strip()]
    entries: list[tuple[str | None, str]] = []
    head = text[: labels[0][0]]
    if head.strip(" :;,.\n"):
        entries.append((None, head))
    for i, (_, end, letter) in enumerate(labels):
        stop = labels[i + 1][0] if i + 1 < len(labels) else len(text)
        entries.append((letter, text[end:stop]))
    return entries


_GLUED = re.compile(r"\b(\d{2}|\d{4})?([A-Z]{3,})(\d{1,7})\b")
_YEAR_GLUED = re.compile(r"\b(\d{2})([A-Z]{3,})\b")
_YEAR_BEFORE = re.compile(r"\b([A-Z]{3,})\s*\((\d{2}|\d{4})\)\s*(?=\d)")
_YEAR_AFTER = re.compile(r"^\s*(?:\((\d{2}|\d{4})\)|/(\d{2})(?!\d)|-(\d{2})(?!\d))")


def _unglue(entry: str) -> str:
    """``02VATICAN5607`` -> ``02 VATICAN 5607``, ``SANAA5295`` -> ``SANAA 5295``, ``STATE (01)
    201265`` -> ``01 STATE 201265``: the forms the token scan below reads."""

    def split(m: re.Match[str]) -> str:
        if station_code(m.group(2)) is None:
            return m.group(0)
        return " ".join(g for g in m.groups() if g)

    entry = _GLUED.sub(split, entry)
    entry = _YEAR_GLUED.sub(
        lambda m: f"{m.group(1)} {m.group(2)}" if station_code(m.group(2)) else m.group(0), entry
    )
    return _YEAR_BEFORE.sub(lambda m: f"{m.group(2)} {m.group(1)} ", entry)


@dataclass
class _Context:
    """What a number without its own station refers back to, within one REF field."""

    station: str | None = None
    year: str | None = None


def _cables_in(
    entry: str, year: str | None, own: tuple[str, str, int] | None, context: _Context
) -> list[tuple[str, str]]:
    """Cable IDs named in one entry, as (canonical ID, matched text)."""
    entry = _unglue(entry)
    tokens = list(_TOKEN.finditer(entry))
    found: list[tuple[str, str]] = []
    used_until = -1
    for i, tok in enumerate(tokens):
        if i <= used_until:
            continue
        number_text = tok.group()
        span = re.fullmatch(r"(\d{1,7})-(\d{2,7})", number_text)
        if span:
            number_text = span.group(1)
        elif not re.fullmatch(r"0*\d{1,7}", number_text):
            continue
        number = int(number_text)
        best: tuple[int, str] | None = None
        for width in range(min(4, i - used_until - 1), 0, -1):
            words = [t.group() for t in tokens[i - width : i]]
            if any(re.search(r"\d", w) for w in words):
                continue
            code = station_code(" ".join(words))
            if code:
                best = (i - width, code)
                break
        start_index = best[0] if best else i
        ref_year = year
        prev = start_index - 1
        if prev > used_until and re.fullmatch(r"\d{2}|\d{4}", tokens[prev].group()):
            candidate = int(tokens[prev].group())
            if len(tokens[prev].group()) == 2 or 1960 <= candidate <= 2011:
                ref_year = two_digit_year(candidate)
                start_index = prev
        if best is None:
            code = _bare(number_text, entry, tokens, i, own, context, year, used_until)
            if code is None:
                continue
            ref_year = ref_year if prev > used_until and start_index == prev else context.year
            ref_year = ref_year or year
        else:
            code = best[1]
        after = _YEAR_AFTER.match(entry[tok.end() :])
        if after and not span:
            ref_year = two_digit_year(next(g for g in after.groups() if g))
        elif span and len(span.group(2)) == 2 and not 0 < int(span.group(2)) - number % 100 < 30:
            ref_year = two_digit_year(span.group(2))  # "ASUNCION 701-91"
        if ref_year is None:
            continue
        written = start_index == prev or bool(after) or (span and len(span.group(2)) == 2)
        if (
            not written
            and best is not None
            and own
            and (own[1], own[0]) == (code, ref_year)
            and number > own[2]
        ):  # a cable of its own post above its own number: a post numbers through each year
            ref_year = two_digit_year(int(ref_year) - 1)
        text = entry[tokens[start_index].start() : tok.end()]
        numbers = [number]
        if span and len(span.group(2)) >= 3 and 0 < int(span.group(2)) - number <= 30:
            numbers = list(range(number, int(span.group(2)) + 1))  # "NEW DELHI 6773-6779"
        for n in numbers:
            found.append((f"{ref_year}{code}{n}", text))
        context.station, context.year = code, ref_year
        used_until = i
        if after and not span:
            end = tok.end() + after.end()
            while used_until + 1 < len(tokens) and tokens[used_until + 1].start() < end:
                used_until += 1  # the year's own token
    return found


def _bare(
    number_text: str,
    entry: str,
    tokens: list[re.Match[str]],
    i: int,
    own: tuple[str, str, int] | None,
    context: _Context,
    year: str | None,
    used_until: int,
) -> str | None:
    """The station of a number written without one: that of the reference just before it
    when only ``AND`` or a comma stands between them (``ANKARA 6163 AND 4315``), or when the
    number is its lettered entry's only word (``A) STATE 15111 AND B) 13716``); alone in its
    field, the citing cable's own station when the number is below its own (an earlier cable
    of the same post). Never from one or two digits, nor from a year."""
    if len(number_text) < 3 or (len(number_text) == 4 and 1960 <= int(number_text) <= 2011):
        return None
    between = [t.group() for t in tokens[used_until + 1 : i]]
    only = re.fullmatch(r"\s*(?:\d{2,4}\s+)?\d{1,7}\s*", entry.strip(" .,;:()"))
    if context.station is not None:
        if (used_until >= 0 and all(w in ("AND", "&") for w in between)) or only:
            return context.station
        return None
    if only and own is not None and own[0] == (year or own[0]) and int(number_text) < own[2]:
        return own[1]
    return None


def _kind_of(entry: str) -> str:
    for kind, pattern in _KINDS:
        if pattern.search(entry):
            return kind
    return "other"


def parse_references(
    text: str,
    year: int | str | None,
    reference_id: str | None = None,
) -> list[Reference]:
    """References of a ``REF:`` field (or of a whole body, whose REF field is then found).

    Cable references are resolved against the citing cable's ``year`` (two or four digits)
    and, for bare numbers, the station of its ``reference_id``:
    ``A. ISLAMABAD 1 B. 08 NEW DELHI 3268 AND PREVIOUS`` in a 2009 cable gives
    ``09ISLAMABAD1`` and ``08NEWDELHI3268``. Other entries (e-mails, telcons, reports ...)
    are kept with their kind and text.
    """
    if _REF_START.search(text):
        return _parse_block(reference_block(text) or "", year, reference_id)
    return _parse_block(text, year, reference_id)


def body_references(
    body: str, year: int | str | None, reference_id: str | None = None
) -> list[Reference]:
    """The references of a whole body's REF fields (none when it has no REF field)."""
    block = reference_block(body)
    return _parse_block(block, year, reference_id) if block else []


def _parse_block(block: str, year: int | str | None, reference_id: str | None) -> list[Reference]:
    block = block.replace("¶", " ")
    if not block.strip():
        return []
    yy = two_digit_year(year) if year is not None and str(year).strip().isdigit() else None
    own = split_id(reference_id) if reference_id else None
    refs: list[Reference] = []
    seen: set[str] = set()
    context = _Context()
    for label, raw in _split_entries(block):
        entry_text = " ".join(raw.split()).strip(" ;,.:")
        if not entry_text:
            continue
        upper = entry_text.upper()
        cables = _cables_in(upper, yy, own, context)
        for canonical, matched in cables:
            if canonical in seen:
                continue
            seen.add(canonical)
            refs.append(Reference(kind="cable", value=canonical, text=matched, label=label))
        if not cables:
            value = _NOISE.sub("", entry_text).strip(" ;,.:()") or entry_text
            refs.append(Reference(kind=_kind_of(upper), value=value, text=entry_text, label=label))
    return refs
