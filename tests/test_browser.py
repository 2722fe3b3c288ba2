"""The site in a real headless Chromium (Debian's ``chromium`` driven by Playwright), with
JavaScript off as many readers and archivers have it: reading a cable, following its links,
paging through a listing, desktop and phone screenshots, and an axe-core accessibility check.

Screenshots go to ``$CABLEGATE_SCREENSHOTS`` when it is set (else a temporary folder).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from cablegate.archive import Archive
from cablegate.urls import cable_url
from tests.conftest import CHROMIUM, requires_corpus

pytestmark = [
    requires_corpus,
    pytest.mark.xdist_group("site"),
    pytest.mark.skipif(  # in CI a missing browser fails the tests instead
        not CHROMIUM and not os.environ.get("CI"),
        reason="no chromium on PATH (apt-get install chromium; .ci/run does)",
    ),
]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def page(browser, live_site: str) -> Iterator[object]:
    context = browser.new_context(base_url=live_site, java_script_enabled=False, viewport=DESKTOP)
    yield context.new_page()
    context.close()


@pytest.fixture(scope="module")
def linked(site_db: str) -> tuple[str, str, str]:
    """A cable with TAGS and numbered paragraphs that cites another cable of the archive:
    (its URL, the cited cable's ID, the cited cable's URL)."""
    with Archive.open(site_db, create=False) as archive:
        for source, target in archive.conn.execute(
            "SELECT c.canonical_id, r.target FROM refs r JOIN cables c ON c.id = r.cable_id "
            "JOIN cables t ON t.canonical_id = r.target "
            "WHERE r.kind = 'cable' AND r.target != c.canonical_id ORDER BY c.id"
        ):
            src, dst = archive.cable(source), archive.cable(target)
            assert src is not None and dst is not None
            numbers = [p.number for p in src.paragraphs if p.number]
            if src.tags and len(numbers) >= 3 and "TAGS" in src.body:
                return cable_url(source, src.created), target, cable_url(target, dst.created)
    raise AssertionError("no cable citing another")


@pytest.fixture(scope="module")
def long_lines(site_db: str) -> str:
    """The URL of a cable whose body has a line of more than 200 characters (a paragraph
    with no line breaks), wider than a desktop screen."""
    with Archive.open(site_db, create=False) as archive:
        for cid in archive.ids():
            cable = archive.cable(cid)
            assert cable is not None
            if max(len(line) for line in cable.body.split("\n")) > 200:
                return cable_url(cid, cable.created)
    raise AssertionError("no cable with long lines")


def screenshots() -> Path:
    folder = Path(os.environ.get("CABLEGATE_SCREENSHOTS") or "/tmp/cablegate-screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_read_a_cable_and_follow_its_links(page, linked: tuple[str, str, str]) -> None:
    url, cited, cited_url = linked
    page.goto(url)
    heading = page.locator("h1")
    assert heading.inner_text().startswith("Viewing cable ")
    assert page.locator("table.cable td").first.inner_text() in heading.inner_text()

    # A paragraph link: the ¶ anchor is a link to itself, and the page scrolls to it.
    page.locator("pre.body a.par").nth(2).click()
    assert page.url.endswith("#par3")
    assert page.locator("#par3").is_visible()
    top = page.evaluate("document.getElementById('par3').getBoundingClientRect().top")
    assert 0 <= top < DESKTOP["height"]
    # ... and highlighted (CSS :target), unlike the other paragraphs.
    background = "id => getComputedStyle(document.getElementById(id)).backgroundColor"
    assert page.evaluate(background, "par3") == "rgb(255, 224, 102)"
    assert page.evaluate(background, "par2") == "rgba(0, 0, 0, 0)"

    # A reference link goes to the cited cable.
    page.goto(url)
    page.locator(f"pre.body a[href='{cited_url}']").first.click()
    page.wait_for_url("**" + cited_url)
    assert page.locator("h1").inner_text().startswith(f"Viewing cable {cited}")
    assert page.locator(f"a[href='{url}']").count() >= 1  # listed under "Cited by"

    # A tag link goes to the tag's listing.
    page.goto(url)
    tag = page.locator("pre.body a[href^='/tag/']").first
    code = tag.inner_text()
    tag.click()
    page.wait_for_url(f"**/tag/{code}_0.html")
    assert page.locator("h1").inner_text() == f"Browse by {code}"
    assert page.locator(f"table.listing a[href='{url}']").count() in (0, 1)
    assert page.locator("table.listing tbody tr").count() >= 1


def test_page_through_a_browse_listing(page) -> None:
    page.goto("/tag/PREL_0.html")
    first = page.locator("table.listing tbody tr td:first-child").all_inner_texts()
    assert len(first) == 50
    pager = page.locator("nav.paginator").first
    assert pager.locator("a[rel='prev']").count() == 0  # none before the first page
    pager.locator("a[rel='next']").click()  # ">>"
    page.wait_for_url("**/tag/PREL_1.html")
    second = page.locator("table.listing tbody tr td:first-child").all_inner_texts()
    assert len(second) == 50 and not set(first) & set(second)
    pager = page.locator("nav.paginator").first
    assert pager.locator("a[aria-current='page']").inner_text() == "2"
    last = pager.locator("a[aria-label^='Last page']")
    number = last.inner_text()
    last.click()
    page.wait_for_url(f"**/tag/PREL_{int(number) - 1}.html")
    pager = page.locator("nav.paginator").first
    assert pager.locator("a[aria-current='page']").inner_text() == number
    assert pager.locator("a[rel='next']").count() == 0  # none after the last page
    assert 1 <= page.locator("table.listing tbody tr").count() <= 50
    pager.locator("a[rel='prev']").click()  # "<<"
    page.wait_for_url(f"**/tag/PREL_{int(number) - 2}.html")
    page.locator("nav.paginator").last.locator("a[aria-label^='First page']").click()
    page.wait_for_url("**/tag/PREL_0.html")
    assert page.locator("table.listing tbody tr td:first-child").all_inner_texts() == first


def test_menus_work_without_javascript(page) -> None:
    page.goto("/")
    months = page.locator("nav.pane details").first
    assert not months.locator("a").first.is_visible()
    months.locator("summary").click()  # <details> opens without any script
    assert months.locator("a").first.is_visible()
    page.locator("nav.pane a[href='/tag/P.html']").click()
    page.wait_for_url("**/tag/P.html")
    page.locator("a[href='/tag/PTER_0.html']").click()
    assert "Terrorism" in page.locator("p.explain").inner_text()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_screenshots_and_layout(browser, live_site: str, linked, viewport: dict) -> None:
    context = browser.new_context(base_url=live_site, java_script_enabled=False, viewport=viewport)
    page = context.new_page()
    name = "desktop" if viewport is DESKTOP else "phone"
    for label, url in (
        ("cable", linked[0]),
        ("browse", "/tag/PREL_0.html"),
        ("search", "/search?q=khan"),
        ("home", "/"),
        ("statistics", "/statistics.html"),
    ):
        page.goto(url)
        shot = screenshots() / f"{label}-{name}.png"
        page.screenshot(path=str(shot), full_page=False)
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], (url, width)  # nothing wider than the screen
        top = page.evaluate("document.querySelector('h1').getBoundingClientRect().top")
        assert 0 <= top < viewport["height"], (url, top)  # the content comes first
    context.close()


def _inside(box: dict | None, viewport: dict) -> bool:
    """Whether an element's bounding box is wholly inside the first screen."""
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_search_box_and_menu_come_first_and_nothing_is_cut(
    browser, live_site: str, linked, long_lines: str, viewport: dict
) -> None:
    context = browser.new_context(base_url=live_site, java_script_enabled=False, viewport=viewport)
    page = context.new_page()
    phone = viewport is PHONE
    for url in (
        linked[0],
        long_lines,
        "/tag/PREL_0.html",
        "/tag/P.html",
        "/",
        "/faq.html",
        "/search?q=khan",
    ):
        page.goto(url)
        # The search box (the search page's own form on the search page), in the first screen,
        # and only one of them on a phone.
        box = "#q" if url.startswith("/search") else "#phone-q" if phone else "#pane-q"
        assert page.locator(box).is_visible() and _inside(
            page.locator(box).bounding_box(), viewport
        )
        shown = page.locator("input[type='search']:visible").count()
        assert shown == 1 or (not phone and url.startswith("/search")), url  # (and the pane's)
        # On a phone a menu button, in the first screen too, that leads to the menus.
        menu = page.locator("a.menu-button")
        assert menu.is_visible() == phone, url
        if phone:
            assert _inside(menu.bounding_box(), viewport), url
            top = page.evaluate("document.querySelector('h1').getBoundingClientRect().top")
            assert top < viewport["height"] / 2, url  # the content comes before the menus
            menus = page.evaluate("document.getElementById('menu').getBoundingClientRect().top")
            assert menus > top
        # The page never scrolls sideways, and no table cell is cut.
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], url
        cut = page.evaluate(
            "[...document.querySelectorAll('table.cable td, table.cable th')]"
            ".filter(c => c.getClientRects().length && c.scrollWidth > c.clientWidth)"
            ".map(c => c.textContent.trim())"
        )
        assert cut == [], (url, cut[:5])
        wide = page.evaluate(
            "[...document.querySelectorAll('table.cable')]"
            ".filter(t => t.offsetWidth > t.parentElement.clientWidth).length"
        )
        assert wide == 0, url
    if phone:  # on a phone the table reads as label/value pairs
        page.goto(linked[0])
        cell = page.locator("table.cable td[data-label='Classification']")
        label = page.evaluate("c => getComputedStyle(c, '::before').content", cell.element_handle())
        assert label == '"Classification"'
        head = page.locator("table.cable thead").bounding_box()
        assert head is not None and head["height"] <= 1  # the column heads are not shown
        value = cell.locator("a").bounding_box()
        assert value is not None and value["x"] + value["width"] <= viewport["width"]
        page.locator("a.menu-button").click()
        assert page.url.endswith("#menu")
        heading = page.locator("#menu h2", has_text="Browse by tag")
        assert heading.is_visible()
        top = page.evaluate("document.getElementById('menu').getBoundingClientRect().top")
        assert 0 <= top < viewport["height"]  # the menus are on screen now
    # The telegram text keeps its lines: a long line scrolls inside its box.
    page.goto(long_lines)
    body = page.locator("pre.body")
    style = body.evaluate(
        "p => { const s = getComputedStyle(p); return [s.whiteSpace, s.overflowX]; }"
    )
    assert style == ["pre", "auto"]
    assert body.evaluate("p => p.scrollWidth > p.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    # As many lines on screen as in the text: nothing wrapped.
    rows = body.evaluate(
        "p => { const s = getComputedStyle(p);"
        " const inner = p.clientHeight - parseFloat(s.paddingTop) - parseFloat(s.paddingBottom);"
        " return inner / parseFloat(s.lineHeight); }"
    )
    lines = len(body.inner_text().rstrip("\n").split("\n"))
    assert abs(rows - lines) < 1, (rows, lines)
    context.close()


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "cable",
        "/tag/PREL_0.html",
        "/tag/P.html",
        "/faq.html",
        "/search?q=khan",
        "/statistics.html",
    ],
)
def test_accessibility(browser, live_site: str, linked, url: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    context = browser.new_context(base_url=live_site, viewport=DESKTOP)  # axe needs scripts
    page = context.new_page()
    page.goto(linked[0] if url == "cable" else url)
    results = Axe().run(page, options={"runOnly": ["wcag2a", "wcag2aa", "best-practice"]})
    assert results.violations_count == 0, results.generate_report()
    levels = page.evaluate("[...document.querySelectorAll('h1,h2,h3,h4')].map(h => +h.tagName[1])")
    assert levels.count(1) == 1 and all(b - a <= 1 for a, b in itertools.pairwise(levels))
    context.close()


@pytest.mark.parametrize("url", ["cable", "/tag/PREL_0.html", "/search?q=khan"])
def test_accessibility_on_a_phone(browser, live_site: str, linked, url: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    context = browser.new_context(base_url=live_site, viewport=PHONE)
    page = context.new_page()
    page.goto(linked[0] if url == "cable" else url)
    results = Axe().run(page, options={"runOnly": ["wcag2a", "wcag2aa", "best-practice"]})
    assert results.violations_count == 0, results.generate_report()
    context.close()
