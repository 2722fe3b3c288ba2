"""Lists of cables (search results, browse listings) as CSV and JSON Lines."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

import msgspec

from cablegate.search.engine import Hit
from cablegate.site.urls import cable_url

FORMATS = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}
COLUMNS = ("id", "subject", "created", "released", "classification", "origin", "url")


def rows(hits: Iterable[Hit]) -> Iterable[tuple[str | None, ...]]:
    for hit in hits:
        yield (
            hit.canonical_id,
            hit.subject,
            hit.created,
            hit.released,
            hit.classification,
            hit.origin,
            cable_url(hit.canonical_id, hit.created),
        )


def hits(found: Iterable[Hit], fmt: str) -> tuple[bytes, str]:
    """(body, media type) of a list of cables in ``fmt`` (``csv`` or ``jsonl``)."""
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(rows(found))
        return buffer.getvalue().encode(), FORMATS[fmt]
    encoder = msgspec.json.Encoder()
    lines = (encoder.encode(dict(zip(COLUMNS, row, strict=True))) for row in rows(found))
    return b"".join(line + b"\n" for line in lines), FORMATS[fmt]
