"""Finding one's way on the served Cable Viewer: the browse and search pagers
(``<< 1 .. 4 [5] 6 .. 95 >>`` as on the original), the search page's feed and downloads of
the same query, a search page past the last one, and the FAQ and about pages that explain the
collection. Expected values come from the cables of the real corpus."""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
from collections import Counter
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from cablegate.archive import Archive
from cablegate.urls import cable_url, version_url
from tests.conftest import requires_corpus

pytestmark = [requires_corpus, pytest.mark.xdist_group("site")]

PAGE_SIZE = 50
"""Cables per browse page on the original site."""


@pytest.fixture(scope="module")
def client(site_db: str) -> TestClient:
    from cablegate.site.app import create_app

    return TestClient(create_app(str(site_db)), follow_redirects=False)


@pytest.fixture(scope="module")
def tag_counts(site_db: str) -> Counter[str]:
    """Public cables per tag, counted from the cables themselves."""
    counts: Counter[str] = Counter()
    with Archive.open(site_db, create=False) as archive:
        for cid in archive.ids():
            cable = archive.cable(cid)
            assert cable is not None
            counts.update(set(cable.tags))
    return counts


def _pagers(html: str) -> list[list[dict[str, str | None]]]:
    """Every pager of a page: its items in order (links and ``..`` gaps)."""
    tree = HTMLParser(html)
    pagers = []
    for nav in tree.css("nav.paginator"):
        items = []
        for node in nav.css("a, span.gap"):
            attrs = dict(node.attributes)
            items.append({"text": node.text(strip=True), **attrs})
        pagers.append(items)
    return pagers


def _one(items: list[dict[str, str | None]], **want: str) -> dict[str, str | None]:
    found = [i for i in items if all(i.get(k) == v for k, v in want.items())]
    assert len(found) == 1, (want, items)
    return found[0]


def _starting(items: list[dict[str, str | None]], key: str, prefix: str) -> dict[str, str | None]:
    found = [i for i in items if (i.get(key) or "").startswith(prefix)]
    assert len(found) == 1, (key, prefix, items)
    return found[0]


def test_a_long_listing_has_first_previous_next_and_last(
    client: TestClient, tag_counts: Counter[str]
) -> None:
    pages = -(-tag_counts["PREL"] // PAGE_SIZE)
    assert pages > 10  # PREL is the commonest subject tag: many pages
    last = pages - 1
    for number in (0, 1, 5, last - 1, last):
        response = client.get(f"/tag/PREL_{number}.html")
        assert response.status_code == 200
        pagers = _pagers(response.text)
        assert len(pagers) == 2 and pagers[0] == pagers[1]  # above and below the list, as before
        items = pagers[0]
        current = _one(items, **{"aria-current": "page"})
        assert current["text"] == str(number + 1) and current["href"] == f"/tag/PREL_{number}.html"
        first = _starting(items, "aria-label", "First page")
        assert first["href"] == "/tag/PREL_0.html" and first["text"] == "1"
        end = _starting(items, "aria-label", "Last page")
        assert end["href"] == f"/tag/PREL_{last}.html" and end["text"] == str(pages)
        prev = [i for i in items if i.get("rel") == "prev"]
        nxt = [i for i in items if i.get("rel") == "next"]
        if number == 0:
            assert prev == []
        else:
            assert [(i["text"], i["href"]) for i in prev] == [
                ("<<", f"/tag/PREL_{number - 1}.html")
            ]
        if number == last:
            assert nxt == []
        else:
            assert [(i["text"], i["href"]) for i in nxt] == [(">>", f"/tag/PREL_{number + 1}.html")]
        # The pages in order: << 1 .. n-1 [n] n+1 .. last >>, a gap where pages are skipped.
        shown = [i["text"] for i in items if i.get("rel") is None]
        numbers = [int(t) for t in shown if t != ".."]
        assert numbers == sorted(numbers) and numbers[0] == 1 and numbers[-1] == pages
        assert set(numbers) >= {n + 1 for n in (number - 1, number, number + 1) if 0 <= n <= last}
        for a, b in itertools.pairwise(shown):
            if ".." not in (a, b):
                assert int(b) == int(a) + 1, shown
        if number == 5:
            assert shown == ["1", "..", "5", "6", "7", "..", str(pages)]
        for item in items:
            if item.get("href"):
                assert client.get(item["href"]).status_code == 200, item
    # The last page holds the rest of the cables, and there is no page after it.
    rows = client.get(f"/tag/PREL_{last}.html").text.count('<td data-label="Reference ID">')
    assert rows == tag_counts["PREL"] - last * PAGE_SIZE
    assert client.get(f"/tag/PREL_{pages}.html").status_code == 404


def test_a_listing_of_one_page_has_no_pager(client: TestClient, tag_counts: Counter[str]) -> None:
    tag = next(t for t, n in sorted(tag_counts.items()) if 5 <= n <= PAGE_SIZE)
    html = client.get(f"/tag/{tag}_0.html").text
    assert html.count('<td data-label="Reference ID">') == tag_counts[tag]
    assert _pagers(html) == [] and 'rel="prev"' not in html and 'rel="next"' not in html


def _hits(html: str) -> list[str]:
    return re.findall(r'<article class="hit">\n<h2><a href="[^"]+">([^<]+)</a>', html)


def _found(html: str) -> int:
    m = re.search(r'<p class="count">([\d,]+) cables? found', html)
    assert m, "no count"
    return int(m.group(1).replace(",", ""))


def test_search_pages_have_the_same_pager(client: TestClient) -> None:
    first = client.get("/search", params={"q": "khan"}).text
    total, hits = _found(first), _hits(first)
    pages = -(-total // len(hits))
    assert pages >= 3
    html = client.get("/search", params={"q": "khan", "page": 2}).text
    (items,) = _pagers(html)
    assert _one(items, **{"aria-current": "page"})["text"] == "2"
    links = {
        i.get("rel") or i.get("aria-label") or i["text"]: i["href"] for i in items if i.get("href")
    }
    wanted = {
        "prev": 1,
        "next": 3,
        "First page, 1": 1,
        f"Last page, {pages}": pages,
    }
    for key, number in wanted.items():
        query = parse_qs(urlsplit(links[key]).query)
        assert query == {"q": ["khan"], "sort": ["relevance"], "page": [str(number)]}, key
    seen = set(hits)
    for number in range(2, pages + 1):  # every page its own hits, the last one the rest
        page = _hits(client.get("/search", params={"q": "khan", "page": number}).text)
        assert page and not seen & set(page)
        seen |= set(page)
    assert len(seen) == total
    # A search of one page has no pager.
    few = client.get("/search", params={"q": "reykjavik tag:SCUL"}).text
    assert 1 <= _found(few) <= len(hits) and _pagers(few) == []


def test_search_page_links_its_feed_csv_and_json_lines_of_the_same_query(
    client: TestClient,
) -> None:
    q = 'khan tag:PK -"A.Q."'
    html = client.get("/search", params={"q": q, "sort": "newest"}).text
    total, hits = _found(html), _hits(html)
    assert total > len(hits) > 0
    tree = HTMLParser(html)
    group = tree.css_first("div.exports")
    assert group is not None
    # At the top of the results: before the hits and their pager.
    assert html.index('<div class="exports">') < html.index('<article class="hit">')
    links = {a.text(strip=True): a.attributes["href"] or "" for a in group.css("a")}
    assert set(links) == {"Atom feed", "CSV", "JSON Lines"}
    for name, href in links.items():
        query = parse_qs(urlsplit(href).query)
        assert query["q"] == [q], name
    feed, table, lines = (client.get(links[n]) for n in ("Atom feed", "CSV", "JSON Lines"))
    assert all(r.status_code == 200 for r in (feed, table, lines))
    assert feed.headers["content-type"].startswith("application/atom+xml")
    rows = list(csv.reader(io.StringIO(table.text)))
    header, rows = rows[0], rows[1:]
    ids = [row[header.index("id")] for row in rows]
    records = [json.loads(line) for line in lines.text.splitlines()]
    assert len(ids) == len(records) == total
    assert [r["id"] for r in records] == ids
    assert ids[: len(hits)] == hits  # same query, same order (newest first)
    entries = re.findall(r"<entry>.*?</entry>", feed.text, re.S)
    assert entries and all(any(cid in e for cid in ids) for e in entries)


def test_a_search_page_past_the_last_says_so(client: TestClient) -> None:
    total = _found(client.get("/search", params={"q": "khan"}).text)
    pages = -(-total // len(_hits(client.get("/search", params={"q": "khan"}).text)))
    response = client.get("/search", params={"q": "khan", "page": 99})
    # Kept as a page (200): the search form, the count and the way back, as on page 1.
    assert response.status_code == 200
    html = response.text
    assert f"page 99 is past the last page ({pages})" in html and "page 99 of" not in html
    link = re.search(r'<a href="([^"]+)">go to page (\d+)</a>', html)
    assert link and int(link.group(2)) == pages
    assert _hits(html) == [] and _pagers(html) == []
    back = client.get(link.group(1).replace("&amp;", "&")).text
    assert _hits(back) and f"page {pages} of {pages}." in back


def test_faq_explains_the_collection(site_db: str, client: TestClient) -> None:
    response = client.get("/faq.html")
    assert response.status_code == 200
    html = response.text
    text = HTMLParser(html).css_first("main").text()
    for words in (
        "diplomatic cable",
        "reference ID",
        "UNCLASSIFIED//FOR OFFICIAL USE ONLY",
        "CONFIDENTIAL",
        "SECRET",
        "NOFORN",
        "NODIS",
        "EXDIS",
        "LIMDIS",
        "SIPDIS",
        "TAGS",
        "Date-time group",
        "FM",
        "INFO",
        "28 November 2010",
        "The Guardian",
        "redact",
        "2011",
        "version",
        "cite",
        "251,287",
    ):
        assert words.lower() in text.lower(), words
    # The table of contents leads to the answers.
    ids = set(re.findall(r'\sid="([^"]+)"', html))
    for target in re.findall(r'href="#([^"]+)"', html):
        assert target in ids, target
    # The examples are real: the header is that of 05REYKJAVIK526, the cited cable is
    # 08STATE37957 as the archive has it.
    with Archive.open(site_db, create=False) as archive:
        reykjavik = archive.cable("05REYKJAVIK526")
        khan = archive.cable("08STATE37957")
    assert reykjavik is not None and khan is not None
    example = HTMLParser(html).css_first("pre.example")
    assert example is not None
    assert example.text().strip() in reykjavik.header
    assert "270700Z DEC 05" in reykjavik.header and "270700Z DEC 05" in text
    assert khan.classification == "SECRET" and khan.subject == "POSSIBLE RELEASE OF A.Q. KHAN"
    assert khan.created is not None and khan.released is not None
    citation = HTMLParser(html).css_first("p.citation").text()
    assert f"{khan.created:%B %-d, %Y}" in citation and f"{khan.released:%B %-d, %Y}" in citation
    assert version_url(cable_url("08STATE37957", khan.created), 1) in citation
    # The three classifications add up to the whole collection.
    numbers = re.search(
        r"([\d,]+) are unclassified, ([\d,]+) confidential and ([\d,]+) secret", text
    )
    assert numbers and sum(int(n.replace(",", "")) for n in numbers.groups()) == 251_287


def test_about_describes_the_collection_and_the_software(client: TestClient) -> None:
    html = client.get("/about.html").text
    text = HTMLParser(html).css_first("main").text()
    for words in ("28 November 2010", "cablegate", "open-source", "SHA-256", "version", "FAQ"):
        assert words in text, words
    assert 'href="/faq.html"' in html and 'href="/api/docs"' in html
    assert client.get("/api/docs").status_code == 200


def test_a_page_near_the_end_of_a_listing_is_read_from_the_end_alike(
    site_db: str, tag_counts: Counter[str]
) -> None:
    """Pages in a listing's second half are read from its end (OFFSET walks the entries it
    skips): every page is the same as read from the start, in the original's order, and
    the pages together are the whole listing once."""
    tag, total = tag_counts.most_common(1)[0]
    assert total > 3 * PAGE_SIZE
    with Archive.open(site_db, create=False) as archive:
        whole = [row.canonical_id for row in archive.listing_all("tag", tag)]
        # read a few at a time from where the last few ended: the same
        assert [row.canonical_id for row in archive.listing_all("tag", tag, chunk=7)] == whole
        pages = []
        for offset in range(0, total, PAGE_SIZE):
            page = archive.listing("tag", tag, PAGE_SIZE, offset, total)
            assert page == archive.listing("tag", tag, PAGE_SIZE, offset)
            pages += [row.canonical_id for row in page]
    assert pages == whole and len(whole) == total


def test_a_sitemap_in_parts_lists_every_cable_page_once(
    client: TestClient, site_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past 50,000 URLs a sitemap is split into parts (``/sitemap-N.xml``); with parts of
    1,000 the real archive's take several, which together list the home and static pages
    and every cable's current page once, in the order first stored, and no earlier version."""
    from cablegate.site import pages

    monkeypatch.setattr(pages, "SITEMAP_SIZE", 1000)
    with Archive.open(site_db, create=False) as archive:
        want = [cable_url(cid, created) for cid, created, _, _ in archive.page_keys()]
    index = client.get("/sitemap.xml").text
    numbers = [int(n) for n in re.findall(r"<loc>/sitemap-(\d+)\.xml</loc>", index)]
    assert numbers == list(range(1, -(-(len(want) + 1 + len(pages.STATIC_PAGES)) // 1000) + 1))
    assert len(numbers) > 5
    listed: list[str] = []
    for n in numbers:
        part = re.findall(r"<loc>(.*?)</loc>", client.get(f"/sitemap-{n}.xml").text)
        assert len(part) == 1000 or n == numbers[-1]
        listed += part
    assert listed[0] == "/" and listed[len(pages.STATIC_PAGES) + 1 :] == want
    assert client.get(f"/sitemap-{numbers[-1] + 1}.xml").status_code == 404
