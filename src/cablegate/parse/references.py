"""The ``REF:`` field: references to other cables and to other documents."""

from __future__ import annotations

import re

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
    """The text of the body's ``REF:`` field, continuation lines included."""
    m = re.search(rf"(?im)^[ \t]*¶?[ \t]*{_REF_LABEL}\b[ \t]*(?:[A-Z][ \t]*:)?[ \t]*[:.]?", body)
    if not m:
        return None
    lines = [body[m.end() : body.find("\n", m.end()) if "\n" in body[m.end() :] else None]]
    pos = body.find("\n", m.end())
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
    return "\n".join(lines)


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


def _cables_in(entry: str, year: str | None, own_station: str | None) -> list[tuple[str, str]]:
    """Cable IDs named in one entry, as (canonical ID, matched text)."""
    tokens = list(_TOKEN.finditer(entry))
    found: list[tuple[str, str]] = []
    used_until = -1
    for i, tok in enumerate(tokens):
        if not re.fullmatch(r"\d{1,7}", tok.group()) or i <= used_until:
            continue
        number = int(tok.group())
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
            alone = re.fullmatch(r"\s*(?:\d{2,4}\s+)?\d{1,7}\s*", entry.strip(" .,;:()"))
            if not (alone and own_station):
                continue
            code = own_station
        else:
            code = best[1]
        if ref_year is None:
            continue
        text = entry[tokens[start_index].start() : tok.end()]
        found.append((f"{ref_year}{code}{number}", text))
        used_until = i
    return found


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
    if re.search(rf"(?im)^[ \t]*¶?[ \t]*{_REF_LABEL}\b", text):
        block = reference_block(text) or ""
    else:
        block = text
    block = block.replace("¶", " ")
    if not block.strip():
        return []
    yy = two_digit_year(year) if year is not None and str(year).strip().isdigit() else None
    own = split_id(reference_id)[1] if reference_id and split_id(reference_id) else None
    refs: list[Reference] = []
    seen: set[str] = set()
    for label, raw in _split_entries(block):
        entry_text = " ".join(raw.split()).strip(" ;,.:")
        if not entry_text:
            continue
        upper = entry_text.upper()
        cables = _cables_in(upper, yy, own)
        for canonical, matched in cables:
            if canonical in seen:
                continue
            seen.add(canonical)
            refs.append(Reference(kind="cable", value=canonical, text=matched, label=label))
        if not cables:
            value = _NOISE.sub("", entry_text).strip(" ;,.:()") or entry_text
            refs.append(Reference(kind=_kind_of(upper), value=value, text=entry_text, label=label))
    return refs
