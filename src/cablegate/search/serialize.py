"""Search results as plain data (JSON for the API and the CLI, CSV rows for exports)."""

from __future__ import annotations

from markupsafe import escape

from cablegate.archive import Listed
from cablegate.search.engine import Hit, Results
from cablegate.site.urls import cable_url

LISTED_FIELDS = ("id", "subject", "created", "released", "classification", "origin", "url")
"""The columns of a cable in a list (browse listings, search hits) in CSV and JSON."""


def snippet_html(hit: Hit) -> str:
    """The snippet as HTML: text escaped, matches in ``<mark>``."""
    return "".join(
        f"<mark>{escape(text)}</mark>" if match else str(escape(text))
        for text, match in hit.snippet
    )


def listed_dict(item: Listed) -> dict[str, object]:
    """The :data:`LISTED_FIELDS` of a cable in a list."""
    return {
        "id": item.canonical_id,
        "subject": item.subject,
        "created": item.created,
        "released": item.released,
        "classification": item.classification,
        "origin": item.origin,
        "url": cable_url(item.canonical_id, item.created),
    }


def hit_dict(hit: Hit) -> dict[str, object]:
    return {**listed_dict(hit), "score": hit.score, "snippet": snippet_html(hit)}


def results_dict(results: Results) -> dict[str, object]:
    return {
        "query": results.query.text,
        "notes": results.query.notes,
        "total": results.total,
        "page": results.page + 1,
        "pages": results.pages,
        "per_page": results.per_page,
        "sort": results.sort,
        "jump": results.jump,
        "hits": [hit_dict(hit) for hit in results.hits],
        "facets": {
            name: [{"value": value, "count": count} for value, count in counts]
            for name, counts in results.facets.items()
        },
        "timeline": [{"value": month, "count": count} for month, count in results.timeline],
        "suggestion": results.suggestion,
    }
