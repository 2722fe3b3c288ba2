"""The served Cable Viewer: cable pages from the real corpus, checked against the archive."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape

from cablegate.archive import Archive
from cablegate.ingest import ingest
from cablegate.site import views
from cablegate.site.app import create_app
from cablegate.site.tags import explain
from cablegate.urls import CLASSIFICATION_NUMBERS, cable_url
from tests.conftest import NewDb, requires_corpus

pytestmark = [requires_corpus, pytest.mark.xdist_group("site")]


@pytest.fixture(scope="module")
def client(site_db: str) -> TestClient:
    return TestClient(create_app(str(site_db)), follow_redirects=False)


def test_cable_pages_show_the_archive_record(site_db: str, client: TestClient) -> None:
    with Archive.open(site_db, create=False) as archive:
        ids = archive.ids()
        total = len(ids)
        for cable_id in ids[::60]:
            cable = archive.cable(cable_id)
            assert cable is not None
            response = client.get(cable_url(cable_id, cable.created))
            assert response.status_code == 200, cable_id
            html = response.text
            assert f"<h1>Viewing cable {cable_id}" in html
            assert f"/ {total:,}</a>" in html
            if cable.created:
                assert cable.created.strftime("%Y-%m-%d %H:%M") in html
            if cable.released:
                assert f"/reldate/{cable.released:%Y-%m-%d}_0.html" in html
            if cable.classification in CLASSIFICATION_NUMBERS:
                number = CLASSIFICATION_NUMBERS[cable.classification]
                assert f'<a href="/classification/{number}_0.html">' in html
            tags_line = re.search(r"^\s*TAGS:?\s*(.*)$", cable.body, re.M)
            for tag in cable.tags:
                if tags_line and re.search(rf"\b{re.escape(tag)}\b", tags_line.group(1)):
                    info = explain(tag)
                    title = f" title='{escape(info.meaning)}'" if info else ""
                    link = f"<a href='/tag/{tag}_0.html'{title}>{tag}</a>"
                    assert link in html, (cable_id, tag)
            numbers = [p.number for p in cable.paragraphs if p.number]
            if numbers:
                assert f"id='par{numbers[0]}'" in html
            for article in cable.articles:
                assert article.url.replace("&", "&amp;") in html


def test_reference_links_and_cited_by(site_db: str, client: TestClient) -> None:
    with Archive.open(site_db, create=False) as archive:
        conn = archive.conn
        source, target = conn.execute(
            "SELECT c.canonical_id, r.target FROM refs r JOIN cables c ON c.id = r.cable_id "
            "JOIN cables t ON t.canonical_id = r.target "
            "WHERE r.kind = 'cable' AND r.target != c.canonical_id LIMIT 1"
        ).fetchone()
        src, dst = archive.cable(source), archive.cable(target)
    assert src is not None and dst is not None
    page = client.get(cable_url(source, src.created)).text
    assert f'href="{cable_url(target, dst.created)}"' in page
    cited = client.get(cable_url(target, dst.created)).text
    assert "<h2>Cited by</h2>" in cited and f'href="{cable_url(source, src.created)}"' in cited


def test_old_and_wrong_urls(site_db: str, client: TestClient) -> None:
    with Archive.open(site_db, create=False) as archive:
        cable_id = archive.ids()[0]
        cable = archive.cable(cable_id)
    assert cable is not None
    moved = client.get(f"/cable/1999/01/{cable_id}.html")
    assert moved.status_code == 301
    assert moved.headers["location"] == cable_url(cable_id, cable.created)
    assert client.get("/cable/2010/01/10NOWHERE999.html").status_code == 404
    assert client.get("/static/cables.css").status_code == 200


def test_cable_text_cannot_inject_markup(tmp_path: Path, new_db: NewDb) -> None:
    evil = (
        "10EVILPOST1\n"
        'SUBJECT <script>alert("s")</script> & "quotes"\n'
        "Mon Jan 04 10:00:00 +0000 2010\n"
        "SECRET\n"
        "Embassy <b>Evil</b>\n"
        "R 041000Z JAN 10\nFM AMEMBASSY EVIL\nTO SECSTATE WASHDC 0001\n"
        "S E C R E T EVIL 000001\n\nTAGS: PREL, <img src=x onerror=alert(1)>\n"
        "SUBJECT: <script>alert('subject')</script>\n\n"
        "1. (S) </pre><script>alert('body')</script> 'single' \"double\" <a href=x>x</a>\n"
    )
    source = tmp_path / "evil.txt"
    source.write_text(evil)
    db = new_db("evil")
    with Archive.open(db) as archive:
        report = ingest(archive, [source], jobs=1)
        assert report.new == 1, report.problems
        cable = archive.cable("10EVILPOST1")
    assert cable is not None
    html = TestClient(create_app(str(db))).get(cable_url("10EVILPOST1", cable.created)).text
    assert "<script>" not in html and "<img" not in html and "<b>Evil" not in html
    assert "&lt;script&gt;alert(&#39;body&#39;)&lt;/script&gt;" in html
    # header, body, and the cite block's BibTeX, RIS and CSL-JSON: each closed once
    assert html.count("</pre>") == html.count("<pre") == 5
    assert "&lt;a href=x&gt;" in html


_ROW = re.compile(
    r'<tr>\n<td data-label="Reference ID"><a href="/cable/[^"]+">([^<]+)</a></td>\n'
    r'<td data-label="Subject">[^<]*</td>\n'
    r'<td data-label="Created">(?:<a href="/date/[^"]+">([^<]+)</a>)?</td>\n'
    r'<td data-label="Released">(?:<a href="/reldate/[^"]+">([^<]+)</a>)?</td>'
)


def _listing(html: str) -> list[tuple[str, str, str]]:
    return [m.groups() for m in _ROW.finditer(html)]


def test_browse_pages_list_every_cable_in_the_original_order(
    site_db: str, client: TestClient
) -> None:
    with Archive.open(site_db, create=False) as archive:
        pane = views.pane(archive)
        conn = archive.conn
        state = pane.origin_numbers["Secretary of State"]
        cases = {
            "/reldate/2010-11-28": "substr(released, 1, 10) = '2010-11-28'",
            "/date/2010-02": "substr(created, 1, 7) = '2010-02'",
            "/tag/PTER": "id IN (SELECT cable_id FROM tags WHERE tag = 'PTER')",
            "/classification/3": "classification = 'SECRET'",
            f"/origin/{state}": "origin = 'Secretary of State'",
        }
        for prefix, where in cases.items():
            want = [
                r[0]
                for r in conn.execute(
                    f"SELECT canonical_id FROM cables WHERE {where} "
                    "ORDER BY released DESC, created, canonical_id"
                )
            ]
            assert want, prefix
            got: list[str] = []
            pages = -(-len(want) // views.PAGE_SIZE)
            for page in range(pages):
                response = client.get(f"{prefix}_{page}.html")
                assert response.status_code == 200, (prefix, page)
                rows = _listing(response.text)
                assert len(rows) == min(views.PAGE_SIZE, len(want) - page * views.PAGE_SIZE)
                keys = [(r[2] or "", r[1] or "") for r in rows]
                assert [k[0] for k in keys] == sorted((k[0] for k in keys), reverse=True)
                got.extend(r[0] for r in rows)
            assert got == want, prefix
            assert client.get(f"{prefix}_{pages}.html").status_code == 404
            # The whole listing as CSV and JSON Lines, linked from its pages, in that order.
            assert f'href="{prefix}.csv"' in response.text
            table = list(csv.DictReader(io.StringIO(client.get(f"{prefix}.csv").text)))
            assert [row["id"] for row in table] == want, prefix
            lines = client.get(f"{prefix}.jsonl").text.splitlines()
            records = [json.loads(line) for line in lines]  # CSV has no null: "" there
            assert [{k: v or "" for k, v in r.items()} for r in records] == table
        assert pane.released == pane.total == len(archive.ids())
        # The original numbered origins in reverse alphabetical order (USUN New York = 1).
        assert pane.origin_numbers["USUN New York"] == 1


def test_home_faq_about_and_articles_pages(site_db: str, client: TestClient) -> None:
    for url in ("/", "/index.html", "/faq.html", "/about.html"):
        response = client.get(url)
        assert response.status_code == 200 and "Currently released so far" in response.text
    assert "Latest release: 2011/04/11" in client.get("/").text
    with Archive.open(site_db, create=False) as archive:
        urls_ = {r[0] for r in archive.conn.execute("SELECT url FROM articles")}
    assert len(urls_) > 100
    page = client.get("/articles.html").text
    for url in list(urls_)[:200]:
        assert f'href="{url.replace("&", "&amp;")}"' in page


def test_versions_are_listed_and_viewable_with_a_diff(site_db: str, client: TestClient) -> None:
    with Archive.open(site_db, create=False) as archive:
        history = archive.history("04RANGOON1100")
        cable = archive.cable("04RANGOON1100")
    assert cable is not None and len(history) == 2
    url = cable_url("04RANGOON1100", cable.created)
    html = client.get(url).text
    assert '<h2 id="versions">Versions</h2>' in html
    earlier = history[0]
    version_url = url.removesuffix(".html") + f"/version-{earlier.number}.html"
    assert f'href="{version_url}"' in html
    old = client.get(version_url)
    assert old.status_code == 200
    assert "This is an earlier version" in old.text and '<p class="diff">' in old.text
    assert "<del>Friday, 27 August 2004, 08:08</del>" in old.text
    current = url.removesuffix(".html") + f"/version-{history[-1].number}.html"
    # The current version's permalink stays its own address: for now a page that sends the
    # reader on to the cable's URL (a later version will not take it over).
    permalink = client.get(current, follow_redirects=False)
    assert permalink.status_code == 200
    assert f'<meta http-equiv="refresh" content="0; url={url}">' in permalink.text
    assert f'<a href="{url}">' in permalink.text
    assert f"Version {history[-1].number} is the current version" in permalink.text
    assert client.get(url.removesuffix(".html") + "/version-99.html").status_code == 404


def test_pages_carry_etag_and_last_modified_and_answer_304(
    site_db: str, client: TestClient
) -> None:
    with Archive.open(site_db, create=False) as archive:
        modified = archive.state().modified
        cable = archive.cable("04RANGOON1100")
    assert modified and cable is not None
    for url in ("/", cable_url("04RANGOON1100", cable.created), "/tag/PREL_0.html"):
        first = client.get(url)
        etag, last = first.headers["etag"], first.headers["last-modified"]
        assert etag.startswith('"') and last.endswith(" GMT")
        assert client.get(url).headers["etag"] == etag  # the same bytes, the same tag
        assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
        assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200
        assert client.get(url, headers={"If-Modified-Since": last}).status_code == 304
        older = "Mon, 01 Jan 2001 00:00:00 GMT"
        assert client.get(url, headers={"If-Modified-Since": older}).status_code == 200
        head = client.head(url)
        assert head.status_code == 200 and head.headers["etag"] == etag
    assert "etag" not in client.get("/tag/NOSUCHTAG_0.html").headers


def test_tags_are_explained_and_menus_have_index_pages(client: TestClient) -> None:
    html = client.get("/tag/PTER_0.html").text
    assert "PTER: Terrorism and terrorists (subject tag)" in html
    assert "PK: Pakistan (country tag)" in client.get("/tag/PK_0.html").text
    letters = client.get("/tag/P.html").text
    assert (
        '<a href="/tag/PREL_0.html">PREL</a></td><td data-label="Meaning">'
        "External political relations"
    ) in letters
    origins = client.get("/origin/A.html").text  # filed by place, as the original did
    assert ">Embassy Athens</a>" in origins and ">Consulate Amsterdam</a>" in origins
    assert ">Embassy Berlin</a>" not in origins
    year = client.get("/date/2009.html").text
    assert '<a href="/date/2009-01_0.html">2009/01</a>' in year
    assert client.get("/tag/9.html").status_code == 404
    home = client.get("/").text
    for link in ('href="/tag/P.html"', 'href="/origin/A.html"', 'href="/date/2009.html"'):
        assert link in home


def test_search_page(site_db: str, client: TestClient) -> None:
    page = client.get("/search", params={"q": '"A.Q. Khan" tag:PK'})
    assert page.status_code == 200
    html = page.text
    assert '<label for="q">' in html and 'value="&#34;A.Q. Khan&#34; tag:PK"' in html
    assert "cables found" in html and "<mark>" in html
    hits = re.findall(r'<article class="hit">\n<h2><a href="([^"]+)">([^<]+)</a>', html)
    with Archive.open(site_db, create=False) as archive:
        for href, cid in hits:
            cable = archive.cable(cid)
            assert cable is not None and href == cable_url(cid, cable.created)
    # Facet links narrow the search to exactly their count.
    link, count = re.search(
        r'<li><a href="(/search\?[^"]+tag%3AIN[^"]*)">IN</a> \((\d+)\)', html
    ).groups()
    narrowed = client.get(link.replace("&amp;", "&")).text
    assert f"{count} cable" in narrowed
    # An ID jumps to the cable.
    jump = client.get("/search", params={"q": "08 STATE 37957"})
    assert jump.status_code == 303 and jump.headers["location"].endswith("/08STATE37957.html")
    # Bad values and malformed input: a message, never a server error.
    bad = client.get("/search", params={"q": "created:abc"})
    assert bad.status_code == 200 and "not a date" in bad.text
    for q in ('"unbalanced', "((( OR", "<script>alert(1)</script>", "x" * 5000):
        response = client.get("/search", params={"q": q})
        assert response.status_code == 200 and "<script>alert" not in response.text
    # Exports of the whole result set.
    rows = client.get("/search.csv", params={"q": '"A.Q. Khan" tag:PK'}).text.splitlines()
    assert rows[0] == "id,subject,created,released,classification,origin,path,url"
    assert len(rows) > 1
    lines = client.get("/search.jsonl", params={"q": '"A.Q. Khan" tag:PK'}).text.split("\n")[:-1]
    assert len(lines) == len(rows) - 1
    assert client.get("/search.csv", params={"q": "created:abc"}).status_code == 400
    assert client.get("/search.csv", params={"q": "khan", "sort": "sideways"}).status_code == 400
    assert client.get("/feeds/search.atom", params={"q": "created:abc"}).status_code == 400


def test_atom_feeds(site_db: str) -> None:
    import xml.etree.ElementTree as ET

    from cablegate.search.engine import all_hits

    client = TestClient(create_app(str(site_db), "https://cables.example"))
    ns = {"a": "http://www.w3.org/2005/Atom"}

    def entries(url: str, **params: str) -> list[str]:
        response = client.get(url, params=params)
        assert response.status_code == 200, url
        assert response.headers["content-type"].startswith("application/atom+xml")
        root = ET.fromstring(response.content)
        assert root.find("a:updated", ns) is not None and root.find("a:title", ns) is not None
        links = [e.find("a:link", ns).get("href") for e in root.findall("a:entry", ns)]
        assert all(link.startswith("https://cables.example/cable/") for link in links)
        return [link.rsplit("/", 1)[1].removesuffix(".html") for link in links]

    listing = _listing(client.get("/tag/PTER_0.html").text)
    assert entries("/feeds/tag/PTER.atom") == [row[0] for row in listing]
    assert 'href="/feeds/tag/PTER.atom"' in client.get("/tag/PTER_0.html").text
    home = _listing(client.get("/").text)
    assert entries("/feeds/latest.atom")[: len(home)] == [row[0] for row in home]
    with Archive.open(site_db, create=False) as archive:
        newest = [h.canonical_id for h in all_hits(archive, "khan", "newest")[:50]]
    assert entries("/feeds/search.atom", q="khan") == newest
    assert client.get("/feeds/tag/NOSUCHTAG.atom").status_code == 404


def _timeline(html: str) -> tuple[str, list[tuple[str, str, int]], list[tuple[str, int]]]:
    """The search page's timeline: its title, its bars (link, label, count) and its table."""
    import xml.etree.ElementTree as ET

    section = re.search(r'<section class="timeline".*?</section>', html, re.S)
    assert section, "no timeline"
    svg = ET.fromstring(re.search(r"<svg .*?</svg>", section.group(0), re.S).group(0))
    ns = "{http://www.w3.org/2000/svg}"
    assert svg.get("role") == "group" and svg.get("aria-label")
    bars = []
    for a in svg.iter(f"{ns}a"):
        title = a.find(f"{ns}rect/{ns}title").text
        label, count = re.fullmatch(r"(\d{4}(?:-\d\d)?): ([\d,]+) cables?", title).groups()
        bars.append((a.get("href"), label, int(count.replace(",", ""))))
    table = [
        (label, int(count.replace(",", "")))
        for label, count in re.findall(
            r"<tr><td>(?:<a [^>]+>)?([\d-]+)(?:</a>)?</td><td>([\d,]+)</td></tr>", section.group(0)
        )
    ]
    title = re.search(r'<h2 id="timeline">([^<]+)</h2>', section.group(0)).group(1)
    return title, bars, table


def _found(html: str) -> int:
    return int(
        re.search(r'<p class="count">([\d,]+) cables? found', html).group(1).replace(",", "")
    )


def test_search_timeline_adds_up_and_its_bars_narrow_to_their_month(
    site_db: str, client: TestClient
) -> None:
    from cablegate.search import search
    from cablegate.site.charts import months_between

    with Archive.open(site_db, create=False) as archive:
        want = {q: search(archive, q) for q in ("khan", "khan OR sarkozy", "the")}
    for q in ("khan", "khan OR sarkozy"):
        html = client.get("/search", params={"q": q}).text
        title, bars, table = _timeline(html)
        results = want[q]
        assert title == "Cables found per month"
        assert html.index('class="timeline"') < html.index('class="hits"')  # above the hits
        assert sum(n for _, _, n in bars) == results.total == _found(html) > 0
        assert [(label, n) for _, label, n in bars] == results.timeline
        # One month after another in the table, the months without hits as 0 (gaps).
        months = [label for label, _ in table]
        assert months == months_between(months[0], months[-1]) and len(months) > len(bars)
        assert dict(table) == {m: dict(results.timeline).get(m, 0) for m in months}
        busiest = max(bars, key=lambda bar: bar[2])
        for href, label, count in {bars[0], busiest, bars[-1], bars[len(bars) // 2]}:
            assert f"created%3A{label}" in href
            narrowed = client.get(href.replace("&amp;", "&")).text
            assert _found(narrowed) == count, (q, label)
    # Hits over more than 240 months: a bar per year, and the page says so.
    html = client.get("/search", params={"q": "the"}).text
    title, bars, table = _timeline(html)
    assert title == "Cables found per year" and "By year: the" in html
    assert sum(n for _, _, n in bars) == want["the"].total == sum(n for _, n in table)
    years = [label for label, _ in table]
    assert years == [str(y) for y in range(int(years[0]), int(years[-1]) + 1)]
    href, label, count = max(bars, key=lambda bar: bar[2])
    assert _found(client.get(href.replace("&amp;", "&")).text) == count
    # No hits, no timeline.
    assert 'class="timeline"' not in client.get("/search", params={"q": "zzxqvw"}).text


def test_search_feed_links_csv_and_json_lines_come_first(client: TestClient) -> None:
    q = '"A.Q. Khan" & tag:PK'
    html = client.get("/search", params={"q": q, "sort": "newest"}).text
    group = re.search(r'<div class="exports">.*?</div>', html, re.S)
    assert group and group.start() < html.index('<div class="hits"')
    assert group.start() < html.index('class="timeline"')
    hrefs = re.findall(r'href="([^"]+)"', group.group(0))
    encoded = "q=%22A.Q.+Khan%22+%26+tag%3APK"
    assert hrefs == [
        f"/feeds/search.atom?{encoded}",
        f"/search.csv?{encoded}&amp;sort=newest",
        f"/search.jsonl?{encoded}&amp;sort=newest",
    ]
    head = html[: html.index("</head>")]
    assert (
        f'<link rel="alternate" type="application/atom+xml" href="/feeds/search.atom?{encoded}"'
        in head
    )
    total = _found(html)
    feed, table, lines = (client.get(h.replace("&amp;", "&")) for h in hrefs)
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("application/atom")
    assert feed.text.count("<entry>") == min(total, views.FEED_ENTRIES)
    assert len(list(csv.DictReader(io.StringIO(table.text)))) == total
    assert len(lines.text.split("\n")[:-1]) == total


def test_search_suggestion_links_to_the_respelled_search(site_db: str, client: TestClient) -> None:
    from cablegate.search import search

    with Archive.open(site_db, create=False) as archive:
        assert search(archive, "berlusconni italy").suggestion == "berlusconi italy"
    html = client.get("/search", params={"q": "berlusconni italy"}).text
    assert _found(html) == 0
    link = re.search(r'Did you mean <a href="([^"]+)">berlusconi italy</a>\?', html)
    assert link and link.group(1) == "/search?q=berlusconi+italy&amp;sort=relevance"
    assert "Note: " + escape('no cable has "berlusconni"') + "." in html
    assert "did you mean" not in html  # asked once, with the link
    assert _found(client.get(link.group(1).replace("&amp;", "&")).text) > 0
    # The suggestion is the reader's own text: escaped.
    evil = client.get("/search", params={"q": "berlusconni <script>x</script>"}).text
    assert "Did you mean" in evil and "<script>" not in evil and "&lt;script&gt;" in evil
    assert "Did you mean" not in client.get("/search", params={"q": "berlusconi"}).text


def test_search_page_past_the_last_page_says_so(client: TestClient) -> None:
    first = client.get("/search", params={"q": "khan"}).text
    pages = int(re.search(r"page 1 of (\d+)\.", first).group(1))
    html = client.get("/search", params={"q": "khan", "page": 99}).text
    assert f"page 99 is past the last page ({pages})" in html and "page 99 of" not in html
    last = re.search(r'past the last page \(\d+\): <a href="([^"]+)">go to page (\d+)</a>', html)
    assert last and int(last.group(2)) == pages
    assert '<article class="hit">' not in html and 'rel="prev"' not in html
    shown = client.get(last.group(1).replace("&amp;", "&")).text
    assert f"page {pages} of {pages}." in shown and '<article class="hit">' in shown
    assert (
        "past the last page" not in client.get("/search", params={"q": "khan", "page": pages}).text
    )
