"""Bar and line charts as geometry, for server-rendered SVG (no JavaScript anywhere).

Each function takes labelled counts and returns a :class:`Chart`: where every bar or point
goes in the SVG's coordinate space, the axis ticks, and the same data as table rows, so that
a screen reader or a text browser gets the numbers too. The template draws it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

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

    @property
    def total(self) -> int:
        return sum(d.value for d in self.data)


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
