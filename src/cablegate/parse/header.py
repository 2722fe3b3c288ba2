"""The transmission header: transmission ID, routing, date-time group, FM / TO / INFO."""

from __future__ import annotations

import datetime as dt
import re

from cablegate.model import Recipient, Transmission

_MONTHS = {
    m: i
    for i, m in enumerate(
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), 1
    )
}
_DTG = re.compile(
    r"(?m)^[ \t]*(?:([A-Z](?:[ \t][A-Z])?)[ \t]+)?(\d{6}[ \t]?Z)[ \t]+([A-Z]{3})[ \t]+(\d{2,4})\b"
    r"[ \t]*(.*)$"
)
_PRECEDENCES = ("NIACT IMMEDIATE", "FLASH", "IMMEDIATE", "PRIORITY", "ROUTINE")
_RECIPIENT = re.compile(
    r"^(?:(?:ZEN|ZFR)/)?(?:(?P<route>[A-Z]{4,8})/)?(?P<name>.*?)"
    r"(?:\s+(?P<prec>" + "|".join(_PRECEDENCES) + r"))?"
    r"(?:\s+(?P<mcn>\d{1,6}))?\s*$"
)
_SECTION_WORDS = ("TO", "INFO", "XMT", "BT", "NNNN")
_GARBLED = re.compile(r"\s+(?:JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)(?:\s+LIMA)?$")
"""A month where the precedence belongs (``AMEMBASSY LA PAZ OCT 0644``, ``... FEB LIMA``):
a garble of the release's La Paz lines; no station's name ends so."""


def parse_dtg(dtg: str) -> dt.datetime | None:
    """``102226Z APR 08`` -> 2008-04-10 22:26 UTC (None when not a valid DTG)."""
    m = re.match(r"\s*(\d{2})(\d{2})(\d{2})Z\s+([A-Z]{3})\s+(\d{2,4})", dtg.upper())
    if not m:
        return None
    day, hour, minute, mon, year = m.groups()
    if mon not in _MONTHS:
        return None
    y = int(year)
    if y < 100:
        y += 1900 if y >= 40 else 2000
    try:
        return dt.datetime(y, _MONTHS[mon], int(day), int(hour), int(minute), tzinfo=dt.UTC)
    except ValueError:
        return None


def _addresses(header: str) -> str:
    """The header from its ``FM`` line on: the ``ACTION`` / ``INFO`` lists of office codes
    some headers carry before it (``INFO LOG-00 NP-00 ...``) are the Department's own
    distribution, not addressees."""
    m = _FM.search(header)
    return header[m.start() :] if m else header


_FM = re.compile(r"(?m)^[ \t]*FM[ \t]+(.+)$")
_ROUTING_FM = re.compile(r"(?m)^[ \t]*FM[ \t]+[^a-z\n]+$(?=\n[ \t]*TO[ \t])")
"""An FM line of a routing header: upper case, a TO line next (not "FM Surakiart ..." of a
paragraph, where FM is the Foreign Minister)."""


def _section_lines(header: str, keyword: str) -> list[str]:
    """The lines of one address section (``TO`` or ``INFO``), its keyword removed."""
    lines = _addresses(header).split("\n")
    out: list[str] = []
    inside = False
    for i, line in enumerate(lines):
        stripped = line.strip()
        word = stripped.split(" ", 1)[0] if stripped else ""
        if word == keyword:
            inside = True
            rest = stripped[len(keyword) :].strip()
            if rest:
                out.append(rest)
            continue
        if inside:
            if not stripped:
                if _next_is_address(lines, i):
                    continue  # a blank line inside the list
                break
            if word in _SECTION_WORDS or word == "FM":
                break
            out.append(stripped)
    return out


def _next_is_address(lines: list[str], i: int) -> bool:
    """Whether the next non-blank line after ``i`` is an address with its routing indicator
    (``RHEHAAA/NSC WASHDC``)."""
    for line in lines[i + 1 :]:
        if line.strip():
            return bool(re.match(r"[ \t]*[A-Z]{4,8}/[A-Z]", line))
    return False


def parse_recipient(line: str) -> Recipient | None:
    """One address line: ``RUEHC/SECSTATE WASHDC PRIORITY 5072``."""
    text = " ".join(line.split()).strip(" ,")
    if not text:
        return None
    m = _RECIPIENT.match(text)
    if not m or not m.group("name"):
        return Recipient(name=text)
    name = _GARBLED.sub("", m.group("name").strip()) or m.group("name").strip()
    return Recipient(
        name=name,
        route=m.group("route"),
        precedence=m.group("prec"),
        mcn=m.group("mcn"),
        collective=bool(re.search(r"\bCOLLECTIVE\b|\bPOSTS\b|\bALL\b.*\bPOSTS?\b", name)),
    )


def _recipients(lines: list[str]) -> list[Recipient]:
    out = []
    for line in lines:
        r = parse_recipient(line)
        if r:
            out.append(r)
    return out


def parse_recipients(header: str) -> list[Recipient]:
    """The ``TO`` addressees of a header, each with route, name, precedence and number."""
    return _recipients(_section_lines(header, "TO"))


def parse_info_recipients(header: str) -> list[Recipient]:
    """The ``INFO`` addressees of a header."""
    return _recipients(_section_lines(header, "INFO"))


def parse_sender(header: str) -> Recipient | None:
    """The ``FM`` line."""
    m = _FM.search(header)
    return parse_recipient(m.group(1)) if m else None


def routing_block(body: str) -> str:
    """The routing lines a body carries when its header box is empty (a section's
    repeated header: ``FM AMEMBASSY ROME`` / ``TO ...`` / ``INFO ...``), or ``""``."""
    m = _ROUTING_FM.search(body, 0, 20_000)
    if m is None:
        return ""
    end = re.search(r"\n[ \t]*\n", body[m.end() :])
    return body[m.start() : m.end() + (end.start() if end else 3000)]


def parse_transmission(header: str) -> Transmission:
    """The whole transmission header."""
    lines = [ln.strip() for ln in header.split("\n")]
    tid = next((ln.split()[0] for ln in lines if re.match(r"VZCZC\w*", ln)), None)
    dtg_match = _DTG.search(header)
    routing: list[str] = []
    if dtg_match:
        before = header[: dtg_match.start()].split("\n")
        routing = [ln.strip() for ln in before if ln.strip() and not ln.strip().startswith("VZCZC")]
    precedence = dtg = None
    when = None
    if dtg_match:
        precedence = dtg_match.group(1)
        # ``221828 Z MAY 73``: some 1970s telegrams set the zone letter apart
        dtg = f"{dtg_match.group(2).replace(' ', '').replace(chr(9), '')} {dtg_match.group(3)} "
        dtg += dtg_match.group(4)
        when = parse_dtg(dtg)
    return Transmission(
        transmission_id=tid,
        routing=routing,
        precedence=precedence,
        dtg=dtg,
        dtg_datetime=when,
        sender=parse_sender(header),
        to=parse_recipients(header),
        info=parse_info_recipients(header),
    )
