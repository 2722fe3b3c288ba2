"""Search results as plain data (JSON for the API and the CLI, CSV rows for exports)."""

from __future__ import annotations

from markupsafe import escape

from cablegate.search.engine import Hit, Results
from cablegate.site.urls import cable_url

HIT_FIELDS = ("id", "subject", "created", "released", "classification", "origin", "url")


def snippet_html(hit: Hit) -> str:
    """The snippet as HTML: text escaped, matches in ``<mark>``."""
    return "".join(
        f"<mark>{escape(text)}</mark>" if match else str(escape(text))
        for text, match in hit.snippet
    )


def hit_dict(hit: Hit) -> dict[str, object]:
    return {
        "id": hit.canonical_id,
        "subject": hit.subject,
        "created": hit.created,
        "released": hit.released,
        "classification": hit.classification,
        "origin": hit.origin,
        "url": cable_url(hit.canonical_id, hit.created),
        "score": hit.score,
        "snippet": snippet_html(hit),
    }


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
    }
