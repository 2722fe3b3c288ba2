"""The archive: every cable, every version, their provenance, the citation graph, a
full-text index and browse counts, in one database (SQLite by default)."""

from cablegate.archive.archive import (
    Archive,
    ArchiveState,
    Citation,
    Listed,
    QuarantineEntry,
    Stats,
    VersionInfo,
)
from cablegate.archive.history import Change, compare, unified_diff
from cablegate.archive.store import Outcome, Source, utc_now
from cablegate.archive.url import DatabaseURL, parse_url

__all__ = [
    "Archive",
    "ArchiveState",
    "Change",
    "Citation",
    "DatabaseURL",
    "Listed",
    "Outcome",
    "QuarantineEntry",
    "Source",
    "Stats",
    "VersionInfo",
    "compare",
    "parse_url",
    "unified_diff",
    "utc_now",
]
