"""The statistics page: its charts and tables show the archive's own counts."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter

import pytest
from fastapi.testclient import TestClient
from selectolax.lexbor import LexborHTMLParser

from cablegate.archive import Archive
from cablegate.site import charts
from cablegate.site.app import create_app
from tests.conftest import NewDb, requires_corpus

SVG = "{http://www.w3.org/2000/svg}"


def test_nice_ticks_cover_the_top_in_round_steps() -> None:
    assert charts.nice_ticks(0) == [0]
    assert charts.nice_ticks(3079) == [0, 1000, 2000, 3000, 4000]
    assert charts.nice_ticks(4763) == [0, 2000, 4000, 6000]
    assert charts.nice_ticks(7) == [0, 2, 4, 6, 8]
    for top in (1, 9, 10, 11, 99, 654, 251287):
        ticks = charts.nice_ticks(top)
        assert ticks[0] == 0 and ticks[-1] >= top and len(ticks) <= 6, (top, ticks)


def test_bars_are_in_proportion_to_their_values() -> None:
    data = [charts.Datum(str(n), n) for n in (0, 5, 10, 20)]
    for chart in (charts.columns("c", "C", data), charts.rows("r", "R", data)):
        sizes = [b.height if chart.kind == "columns" else b.width for b in chart.bars]
        assert sizes[0] == 0 and sizes[2] == pytest.approx(2 * sizes[1])
        assert sizes[3] == pytest.approx(2 * sizes[2])
    line = charts.line("l", "L", data)
    ys = [float(p.split(",")[1]) for p in line.points.split()]
    assert ys == sorted(ys, reverse=True)  # a running total only rises


def _tables(html: str) -> dict[str, dict[str, int]]:
    """Chart id -> {label: cables} from each chart's table of numbers."""
    tree = LexborHTMLParser(html)
    out = {}
    for heading in tree.css("h2[id]"):
        figure = heading.next
        while figure is not None and figure.tag != "figure":
            figure = figure.next
        assert figure is not None
        rows = {}
        for tr in figure.css("tbody tr"):
            cells = [td.text(strip=True) for td in tr.css("td")]
            rows[cells[0]] = int(cells[1].replace(",", ""))
        out[heading.attributes["id"]] = rows
    return out


@requires_corpus
def test_statistics_page_shows_the_archive_counts(site_db: str) -> None:
    client = TestClient(create_app(site_db))
    html = client.get("/statistics.html").text
    tables = _tables(html)
    assert list(tables) == ["years", "months", "classifications", "origins", "tags", "releases"]
    with Archive.open(site_db, create=False) as archive:
        sql = archive.conn.execute
        created = Counter(r[0] for r in sql("SELECT substr(created, 1, 4) FROM cables"))
        classes = dict(sql("SELECT classification, count(*) FROM cables GROUP BY 1").fetchall())
        origins = dict(sql("SELECT origin, count(*) FROM cables GROUP BY 1").fetchall())
        tags = dict(sql("SELECT tag, count(*) FROM tags GROUP BY 1").fetchall())
        released = Counter(r[0] for r in sql("SELECT substr(released, 1, 10) FROM cables"))
        total = sql("SELECT count(*) FROM cables").fetchone()[0]
    assert {y: n for y, n in tables["years"].items() if n} == dict(created)
    assert sum(tables["years"].values()) == total
    since = min(tables["months"])[:4]
    assert sum(tables["months"].values()) == sum(n for y, n in created.items() if y >= since)
    assert tables["classifications"] == classes
    top = sorted(origins.items(), key=lambda kv: (-kv[1], kv[0]))[:25]
    assert list(tables["origins"].items()) == top
    assert list(tables["tags"].items()) == sorted(tags.items(), key=lambda kv: (-kv[1], kv[0]))[:25]
    assert tables["releases"] == dict(sorted(released.items()))
    assert f"{total:,} cables" in html


@requires_corpus
def test_charts_are_well_formed_svg_with_links_and_labels(site_db: str) -> None:
    client = TestClient(create_app(site_db))
    html = client.get("/statistics.html").text
    svgs = re.findall(r"<svg .*?</svg>", html, re.S)
    assert len(svgs) == 6
    for svg in svgs:
        root = ET.fromstring(svg)  # well-formed XML, as an SVG must be
        assert root.get("role") in ("img", "group") and root.get("aria-label")
    years = ET.fromstring(svgs[0])
    bars = years.iter(f"{SVG}rect")
    titles = [bar.find(f"{SVG}title").text for bar in bars]
    assert f"2008: {_tables(html)['years']['2008']:,} cables" in titles
    links = [a.get("href") for a in years.iter(f"{SVG}a")]
    assert "/date/2008.html" in links
    for href in set(re.findall(r'href="(/[^"#]*)"', html)):  # every chart link resolves
        assert client.get(href, follow_redirects=False).status_code == 200, href


def test_an_empty_archive_has_a_statistics_page(new_db: NewDb) -> None:
    db = new_db("empty")
    Archive.open(db).close()
    client = TestClient(create_app(db))
    response = client.get("/statistics.html")
    assert response.status_code == 200
    assert response.text.count("No cables yet") == 6
