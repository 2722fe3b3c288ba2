"""The archive: every cable, every version, their provenance, the citation graph, a
full-text index and browse counts, in one database (SQLite by default)."""

from cablegate.archive.archive import (
    Archive,
    ArchiveState,
    AuditEntry,
    Citation,
    Listed,
    Neighbour,
    QuarantineEntry,
    Stats,
    VersionInfo,
    Withdrawal,
)
from cablegate.archive.history import Change, compare, unified_diff
from cablegate.archive.store import Outcome, Source, Withdrawn, local_user, utc_now
from cablegate.archive.url import DatabaseURL, parse_url

__all__ = [
    "Archive",
    "ArchiveState",
    "AuditEntry",
    "Change",
    "Citation",
    "DatabaseURL",
    "Listed",
    "Neighbour",
    "Outcome",
    "QuarantineEntry",
    "Source",
    "Stats",
    "VersionInfo",
    "Withdrawal",
    "Withdrawn",
    "compare",
    "local_user",
    "parse_url",
    "unified_diff",
    "utc_now",
]
