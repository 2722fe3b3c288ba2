"""Cables in lists as the outside world gets them (the JSON API, the CLI, CSV and JSON Lines
downloads): one record type per shape, so the API schema, the CLI's JSON and the exports'
columns cannot drift apart."""

from __future__ import annotations

import msgspec
from markupsafe import escape

from cablegate.archive import Listed
from cablegate.search.engine import Hit, Results
from cablegate.urls import cable_url


class ListingRow(msgspec.Struct):
    """A cable in a list (browse listings, search hits, articles' cables, downloads)."""

    id: str
    subject: str | None
    created: str | None
    released: str | None
    classification: str | None
    origin: str | None
    url: str


class SearchHit(ListingRow):
    score: float | None
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
    timeline: list[Facet] = []
    """Hits per month of creation (``value``: ``2008-06``), oldest first."""
    suggestion: str | None = None
    """When nothing matched: the query with a word spelled as the cables spell it."""


LISTED_FIELDS: tuple[str, ...] = ListingRow.__struct_fields__
"""The columns of a cable in a list, in CSV and JSON."""


def listing_row(item: Listed) -> ListingRow:
    return ListingRow(
        item.canonical_id,
        item.subject,
        item.created,
        item.released,
        item.classification,
        item.origin,
        cable_url(item.canonical_id, item.created),
    )


def snippet_html(hit: Hit) -> str:
    """The snippet as HTML: text escaped, matches in ``<mark>``."""
    return "".join(
        f"<mark>{escape(text)}</mark>" if match else str(escape(text))
        for text, match in hit.snippet
    )


def search_hit(hit: Hit) -> SearchHit:
    url = cable_url(hit.canonical_id, hit.created)
    return SearchHit(
        hit.canonical_id,
        hit.subject,
        hit.created,
        hit.released,
        hit.classification,
        hit.origin,
        url,
        score=hit.score,
        snippet=snippet_html(hit),
    )


def search_response(results: Results) -> SearchResponse:
    return SearchResponse(
        query=results.query.text,
        notes=results.query.notes,
        total=results.total,
        page=results.page + 1,
        pages=results.pages,
        per_page=results.per_page,
        sort=results.sort,
        jump=results.jump,
        hits=[search_hit(hit) for hit in results.hits],
        facets={
            name: [Facet(value, count) for value, count in counts]
            for name, counts in results.facets.items()
        },
        timeline=[Facet(month, count) for month, count in results.timeline],
        suggestion=results.suggestion,
    )
