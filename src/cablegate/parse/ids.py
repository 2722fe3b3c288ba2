"""Reference IDs: canonical form and station names.

A reference ID is ``YY`` + station + serial number, e.g. ``08STATE37957``. IDs in the wild carry
section markers, caveats, truncated or spelled-out station names and padded numbers; this module
turns all of them into one canonical spelling.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

_ID = re.compile(r"(\d{2})([A-Z][A-Z]*?)0*(\d+)")
_SECTION_PREFIX = re.compile(
    r"^(\d{2})(?:S[A-Z]{1,7}\d{1,2}O[A-Z]?\d{1,2}|S?E?C?T?I?O?N?\d{1,2}[OQ0]?[FG]{1,2}\d{1,2})(?=[A-Z])"
)
_CAVEAT_PREFIXES = ("EFTO", "NOFORN", "AMEMBASSY", "AMCONSUL")


@cache
def station_aliases() -> dict[str, str]:
    """Spellings of a station that stand for another one (``HCMC`` -> ``HOCHIMINHCITY``,
    ``SECSTATE`` -> ``STATE``, the release's own misspelt IDs): ``data/station_aliases.txt``,
    built from the real data and reviewed (``tools/station_aliases.py``)."""
    text = resources.files("cablegate.data").joinpath("station_aliases.txt").read_text("utf-8")
    pairs = (line.split("#", 1)[0].split() for line in text.splitlines())
    return {pair[0]: pair[1] for pair in pairs if len(pair) == 2}


@cache
def stations() -> frozenset[str]:
    """Station codes of the whole release (``NEWDELHI``, ``STATE``, ...)."""
    text = resources.files("cablegate.data").joinpath("stations.txt").read_text("utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip())


@cache
def _by_prefix() -> dict[str, str]:
    """Truncated station names that stand for exactly one station (``RIODEJAN``)."""
    out: dict[str, str] = {}
    taken: set[str] = set()
    for code in stations():
        for n in range(5, len(code)):
            prefix = code[:n]
            if prefix in out and out[prefix] != code:
                taken.add(prefix)
            out[prefix] = code
    return {p: c for p, c in out.items() if p not in taken and p not in stations()}


def squash(name: str) -> str:
    """``New Delhi`` -> ``NEWDELHI``: upper case, letters only."""
    return re.sub(r"[^A-Z]", "", name.upper())


def station_code(name: str) -> str | None:
    """The station code for a written station name, or None when it is not a known station.

    >>> station_code("New Delhi"), station_code("SECSTATE"), station_code("RIODEJAN")
    ('NEWDELHI', 'STATE', 'RIODEJANEIRO')
    """
    code = squash(name)
    if not code:
        return None
    code = station_aliases().get(code, code)
    if code in stations():
        return code
    return _by_prefix().get(code)


def _fix_station(station: str) -> str:
    for prefix in _CAVEAT_PREFIXES:
        if station.startswith(prefix) and len(station) > len(prefix) + 2:
            rest = station[len(prefix) :]
            if station_code(rest):
                station = rest
                break
    return station_code(station) or station


def canonical_id(ref_id: str) -> str:
    """Normalise a reference ID as found in the wild to its canonical spelling.

    >>> canonical_id("08SCTION02OF02SAOPAULO335")
    '08SAOPAULO335'
    >>> canonical_id("06SECSTATE123"), canonical_id("05RIODEJAN123")
    ('06STATE123', '05RIODEJANEIRO123')
    >>> canonical_id("07PORT-AU-PRINCE12"), canonical_id("08STATE037957")
    ('07PORTAUPRINCE12', '08STATE37957')
    """
    raw = re.sub(r"[\s\-_.'/:]", "", ref_id.strip().upper())
    # A year written twice (``7575LIBREVILLE1895``).
    raw = re.sub(r"^(\d\d)\1(?=[A-Z])", r"\1", raw)
    # Section markers spelled in many broken ways (``08SCTION02OF02``, ``06SECION01OF02``).
    m = _SECTION_PREFIX.match(raw)
    if m:
        raw = m.group(1) + raw[m.end() :]
    # Trailing suffixes after the real number: serials (``ZFR2585``), the Secretary's
    # party's numbers (``TOSEC140323``), an archivist's note (``SUSPECTEDDUPLICATE1392``).
    raw = re.sub(r"(\d)(?:Z[A-Z]{2}|TOSEC|SUSPECTEDDUPLICATE)\d+$", r"\1", raw)
    m = _ID.fullmatch(raw)
    if not m:
        return raw
    year, station, number = m.groups()
    return f"{year}{_fix_station(station)}{int(number)}"


def split_id(ref_id: str) -> tuple[str, str, int] | None:
    """``08STATE37957`` -> ``("08", "STATE", 37957)``; None when it is not shaped like an ID."""
    m = _ID.fullmatch(ref_id)
    if not m:
        return None
    return m.group(1), m.group(2), int(m.group(3))


def two_digit_year(year: int | str) -> str:
    """``2007`` or ``7`` or ``"07"`` -> ``"07"``."""
    return f"{int(year) % 100:02d}"
