"""The statistics page: the archive's counts as charts, from the side pane's browse counts."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from cablegate import urls
from cablegate.months import months_between
from cablegate.site import charts
from cablegate.site.charts import Chart, Datum
from cablegate.site.views import Pane

TOP = 25
"""Origins and tags shown in the "top" charts."""


@dataclass
class Statistics:
    released: int
    total: int
    origins: int
    tags: int
    charts: list[Chart]


def per_year(pane: Pane) -> list[Datum]:
    counts: Counter[str] = Counter()
    for month, n in pane.counts["month"].items():
        counts[month[:4]] += n
    if not counts:
        return []
    first, last = int(min(counts)), int(max(counts))
    years = [str(y) for y in range(first, last + 1)]
    return [Datum(y, counts[y], urls.year_url(y) if counts[y] else None) for y in years]


def first_busy_year(pane: Pane, share: float = 0.005) -> str | None:
    """The first creation year with at least ``share`` of the cables: the month chart starts
    there, so that a few very old cables do not squeeze the rest into a corner."""
    years = per_year(pane)
    total = sum(d.value for d in years)
    return next((d.label for d in years if d.value >= total * share), None)


def per_month(pane: Pane, since: str | None = None) -> list[Datum]:
    months = {m: n for m, n in pane.counts["month"].items() if m >= (since or "")}
    if not months:
        return []
    return [
        Datum(m, months.get(m, 0), urls.month_url(m) if m in months else None)
        for m in months_between(min(months), max(months))
    ]


def _year_labels(data: list[Datum]) -> list[tuple[int, str]]:
    """Label Januaries, every few years so that the labels fit."""
    januaries = [(i, d.label[:4]) for i, d in enumerate(data) if d.label.endswith("-01")]
    every = max(1, -(-len(januaries) // 12))
    return [(i, y) for i, y in januaries if int(y) % every == 0]


def per_classification(pane: Pane) -> list[Datum]:
    return [
        Datum(name, n, urls.classification_url(name))
        for name, n in sorted(pane.counts["classification"].items(), key=lambda kv: -kv[1])
    ]


def top_origins(pane: Pane) -> list[Datum]:
    ranked = sorted(pane.counts["origin"].items(), key=lambda kv: (-kv[1], kv[0]))[:TOP]
    return [Datum(name, n, urls.origin_url(pane.origin_numbers.get(name))) for name, n in ranked]


def top_tags(pane: Pane) -> list[Datum]:
    ranked = sorted(pane.counts["tag"].items(), key=lambda kv: (-kv[1], kv[0]))[:TOP]
    return [Datum(tag, n, urls.tag_url(tag)) for tag, n in ranked]


def releases(pane: Pane) -> list[Datum]:
    return [
        Datum(day, n, urls.reldate_url(day)) for day, n in sorted(pane.counts["reldate"].items())
    ]


def statistics(pane: Pane) -> Statistics:
    since = first_busy_year(pane)
    months = per_month(pane, since)
    earlier = sum(n for m, n in pane.counts["month"].items() if since and m < since)
    month_title = "Cables by month of creation" + (
        f" since {since} ({earlier:,} earlier)" if earlier else ""
    )
    found = [
        charts.columns("years", "Cables by year of creation", per_year(pane), category="Year"),
        charts.columns(
            "months",
            month_title,
            months,
            labels=_year_labels(months),
            category="Month",
        ),
        charts.rows(
            "classifications",
            "Cables by classification",
            per_classification(pane),
            category="Classification",
        ),
        charts.rows(
            "origins",
            f"The {TOP} origins with the most cables",
            top_origins(pane),
            category="Origin",
        ),
        charts.rows("tags", f"The {TOP} most used tags", top_tags(pane), category="Tag"),
        charts.line(
            "releases",
            "Cables released so far, by release day",
            releases(pane),
            category="Release day",
        ),
    ]
    return Statistics(
        pane.released, pane.total, len(pane.counts["origin"]), len(pane.counts["tag"]), found
    )
