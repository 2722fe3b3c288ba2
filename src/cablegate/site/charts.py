"""Bar and line charts as geometry, for server-rendered SVG (no JavaScript anywhere).

Each function takes labelled counts and returns a :class:`Chart`: where every bar or point
goes in the SVG's coordinate space, the axis ticks, and the same data as table rows, so that
a screen reader or a text browser gets the numbers too. The template draws it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace

WIDTH = 720
"""The SVG's viewBox width; it scales to the page."""


@dataclass(frozen=True)
class Datum:
    label: str
    value: int
    href: str | None = None


@dataclass(frozen=True)
class Bar:
    datum: Datum
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Tick:
    """A label on an axis at ``at`` (x for the category axis, y for the value axis)."""

    label: str
    at: float


@dataclass
class Chart:
    id: str
    title: str
    kind: str
    """``columns`` (vertical bars), ``rows`` (horizontal bars) or ``line``."""
    width: int
    height: int
    plot: tuple[float, float, float, float]
    """The plot area: left, top, right, bottom."""
    data: list[Datum]
    bars: list[Bar] = field(default_factory=list)
    points: str = ""
    """The line's SVG points (``line`` charts)."""
    value_ticks: list[Tick] = field(default_factory=list)
    label_ticks: list[Tick] = field(default_factory=list)
    category: str = "Name"
    """What the data's labels are (the first column of the chart's table)."""
    unit: str = "cables"
    linked: bool | None = None
    """Whether the bars link (to their datum's href); None: when there are at most 60."""
    note: str = ""
    """A sentence under the chart's title (how the data were grouped, what is left out)."""

    @property
    def total(self) -> int:
        return sum(d.value for d in self.data)

    def units(self, value: int) -> str:
        """The unit after a value: "1 cable", "2 cables"."""
        return self.unit.removesuffix("s") if value == 1 else self.unit


def nice_ticks(top: int, count: int = 4) -> list[int]:
    """Round axis values from 0 covering ``top``: 0, 250, 500 ... (1, 2, 2.5 or 5 x 10^n)."""
    if top <= 0:
        return [0]
    raw = top / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    step = max(1, round(step))
    return [step * n for n in range(0, math.ceil(top / step) + 1)]


def _label_every(count: int, room: float, chars: int) -> int:
    """Label every n-th category so that labels of ``chars`` characters do not overlap."""
    per = room / max(count, 1)
    return max(1, math.ceil(chars * 7.5 / per))


def columns(
    chart_id: str,
    title: str,
    data: list[Datum],
    height: int = 240,
    labels: list[tuple[int, str]] | None = None,
    category: str = "Name",
) -> Chart:
    """Vertical bars, one per datum in order (years, months, release days); ``labels`` puts
    the category axis's labels at chosen bars (index, text) instead of every n-th bar."""
    left, top, right, bottom = 56.0, 10.0, WIDTH - 10.0, height - 28.0
    ticks = nice_ticks(max((d.value for d in data), default=0))
    scale = (bottom - top) / (ticks[-1] or 1)
    slot = (right - left) / max(len(data), 1)
    gap = min(2.0, slot * 0.2)
    bars = [
        Bar(d, left + i * slot + gap / 2, bottom - d.value * scale, slot - gap, d.value * scale)
        for i, d in enumerate(data)
    ]
    if labels is None:
        longest = max((len(d.label) for d in data), default=1)
        every = _label_every(len(data), right - left, longest)
        labels = [(i, d.label) for i, d in enumerate(data) if i % every == 0]
    return Chart(
        chart_id,
        title,
        "columns",
        WIDTH,
        height,
        (left, top, right, bottom),
        data,
        bars=bars,
        value_ticks=[Tick(f"{t:,}", bottom - t * scale) for t in ticks],
        label_ticks=[Tick(text, left + (i + 0.5) * slot) for i, text in labels],
        category=category,
    )


def rows(
    chart_id: str, title: str, data: list[Datum], row: int = 22, category: str = "Name"
) -> Chart:
    """Horizontal bars, one row per datum, labelled on the left (origins, tags)."""
    longest = max((len(d.label) for d in data), default=1)
    left = min(max(60.0, 12.0 + longest * 6.5), 300.0)
    top, right = 4.0, WIDTH - 70.0
    bottom = top + row * len(data)
    ticks = nice_ticks(max((d.value for d in data), default=0))
    scale = (right - left) / (ticks[-1] or 1)
    bars = [Bar(d, left, top + i * row + 3, d.value * scale, row - 6) for i, d in enumerate(data)]
    return Chart(
        chart_id,
        title,
        "rows",
        WIDTH,
        int(bottom + 22),
        (left, top, right, bottom),
        data,
        bars=bars,
        value_ticks=[Tick(f"{t:,}", left + t * scale) for t in ticks],
        category=category,
    )


def line(
    chart_id: str, title: str, data: list[Datum], height: int = 240, category: str = "Name"
) -> Chart:
    """A running total over the data's order (cables released so far, by release day)."""
    left, top, right, bottom = 64.0, 10.0, WIDTH - 10.0, height - 28.0
    running, totals = 0, []
    for d in data:
        running += d.value
        totals.append(running)
    ticks = nice_ticks(running)
    scale = (bottom - top) / (ticks[-1] or 1)
    step = (right - left) / max(len(data) - 1, 1)
    points = [(left + i * step, bottom - total * scale) for i, total in enumerate(totals)]
    every = _label_every(len(data), right - left, max((len(d.label) for d in data), default=1))
    return Chart(
        chart_id,
        title,
        "line",
        WIDTH,
        height,
        (left, top, right, bottom),
        data,
        points=" ".join(f"{x:.1f},{y:.1f}" for x, y in points),
        value_ticks=[Tick(f"{t:,}", bottom - t * scale) for t in ticks],
        label_ticks=[Tick(data[i].label, points[i][0]) for i in range(0, len(data), every)],
        category=category,
    )


MOST_MONTHS = 240
"""Months a timeline shows one by one; over more, it shows years."""


def months_between(first: str, last: str) -> list[str]:
    """Every month ``YYYY-MM`` from ``first`` to ``last``."""
    year, month = int(first[:4]), int(first[5:7])
    out = []
    while f"{year:04d}-{month:02d}" <= last:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def timeline(
    chart_id: str,
    counts: list[tuple[str, int]],
    link: Callable[[str, str], str],
    what: str = "Cables found",
    most: int = MOST_MONTHS,
    height: int = 180,
) -> Chart:
    """Counts per month (``("2008-06", 12)``, any order) as columns on a continuous month
    axis, months without any as gaps; by year when the months from the first to the last
    are more than ``most``. ``link("month", "2008-06")`` / ``link("year", "2008")`` is where
    a bar links."""
    found = {month: n for month, n in counts if n > 0}
    if not found:
        return columns(chart_id, f"{what} per month", [], height=height, category="Month")
    months = months_between(min(found), max(found))
    if len(months) <= most:
        data = [Datum(m, found.get(m, 0), link("month", m) if m in found else None) for m in months]
        labels = None  # every n-th month, as 2008-06
        if len(months) > 24:
            januaries = [(i, d.label[:4]) for i, d in enumerate(data) if d.label.endswith("-01")]
            every = max(1, -(-len(januaries) // 12))
            labels = [(i, y) for i, y in januaries if int(y) % every == 0]
        title = f"{what} per month"
        note = ""
        category = "Month"
    else:
        years: dict[str, int] = {}
        for month, n in found.items():
            years[month[:4]] = years.get(month[:4], 0) + n
        span = [str(y) for y in range(int(min(years)), int(max(years)) + 1)]
        data = [Datum(y, years.get(y, 0), link("year", y) if y in years else None) for y in span]
        labels = None
        title = f"{what} per year"
        note = (
            f"By year: the {len(months):,} months from {months[0]} to {months[-1]} are too "
            "many to show one by one."
        )
        category = "Year"
    chart = columns(chart_id, title, data, height=height, labels=labels, category=category)
    bottom = chart.plot[3]
    chart.bars = [  # a bar of a few hits next to one of hundreds still shows
        replace(b, y=bottom - 2.0, height=2.0) if 0 < b.height < 2.0 else b for b in chart.bars
    ]
    chart.linked = True
    chart.note = note
    return chart
