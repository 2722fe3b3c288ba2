"""Search in the static mirror: ``build-site`` writes a Pagefind index (``pagefind/``) and a
search page (``search.html``), listed in the manifest and rebuilt only when the cables' text
changed; served by a plain file server, the page finds in Debian's Chromium the cables the
served site's search finds, and shows cable text as text, never as markup."""

from __future__ import annotations

import gzip
import hashlib
import itertools
import json
import os
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient

from cablegate.archive import Archive
from cablegate.ingest import ingest
from cablegate.site import static_search
from cablegate.site.app import create_app
from cablegate.site.build import MANIFEST, BuildReport, build_site, read_manifest
from tests.conftest import CHROMIUM, iter_tar_html, requires_corpus, server_process

pytestmark = [requires_corpus, pytest.mark.xdist_group("static-search")]

PAGES = 300
"""The first cable pages of the corpus: the archive searched."""
MARKUP = '<b id="injected">zqxmarkup</b><script>document.title="zqxran"</script>'
"""Planted in one cable's subject line: text, that must show as text."""


def _plant(data: bytes) -> bytes:
    """A cable page whose subject starts with :data:`MARKUP` (escaped in the page's HTML, as
    cable text is: the cable's text holds the characters ``<b ...>``)."""
    escaped = MARKUP.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(rb"SUBJECT:\s*", f"SUBJECT: {escaped} ".encode(), data, count=1)


@pytest.fixture(scope="module", autouse=True)
def _parts() -> Iterator[None]:
    """Parts of 120 cables: the 300 in three (the last one part full), searched as one."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(static_search, "PART_SIZE", 120)
        yield


@pytest.fixture(scope="module")
def pages() -> list[tuple[str, bytes]]:
    found = list(itertools.islice(iter_tar_html("cablegate-site.tar.xz"), PAGES + 1))
    return [(Path(name).name, data) for name, data in found]


@pytest.fixture(scope="module")
def archive(pages: list[tuple[str, bytes]], tmp_path_factory: pytest.TempPathFactory) -> str:
    """The first 300 cable pages, the first with markup planted in its subject."""
    folder = tmp_path_factory.mktemp("pages")
    for i, (name, data) in enumerate(pages[:PAGES]):
        (folder / name).write_bytes(_plant(data) if i == 0 else data)
    db = str(folder.parent / "archive.db")
    with Archive.open(db) as opened:
        assert ingest(opened, [folder], jobs=1).new == PAGES
    return db


@pytest.fixture(scope="module")
def mirror(archive: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, BuildReport]:
    out = tmp_path_factory.mktemp("mirror") / "www"
    report = build_site(archive, out, jobs=1)
    assert report.errors == [], report.errors
    return out, report


def _fragments(out: Path) -> dict[str, str]:
    """Every record of the index (``pagefind/N/fragment/*``, gzip): path -> JSON text."""
    return {
        p.relative_to(out).as_posix(): gzip.decompress(p.read_bytes()).decode("utf-8", "replace")
        for p in (out / "pagefind").glob("*/fragment/*")
    }


def test_a_part_pagefind_left_cut_short_is_found(
    mirror: tuple[Path, BuildReport], tmp_path: Path
) -> None:
    """Pagefind answers that it wrote a part before its files are all written: a part whose
    script ends mid-statement, or differs from the other parts', is written again (a CI run
    found a build whose pagefind.js ended in "Loaded nece")."""
    part = tmp_path / "part"
    shutil.copytree(mirror[0] / "pagefind" / "0", part)
    assert static_search._incomplete(part) is None
    script = (part / "pagefind.js").read_bytes()
    cut = script.index(b"Loaded nece") + len(b"Loaded nece")
    (part / "pagefind.js").write_bytes(script[:cut])
    assert "pagefind.js cut short" in (static_search._incomplete(part) or "")
    (part / "pagefind.js").write_bytes(script[:cut] + b";")  # cut where a statement ends
    assert "other than in the other parts" in (static_search._incomplete(part) or "")


def test_the_mirror_has_an_index_listed_in_its_manifest(mirror: tuple[Path, BuildReport]) -> None:
    out, report = mirror
    assert report.search == f"built, {PAGES:,} cables in 3 parts (no index yet)"
    assert f"; search index: built, {PAGES:,} cables in 3 parts" in report.summary()
    assert (out / "pagefind" / "0" / "pagefind.js").is_file() and (out / "search.html").is_file()
    parts = json.loads((out / "pagefind" / "index.json").read_text())["parts"]
    assert [(k, v["cables"]) for k, v in parts.items()] == [("0", 120), ("1", 120), ("2", 60)]
    fragments = _fragments(out)
    assert len(fragments) == PAGES  # one record a cable
    assert {rel.split("/")[1] for rel in fragments} == {"0", "1", "2"}
    assert sum('"url":"/cable/2004/07/04THEHAGUE1903.html"' in f for f in fragments.values()) == 1
    manifest = read_manifest(out)
    files = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert set(manifest) == files - {MANIFEST}
    assert {rel for rel in manifest if "/fragment/" in rel} == set(fragments)
    for rel in [r for r in manifest if r.startswith("pagefind/")]:
        assert hashlib.sha256((out / rel).read_bytes()).hexdigest() == manifest[rel], rel
    # The search page is the only page with a script, and its CSP allows the mirror's own.
    search = (out / "search.html").read_text()
    assert '<script type="module" src="/static/search.js"></script>' in search
    assert re.search(
        r'http-equiv="Content-Security-Policy" content="[^"]*script-src &#39;self&#39;', search
    )
    assert "needs JavaScript" in search
    scripted = [p for p in out.rglob("*.html") if b"<script" in p.read_bytes()]
    assert scripted == [out / "search.html"]
    # Every page's search form sends the reader to it.
    home = (out / "index.html").read_text()
    assert home.count('action="/search.html"') == 2 and 'action="/search"' not in home


def test_a_rebuild_reindexes_only_when_the_cables_text_changed(
    archive: str, pages: list[tuple[str, bytes]], tmp_path: Path
) -> None:
    db = tmp_path / "copy.db"
    db.write_bytes(Path(archive).read_bytes())
    out = tmp_path / "www"
    first = build_site(str(db), out, jobs=1)
    index = {p: p.stat().st_mtime_ns for p in (out / "pagefind").rglob("*") if p.is_file()}

    again = build_site(str(db), out, jobs=1)
    assert (again.written, again.removed, again.files) == (0, 0, first.files)
    assert again.search == f"unchanged ({PAGES:,} cables in 3 parts, as indexed)"
    assert {p: p.stat().st_mtime_ns for p in index} == index

    # A file of the index lost: rebuilt, and only what differs is written.
    fragment = next((out / "pagefind" / "1" / "fragment").iterdir())
    fragment.unlink()
    mended = build_site(str(db), out, jobs=1)
    assert mended.search == f"1 of 3 parts rebuilt, {PAGES:,} cables (part 1 files missing)"
    assert mended.written_paths == [fragment.relative_to(out).as_posix()]

    # One new cable: its part re-indexed (Pagefind writes an index whole), the reason said;
    # the other parts untouched, the other cables' records keep their files, the part's old
    # files are removed.
    name, data = pages[PAGES]
    (tmp_path / "new").mkdir()
    (tmp_path / "new" / name).write_bytes(data)
    with Archive.open(str(db)) as opened:
        assert ingest(opened, [tmp_path / "new"], jobs=1).new == 1
    before = read_manifest(out)
    stamps = {p: p.stat().st_mtime_ns for p in (out / "pagefind").rglob("*") if p.is_file()}
    added = build_site(str(db), out, jobs=1)
    assert added.errors == []
    assert added.search == f"1 of 3 parts rebuilt, {PAGES + 1:,} cables (part 2 changed)"
    written = [p for p in added.written_paths if p.startswith("pagefind/")]
    assert all(p.startswith("pagefind/2/") for p in written[:-1])
    assert written[-1] == "pagefind/index.json"
    new = [p for p in written if "/fragment/" in p]
    assert len(new) == 1 and Path(name).stem in _fragments(out)[new[0]]
    kept = {p: t for p, t in stamps.items() if "/2/" not in p.as_posix() and p.suffix != ".json"}
    assert len(kept) > 200 and {p: p.stat().st_mtime_ns for p in kept} == kept
    after = read_manifest(out)
    gone = [rel for rel in before if rel not in after]
    assert gone and all(rel.startswith("pagefind/2/") for rel in gone)
    assert not [rel for rel in gone if (out / rel).exists()]
    files = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert set(after) == files - {MANIFEST}
    assert not list(out.glob(".*"))  # no work folder left


def test_the_same_archive_gives_the_same_index(
    archive: str, mirror: tuple[Path, BuildReport], tmp_path: Path
) -> None:
    """Byte for byte (Pagefind alone writes each filter's values in a different order each
    run: the build sorts them), so a mirror or a bundle built twice is the same."""
    out = tmp_path / "www"
    assert not build_site(archive, out, jobs=2).errors  # (two parts at once)

    def index(root: Path) -> dict[str, bytes]:
        return {
            p.relative_to(root).as_posix(): p.read_bytes()
            for p in (root / "pagefind").rglob("*")
            if p.is_file()
        }

    first, second = index(mirror[0]), index(out)
    assert len(first) > PAGES and first == second
    assert (out / MANIFEST).read_bytes() == (mirror[0] / MANIFEST).read_bytes()


# -- in the browser ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def file_server(mirror: tuple[Path, BuildReport]) -> Iterator[str]:
    """``python -m http.server`` serving the mirror: its base URL."""
    command = [sys.executable, "-m", "http.server", "--bind", "127.0.0.1"]
    with server_process(lambda port: [*command, str(port)], "/search.html", cwd=mirror[0]) as base:
        yield base


@pytest.fixture(scope="module")
def chromium(browser: object) -> object:
    if not CHROMIUM and not os.environ.get("CI"):  # in CI a missing browser fails instead
        pytest.skip("no chromium on PATH (apt-get install chromium)")
    return browser


@pytest.fixture
def page(chromium, file_server: str) -> Iterator[object]:
    context = chromium.new_context(base_url=file_server)
    page = context.new_page()
    page.problems = []  # console errors (a CSP violation is one), failed requests
    page.on("console", lambda m: m.type == "error" and page.problems.append(m.location["url"]))
    page.on("requestfailed", lambda r: page.problems.append(f"{r.url}: {r.failure}"))
    yield page
    context.close()


def problems(page) -> list[str]:
    """What went wrong in the page, but the mirror's lack of a /favicon.ico."""
    return [p for p in page.problems if not p.endswith("/favicon.ico")]


def found_in_browser(page, params: dict[str, str]) -> list[str]:
    """The IDs of every cable the mirror's search page lists, "More results" clicked until
    none is left."""
    page.goto("/search.html?" + urlencode(params))
    status = page.locator("#status", has_text=re.compile(r"found|failed|could not"))
    status.wait_for(timeout=30_000)
    assert "found" in status.inner_text(), status.inner_text()
    while page.locator("#more").is_visible():
        shown = page.locator("#hits article").count()
        page.click("#more")
        page.locator(f"#hits article >> nth={shown}").wait_for()
    ids = page.locator("#hits article h2 a").all_inner_texts()
    total = int(re.match(r"([\d,]+) cables? found", status.inner_text()).group(1).replace(",", ""))
    assert len(ids) == len(set(ids)) == total
    return ids


@pytest.fixture(scope="module")
def served(archive: str) -> TestClient:
    return TestClient(create_app(archive))


def found_served(client: TestClient, q: str) -> set[str]:
    answer = client.get("/api/search", params={"q": q, "per_page": 200}).json()
    assert answer["total"] <= 200
    return {hit["id"] for hit in answer["hits"]}


def cables_saying(archive: str, pattern: str) -> set[str]:
    """The cables whose subject or body match ``pattern`` (any case): read, not searched."""
    with Archive.open(archive, create=False) as opened:
        found = set()
        for cid in opened.ids():
            cable = opened.cable(cid)
            assert cable is not None
            if re.search(pattern, f"{cable.subject}\n{cable.body}", re.I):
                found.add(cid)
    return found


def test_the_mirror_finds_what_the_served_site_finds(
    page, served: TestClient, archive: str
) -> None:
    # A word, a "phrase", a tag (chosen in the form's list), a word in a tag (typed as the
    # served site's search writes it): the same cables as the served site's search.
    word = found_in_browser(page, {"q": "nuclear"})
    assert set(word) == found_served(served, "nuclear") == cables_saying(archive, r"\bnuclear\b")
    assert len(word) == 30 and word[0] == "04BRASILIA1503"  # "NUCLEAR" in its subject
    phrase = found_in_browser(page, {"q": '"security council"'})
    assert set(phrase) == found_served(served, '"security council"')
    assert set(phrase) == cables_saying(archive, r"\bsecurity\s+council\b") and len(phrase) == 23
    assert set(found_in_browser(page, {"q": "security council"})) > set(phrase)

    page.goto("/search.html")
    page.locator("#filters:not([disabled])").wait_for()
    assert page.locator("#filter-tag option[value='PTER']").inner_text() == "PTER (52)"
    page.select_option("#filter-tag", "PTER")
    page.click("#search button[type=submit]")
    # A filter alone is the mirror's listing of it (Pagefind would load its whole index to
    # list them, which at 251k cables its WebAssembly cannot hold): the same 52 cables.
    page.wait_for_url("**/tag/PTER_0.html")
    assert page.locator("table.listing caption").inner_text() == "52 cables, page 1 of 2"
    tagged = page.locator("table.listing a[href^='/cable/']").all_inner_texts()
    page.goto("/tag/PTER_1.html")
    tagged += page.locator("table.listing a[href^='/cable/']").all_inner_texts()
    assert set(tagged) == found_served(served, "tag:PTER") and len(set(tagged)) == 52
    page.goto("/search.html?" + urlencode({"q": 'origin:"Embassy Paris"'}))
    page.wait_for_url(re.compile(r".*/origin/\d+_0\.html$"))
    paris = found_served(served, 'origin:"Embassy Paris"')
    caption = f"{len(paris)} cables, page 1 of {-(-len(paris) // 50)}"
    assert page.locator("table.listing caption").inner_text() == caption
    both = found_in_browser(page, {"q": "tag:PREL nuclear"})
    assert set(both) == found_served(served, "tag:PREL nuclear") and len(both) == 25
    year = found_in_browser(page, {"q": "nuclear", "year": "2004"})
    assert set(year) == found_served(served, "nuclear created:2004") and 0 < len(year) < 30

    # Where Pagefind reads more widely: it matches the start of a word's stem (terrorism:
    # terrorist, TERRORISTS; the served site's search matches whole stems) and finds words
    # in camel case (AmEmbassy: embassy). It finds at least what the served search finds.
    wider = found_in_browser(page, {"q": "terrorism"})
    assert set(wider) > found_served(served, "terrorism")
    assert set(wider) - found_served(served, "terrorism") <= cables_saying(archive, r"terroris")
    assert problems(page) == []


def test_results_show_subject_date_snippet_and_page(page) -> None:
    ids = []
    page.goto("/search.html?q=embassy")
    page.locator("#status", has_text="found").wait_for(timeout=30_000)
    assert re.fullmatch(r"1\d\d cables found; 20 shown\.", page.locator("#status").inner_text())
    first = page.locator("#hits article").first
    link = first.locator("h2 a")
    assert link.inner_text() == "04THEHAGUE1903"
    assert link.get_attribute("href") == "/cable/2004/07/04THEHAGUE1903.html"
    assert "SURVEILLANCE OF U.S. EMBASSY THE HAGUE" in first.locator("h2").inner_text()
    assert first.locator(".meta").inner_text() == (
        "2004-07-29 · UNCLASSIFIED//FOR OFFICIAL USE ONLY · Embassy The Hague"
    )
    assert [m.lower() for m in first.locator(".snippet mark").all_inner_texts()][:2] == [
        "embassy,",
        "embassy,",
    ]
    ids = page.locator("#hits article h2 a").all_inner_texts()
    page.click("#more")
    page.locator("#hits article >> nth=39").wait_for()
    more = page.locator("#hits article h2 a").all_inner_texts()
    assert more[:20] == ids and len(set(more)) == 40
    link.click()
    page.wait_for_url("**/cable/2004/07/04THEHAGUE1903.html")
    assert page.locator("h1").inner_text().startswith("Viewing cable 04THEHAGUE1903")
    assert problems(page) == []


def test_cable_text_shows_as_text_never_as_markup(page) -> None:
    page.goto("/search.html?q=zqxmarkup")
    page.locator("#status", has_text="1 cable found").wait_for(timeout=30_000)
    hit = page.locator("#hits article")
    assert MARKUP in hit.locator("h2").inner_text()
    assert "<b id=" in hit.locator(".snippet").inner_text()
    assert page.locator("#injected").count() == 0 and page.title() == "Search - Cable Viewer"
    assert problems(page) == []


def test_the_page_says_it_needs_javascript(browser, file_server: str) -> None:
    context = browser.new_context(base_url=file_server, java_script_enabled=False)
    page = context.new_page()
    page.goto("/search.html?q=nuclear")
    assert "it needs JavaScript" in page.locator("main .notice").inner_text()
    assert page.locator("#hits article").count() == 0
    context.close()
