"""The site in a real headless Chromium (Debian's ``chromium`` driven by Playwright), with
JavaScript off as many readers and archivers have it: reading a cable, following its links,
paging through a listing, desktop and phone screenshots, and an axe-core accessibility check.

Screenshots go to ``$CABLEGATE_SCREENSHOTS`` when it is set (else a temporary folder).
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from cablegate.archive import Archive
from cablegate.urls import cable_url
from tests.conftest import requires_corpus

CHROMIUM = os.environ.get("CABLEGATE_CHROMIUM") or shutil.which("chromium") or ""
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


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        yield chromium
        chromium.close()


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
    page.locator("nav.paginator a", has_text="2").first.click()
    page.wait_for_url("**/tag/PREL_1.html")
    second = page.locator("table.listing tbody tr td:first-child").all_inner_texts()
    assert len(second) == 50 and not set(first) & set(second)
    assert page.locator("nav.paginator a[aria-current='page']").inner_text() == "2"
    last = page.locator("nav.paginator a").last
    last.click()
    assert page.locator("nav.paginator a[aria-current='page']").inner_text() == last.inner_text()
    assert 1 <= page.locator("table.listing tbody tr").count() <= 50


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
