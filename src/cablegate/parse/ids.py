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
    plusd = _PLUSD_ID.fullmatch(ref_id.strip().upper())
    if plusd:  # PlusD's form: four-digit year, padded number, record suffix
        year, station, number = plusd.groups()
        return f"{year[2:]}{_fix_station(station)}{int(number)}"
    ref_id = _PLUSD_SUFFIX.sub("", ref_id.strip().upper())  # PlusD's ``10STATE17263_a``
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


_PLUSD_ID = re.compile(r"((?:19|20)\d\d)([A-Z][A-Z]*?)0*(\d+)(?:_[A-Z]\d*)?")
_PLUSD_SUFFIX = re.compile(r"(?<=\d)_[A-Z]\d*$")
"""PlusD's canonical IDs: ``1974ATHENS02959_b`` (the suffix tells PlusD's records with one
number apart; Cablegate's own cables are ``_a``)."""
PLUSD_FOUR_DIGIT = range(1973, 1980)
"""Years of PlusD's collections written with four digits (the Kissinger and Carter cables);
its Cablegate records keep the release's two-digit IDs (``10STATE17263_a``)."""


def from_plusd(plusd_id: str) -> str:
    """PlusD's ID -> the archive's canonical one: ``1974ATHENS02959_b`` -> ``74ATHENS2959``,
    ``10STATE17263_a`` -> ``10STATE17263``.

    >>> from_plusd("1974ATHENS02959_b"), from_plusd("10STATE17263_a")
    ('74ATHENS2959', '10STATE17263')
    >>> from_plusd("1976WARSAW05657_b2")
    '76WARSAW5657'

    """
    return canonical_id(plusd_id)


def to_plusd(canonical: str, suffix: str = "a") -> str | None:
    """The archive's canonical ID -> PlusD's (None when it is not shaped like an ID): the
    1973-79 collections with four-digit years and five-digit numbers, the rest as the release
    wrote them, each with its record suffix. The stored PlusD ID of a record read from PlusD
    (:attr:`cablegate.model.Catalog.plusd_id`) is the exact one; this is the form for others.

    >>> to_plusd("74ATHENS2959", "b"), to_plusd("10STATE17263"), to_plusd("73STATE97844", "b")
    ('1974ATHENS02959_b', '10STATE17263_a', '1973STATE097844_b')
    """
    parts = split_id(canonical)
    if parts is None:
        return None
    year, station, number = parts
    full = (1900 if int(year) >= 66 else 2000) + int(year)
    if full in PLUSD_FOUR_DIGIT:
        width = 6 if station == "STATE" else 5  # the Department numbered past 99,999 a year
        return f"{full}{station}{number:0{width}d}_{suffix}"
    return f"{canonical}_{suffix}"


def split_id(ref_id: str) -> tuple[str, str, int] | None:
    """``08STATE37957`` -> ``("08", "STATE", 37957)``; None when it is not shaped like an ID."""
    m = _ID.fullmatch(ref_id)
    if not m:
        return None
    return m.group(1), m.group(2), int(m.group(3))


def two_digit_year(year: int | str) -> str:
    """``2007`` or ``7`` or ``"07"`` -> ``"07"``."""
    return f"{int(year) % 100:02d}"
