"""Cables out of the archive: lists (search results, browse listings) as CSV and JSON Lines,
and whole archives (or a query's hits) as JSON Lines, ``cables.csv`` or plain-text files."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO

import msgspec

from cablegate.archive import Archive, Listed
from cablegate.model import Cable
from cablegate.search.engine import all_hits
from cablegate.search.serialize import LISTED_FIELDS, listing_row, public_record
from cablegate.writers import write_row, write_text_export

FORMATS = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}
COLUMNS = LISTED_FIELDS


def rows(items: Iterable[Listed], base: str = "") -> Iterable[tuple[object, ...]]:
    for item in items:
        yield msgspec.structs.astuple(listing_row(item, base))


def listed(found: Iterable[Listed], fmt: str, base: str = "") -> tuple[bytes, str]:
    """(body, media type) of a list of cables (search hits, a browse listing) in ``fmt``
    (``csv`` or ``jsonl``), with the same columns as the API's :class:`ListingRow` (times
    in ISO 8601 UTC with ``Z``; ``base``: the site's URL, for the absolute ``url``)."""
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(rows(found, base))
        return buffer.getvalue().encode(), FORMATS[fmt]
    encoder = msgspec.json.Encoder()
    lines = (encoder.encode(dict(zip(COLUMNS, row, strict=True))) for row in rows(found, base))
    return b"".join(line + b"\n" for line in lines), FORMATS[fmt]


# -- whole archives ---------------------------------------------------------------------------

ARCHIVE_FORMATS = ("jsonl", "csv", "text")
GROUPS = ("created", "classification", "origin", "released")
_FILES = {"jsonl": "cables.jsonl", "csv": "cables.csv"}


def _safe(name: str) -> str:
    """A folder name for any value (``SECRET//NOFORN`` -> ``SECRET-NOFORN``)."""
    cleaned = re.sub(r"[^\w.,() -]+", "-", name).strip(" .-")
    return cleaned or "unknown"


def group_folder(cable: Cable, by: str | None) -> str:
    """The sub-folder a cable goes to when an export is sorted ``by`` a field."""
    if by is None:
        return ""
    if by == "created":
        return f"{cable.created:%Y/%m}" if cable.created else "unknown"
    if by == "released":
        return f"{cable.released:%Y-%m-%d}" if cable.released else "unreleased"
    if by == "classification":
        return _safe(cable.classification or "unknown")
    if by == "origin":
        return _safe(cable.origin or "unknown")
    raise ValueError(f"cannot sort an export by {by!r}; use one of {', '.join(GROUPS)}")


def export_archive(
    archive: Archive,
    out: Path,
    fmt: str,
    query: str | None = None,
    by: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Write the archive's current cables (or a query's hits) to ``out`` as JSON Lines,
    ``cables.csv`` in the 2011 dump's layout, or one plain-text export file per cable, in
    one folder or sorted into sub-folders ``by`` a field; returns how many. JSON Lines
    records are the API's (:func:`public_record`: every field, times with ``Z``, inputs by
    file name, not by their path on this machine)."""
    if fmt not in ARCHIVE_FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; use one of {', '.join(ARCHIVE_FORMATS)}")
    if by is not None and by not in GROUPS:
        raise ValueError(f"cannot sort an export by {by!r}; use one of {', '.join(GROUPS)}")
    if query:
        ids = [hit.canonical_id for hit in all_hits(archive, query, "oldest")]
    else:
        ids = archive.ids_in_storage_order()
    out.mkdir(parents=True, exist_ok=True)
    handles: dict[str, tuple[IO[str], list[int]]] = {}
    encoder = msgspec.json.Encoder()
    try:
        for done, cid in enumerate(ids, 1):
            cable = archive.cable(cid)
            assert cable is not None, cid
            folder = out / group_folder(cable, by)
            if fmt == "text":
                folder.mkdir(parents=True, exist_ok=True)
                (folder / f"{cable.canonical_id}.txt").write_text(
                    write_text_export(cable), encoding="utf-8"
                )
            else:
                key = str(folder)
                if key not in handles:
                    folder.mkdir(parents=True, exist_ok=True)
                    path = folder / _FILES[fmt]
                    handles[key] = (path.open("w", encoding="utf-8", newline=""), [0])
                handle, count = handles[key]
                count[0] += 1
                if fmt == "csv":
                    handle.write(write_row(cable, count[0]))
                else:
                    handle.write(encoder.encode(public_record(cable)).decode() + "\n")
            if progress is not None and (done % 500 == 0 or done == len(ids)):
                progress(done, len(ids))
    finally:
        for handle, _ in handles.values():
            handle.close()
    return len(ids)
