"""Cables in lists as the outside world gets them (the JSON API, the CLI, CSV and JSON Lines
downloads): one record type per shape, so the API schema, the CLI's JSON and the exports'
columns cannot drift apart.

The conventions of every public record are applied here, at the edge, by one function
(:func:`public_record`): times in ISO 8601 UTC with ``Z`` (``2009-03-30T12:34:00Z``), every
field present (``null`` when absent), and no server file path (an input is named by its file
name, and for a member of an archive file by the member's path inside it)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

import msgspec
from markupsafe import escape

from cablegate.archive import Listed
from cablegate.model import Provenance
from cablegate.search.engine import Hit, Results
from cablegate.urls import cable_url

Timestamp = Annotated[
    str,
    msgspec.Meta(
        description="ISO 8601 in UTC, e.g. 2009-03-30T12:34:00Z",
        extra_json_schema={"format": "date-time"},
    ),
]

TIMESTAMP_FIELDS = frozenset(
    {"created", "released", "ingested_at", "at", "release_at", "published_at", "modified"}
)
"""Fields that hold a time (the archive keeps them as ``2010-11-28 18:06:00``, UTC)."""
SOURCE_FIELDS = frozenset({"sources"})
"""Fields that list inputs by their path (``path`` or ``path:row``)."""
_STAMP = re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?")


def iso_z(value: str | dt.datetime | None) -> str | None:
    """A time as the public sees it: ISO 8601 in UTC, to the second, with ``Z``. Naive
    times (as the archive keeps them) are UTC; text that is not a time is kept as it is."""
    if value is None:
        return None
    if isinstance(value, str):
        if not _STAMP.fullmatch(value):
            return value
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def public_source(path: str) -> str:
    """An input as the public sees it: its file name, and for a member of an archive file
    (``/srv/dump/site.tar.xz!cable/2008/04/X.html``) the file name of the archive and the
    member's path inside it (``site.tar.xz!cable/2008/04/X.html``); a row number stays."""
    outer, bang, member = path.partition("!")
    name = re.split(r"[\\/]", outer.rstrip("/\\"))[-1]
    return name + bang + member


def public_record(value: object, paths: bool = False) -> Any:
    """A record (any msgspec struct, or lists and dicts of them) as JSON-ready data with the
    public conventions: every field present (``None`` where absent), times as :func:`iso_z`,
    dates as ``YYYY-MM-DD``, and inputs by :func:`public_source` unless ``paths``."""
    if isinstance(value, msgspec.Struct):
        out: dict[str, Any] = {}
        for name in value.__struct_fields__:
            item = getattr(value, name)
            if name in TIMESTAMP_FIELDS and isinstance(item, str | dt.datetime):
                out[name] = iso_z(item)
            elif name in SOURCE_FIELDS and isinstance(item, list) and not paths:
                out[name] = [public_source(s) if isinstance(s, str) else s for s in item]
            elif name == "path" and isinstance(value, Provenance) and not paths:
                out[name] = public_source(item)
            else:
                out[name] = public_record(item, paths)
        return out
    if isinstance(value, dt.datetime):
        return iso_z(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [public_record(item, paths) for item in value]
    if isinstance(value, dict):
        return {key: public_record(item, paths) for key, item in value.items()}
    return value


def absolute(path: str, base: str) -> str | None:
    """The absolute URL of a site path, or None when no base URL is known."""
    return base.rstrip("/") + path if base else None


class ListingRow(msgspec.Struct):
    """A cable in a list (browse listings, search hits, articles' cables, downloads)."""

    id: str
    subject: str | None
    created: Timestamp | None
    released: Timestamp | None
    classification: str | None
    origin: str | None
    path: str
    """Its page on the site (``/cable/2008/04/08STATE37957.html``)."""
    url: str | None
    """The page's absolute URL (None only where no base URL is known, as in the CLI
    without ``CABLEGATE_BASE_URL``)."""


class SearchHit(ListingRow):
    score: float | None
    """Relevance, positive, higher is better; None when hits are sorted by date."""
    snippet: str
    """HTML: the text around the first match, escaped, matches in ``<mark>``."""


class Facet(msgspec.Struct):
    value: str
    count: int


class SearchResponse(msgspec.Struct):
    query: str
    notes: list[str]
    total: int
    page: int
    pages: int
    per_page: int
    sort: str
    jump: str | None
    """The cable the query names by its ID, when it is in the archive (then the one hit)."""
    hits: list[SearchHit]
    facets: dict[str, list[Facet]]
    """Hits counted by field, most first: origin, tag, classification, restriction
    (handling restrictions), current_classification, concept, person (person tags), year,
    month; every key present, an empty list when no hit has the field."""
    timeline: list[Facet] = []
    """Hits per month of creation (``value``: ``2008-06``), oldest first."""
    suggestion: str | None = None
    """When nothing matched: the query with a word spelled as the cables spell it."""


LISTED_FIELDS: tuple[str, ...] = ListingRow.__struct_fields__
"""The columns of a cable in a list, in CSV and JSON."""


def listing_row(item: Listed, base: str = "") -> ListingRow:
    """A cable in a list; ``base``: the site's URL, for the absolute ``url``."""
    path = cable_url(item.canonical_id, item.created)
    return ListingRow(
        item.canonical_id,
        item.subject,
        iso_z(item.created),
        iso_z(item.released),
        item.classification,
        item.origin,
        path,
        absolute(path, base),
    )


def snippet_html(hit: Hit) -> str:
    """The snippet as HTML: text escaped, matches in ``<mark>``."""
    return "".join(
        f"<mark>{escape(text)}</mark>" if match else str(escape(text))
        for text, match in hit.snippet
    )


def search_hit(hit: Hit, base: str = "") -> SearchHit:
    path = cable_url(hit.canonical_id, hit.created)
    return SearchHit(
        hit.canonical_id,
        hit.subject,
        iso_z(hit.created),
        iso_z(hit.released),
        hit.classification,
        hit.origin,
        path,
        absolute(path, base),
        score=hit.score,
        snippet=snippet_html(hit),
    )


def search_response(results: Results, base: str = "") -> SearchResponse:
    return SearchResponse(
        query=results.query.text,
        notes=results.query.notes,
        total=results.total,
        page=results.page + 1,
        pages=results.pages,
        per_page=results.per_page,
        sort=results.sort,
        jump=results.jump,
        hits=[search_hit(hit, base) for hit in results.hits],
        facets={
            name: [Facet(value, count) for value, count in counts]
            for name, counts in results.facets.items()
        },
        timeline=[Facet(month, count) for month, count in results.timeline],
        suggestion=results.suggestion,
    )
