"""Staged releases: choose cables (by ID, a file of IDs, or a query over what is not public
yet), schedule them for a time, keep them private, or publish them now; and withdraw a
published cable, or one version of it. The CLI (``cablegate release``, ``cablegate
withdraw``) and the admin API both call :func:`schedule` and :func:`withdraw`, which record
who did it in the audit trail, in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from cablegate.archive import Archive, Withdrawn, local_user, utc_now
from cablegate.archive.store import Published, listed
from cablegate.errors import CablegateError
from cablegate.parse import canonical_id
from cablegate.search.engine import matching_rows
from cablegate.search.index import for_archive, in_memory
from cablegate.search.query import parse_query


def release_time(text: str, now: str | None = None) -> str:
    """``2010-11-28 18:00``, ``2010-11-28T18:00:00+01:00``, ``2010-11-28`` or ``now`` as
    the archive's UTC time text; a time without a zone is UTC."""
    text = text.strip()
    if text.lower() == "now":
        return now or utc_now()
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise CablegateError(
            f"{text!r}: not a time (write 2010-11-28 18:00, in UTC, or with an offset "
            "like 2010-11-28T18:00+01:00, or now)"
        ) from None
    if when.tzinfo is not None:
        when = when.astimezone(dt.UTC).replace(tzinfo=None)
    return when.isoformat(sep=" ", timespec="seconds")


def ids_in_file(path: Path) -> list[str]:
    """Cable IDs in a text file: any whitespace or commas between them, ``#`` comments."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise CablegateError(f"{path}: cannot read it: {exc.strerror}") from None
    text = re.sub(r"#.*", "", text)
    return [word for word in re.split(r"[\s,;]+", text) if word]


def by_query(archive: Archive, text: str) -> list[str]:
    """The cables with a version not yet public that matches ``text`` (the search
    language): compiled as every search is, run on a throwaway index of those versions
    (the archive's index holds public cables only, and ``serve`` never sees this one)."""
    tree = parse_query(text).tree
    versions = [cid for cid, _, _ in archive.unpublished()]
    index = in_memory((n, cable) for n, (_, _, cable) in enumerate(archive.unpublished()))
    return sorted({versions[n] for n in matching_rows(index, tree)})


@dataclass
class ScheduleResult:
    """What :func:`schedule` did, cable by cable."""

    scheduled: dict[str, int] = field(default_factory=dict)
    """Cable ID -> versions whose release time was set."""
    unknown: list[str] = field(default_factory=list)
    """IDs the archive does not hold (or not a cable ID at all)."""
    nothing_left: list[str] = field(default_factory=list)
    """Cables with no version (or not the version asked for) left to release."""
    published: list[Published] = field(default_factory=list)


def schedule(
    archive: Archive,
    ids: Iterable[str],
    at: str | None,
    version: int | None = None,
    now: str | None = None,
    who: str | None = None,
    why: str | None = None,
) -> ScheduleResult:
    """Set the release time of the unpublished versions of these cables (``at``, UTC;
    None: private), then publish whatever is due by ``now``. ``who`` (default: the user
    running this) and ``why`` go to the audit trail."""
    outcome = ScheduleResult()
    wanted = list(dict.fromkeys(canonical_id(i) for i in ids))
    with archive.transaction():
        writer = archive.writer(now or utc_now())
        for cid in wanted:
            changed = writer.schedule(cid, at, version)
            if changed < 0:
                outcome.unknown.append(cid)
            elif changed == 0:
                outcome.nothing_left.append(cid)
            else:
                outcome.scheduled[cid] = changed
        if outcome.scheduled:
            what = listed(list(outcome.scheduled))
            what += f" (version {version})" * (version is not None)
            what += f" at {at}" if at else " private"
            writer.audit(who or local_user(), "release", what, why)
    outcome.published = archive.publish_due(now)
    for_archive(archive)  # the search index catches up with what was published
    return outcome


def withdraw(
    archive: Archive,
    cable: str,
    version: int | None,
    reason: str,
    silent: bool = False,
    who: str | None = None,
    now: str | None = None,
) -> Withdrawn:
    """Take a published cable (or one version of it) down from every public surface, in
    one transaction with its audit record (``who``: default the user running this); then
    the search index drops it. Raises :class:`CablegateError` for a cable or version that
    is not public."""
    cid = canonical_id(cable)
    if not reason.strip():
        raise CablegateError("say why (--reason): the page of a withdrawn cable shows it")
    with archive.transaction():
        writer = archive.writer(now or utc_now())
        done = writer.withdraw(cid, version, reason.strip(), silent)
        what = cid + (" (every version)" if version is None else f" version {version}")
        what += " silently (404)" * silent
        writer.audit(who or local_user(), "withdraw", what, reason.strip())
    for_archive(archive)  # the search index drops it
    return done
