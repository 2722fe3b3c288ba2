"""The whole site, served and built static: no broken link, every cable reachable, old links
of the original Cable Viewer resolve, and the static build is incremental."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from cablegate import urls
from cablegate.archive import Archive
from cablegate.archive.copy import copy_archive
from cablegate.archive.store import Visibility
from cablegate.archive.url import parse_url
from cablegate.ingest import ingest
from cablegate.parse import canonical_id
from cablegate.site.app import create_app
from cablegate.site.build import MANIFEST, BuildReport, build_site, file_path, read_manifest
from cablegate.site.pages import SEARCH_PAGE
from cablegate.writers import write_text_export
from tests.conftest import _database, iter_tar_html, requires_corpus
from tests.linkcheck import Crawl, Fetch, crawl
from tests.pgserver import Server

pytestmark = [requires_corpus, pytest.mark.xdist_group("site")]


@pytest.fixture(scope="module")
def client(site_db: str) -> TestClient:
    return TestClient(create_app(str(site_db)), follow_redirects=False)


def served(client: httpx.Client | TestClient) -> Fetch:
    def fetch(path: str) -> tuple[int, str | None, str | None]:
        response = client.get(path)
        html = response.headers.get("content-type", "").startswith("text/html")
        text = response.text if response.status_code == 200 and html else None
        return response.status_code, text, response.headers.get("location")

    return fetch


def static(root: Path) -> Fetch:
    def fetch(path: str) -> tuple[int, str | None, str | None]:
        try:
            target = root / file_path(path)
        except ValueError:
            return 404, None, None
        if not target.is_file():
            return 404, None, None
        return 200, target.read_text("utf-8") if target.suffix == ".html" else None, None

    return fetch


def every_cable_page(db: str) -> tuple[set[str], set[str]]:
    """The URL of every cable (current version) and of every earlier version."""
    cables, versions = set(), set()
    with Archive.open(db, create=False) as archive:
        for cid, created, current, count in archive.conn.execute(
            "SELECT canonical_id, created, current, versions FROM cables"
        ):
            url = urls.cable_url(cid, created)
            cables.add(url)
            versions.update(urls.version_url(url, n) for n in range(1, count + 1) if n != current)
    return cables, versions


BROWSE = re.compile(r"/(reldate|date|origin|tag|classification)/.+_\d+\.html")


def assert_complete(result: Crawl, db: Path) -> None:
    assert result.broken == [], result.broken[:20]
    cables, versions = every_cable_page(db)
    reached = set(result.pages)
    assert cables - reached == set()
    assert versions - reached == set()
    assert len(versions) > 150
    # Every cable is listed on some browse page (not only reached through citations).
    browse = {p for p in reached if BROWSE.fullmatch(p)}
    assert len(browse) > 1500 and set(result.outlinks) == browse
    listed = set().union(*result.outlinks.values())
    assert cables - listed == set()
    assert result.links > 500_000


@pytest.fixture(scope="module")
def static_site(site_db: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, BuildReport]:
    out = tmp_path_factory.mktemp("static") / "www"
    report = build_site(str(site_db), out, jobs=2)
    return out, report


def test_served_site_has_no_broken_link_and_reaches_every_cable(
    live_site: str, site_db: str
) -> None:
    with httpx.Client(base_url=live_site) as client:
        result = crawl(served(client), keep=BROWSE)
    assert_complete(result, site_db)
    # Only the current version's URL of a cable redirects (to the cable's own page).
    assert all("/version-" in source for source in result.redirects), result.redirects


def test_static_build_has_no_broken_link_and_matches_the_served_site(
    client: TestClient, site_db: str, static_site: tuple[Path, BuildReport]
) -> None:
    out, report = static_site
    assert report.errors == []
    assert report.written == report.files > 9000
    result = crawl(static(out), keep=BROWSE)
    assert_complete(result, site_db)
    files = {"/" + p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    reachable = set(result.pages) | {"/index.html"}
    unlinked = {p for p in files - reachable if not p.startswith("/pagefind/")}
    # (search.html: every page's search form sends there; its script reads pagefind/)
    search = {SEARCH_PAGE, "/static/search.js"}
    assert unlinked == {"/404.html", "/" + MANIFEST, "/sitemap.xml", "/sitemap-1.xml", *search}
    # The sitemap lists every cable's page (and the home and static pages), and matches.
    sitemap = (out / "sitemap-1.xml").read_text()
    locs = set(re.findall(r"<loc>(.*?)</loc>", sitemap))
    cables = {p for p in reachable if p.startswith("/cable/") and "/version-" not in p}
    assert cables and cables <= locs and "/faq.html" in locs
    assert client.get("/sitemap-1.xml").text == sitemap
    assert "<loc>/sitemap-1.xml</loc>" in client.get("/sitemap.xml").text
    # The same bytes as served, page for page, but for what needs a server: the search form,
    # the downloads of listings and citations, the related cables (from the search index);
    # and for the static search form (to the mirror's search.html).
    form = re.compile(rb'<(form|p|section) class="[^"]*\bserved\b[^"]*".*?</\1>\n', re.S)
    static_form = re.compile(
        rb'<form class="[^"]*\bstatic\b[^"]*" [^>]*"/search.html".*?</form>\n', re.S
    )
    for path in sorted(files)[::97]:
        if path.endswith(".html") and path not in ("/404.html", SEARCH_PAGE):
            served_page = client.get(path).content
            # (the permalink of a current version only sends the reader to the cable's page)
            assert form.search(served_page) or b'http-equiv="refresh"' in served_page, path
            static_page = (out / file_path(path)).read_bytes()
            assert b"<form" not in static_form.sub(b"", static_page), path
            assert form.sub(b"", served_page) == static_form.sub(b"", static_page), path


def test_static_manifest_has_the_checksum_of_every_file(
    static_site: tuple[Path, BuildReport],
) -> None:
    out, report = static_site
    manifest = read_manifest(out)
    files = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert set(manifest) == files - {MANIFEST}
    assert len(manifest) == report.files
    for rel, sha in manifest.items():
        assert hashlib.sha256((out / rel).read_bytes()).hexdigest() == sha, rel


def test_static_build_rewrites_only_what_changed(
    site_db: str, tmp_path: Path, pg_server: Server | None
) -> None:
    db = _database(parse_url(site_db).backend, pg_server, tmp_path, "copy")
    with Archive.open(site_db, create=False) as source, Archive.open(db) as target:
        assert copy_archive(source, target).ok
    out = tmp_path / "www"
    first = build_site(str(db), out, jobs=2)
    assert first.written == first.files and not first.errors
    untouched = out / "faq.html"
    stamp = untouched.stat().st_mtime_ns

    again = build_site(str(db), out, jobs=2)
    assert (again.files, again.written, again.removed) == (first.files, 0, 0)

    # A new (older, unreleased) text of one cable, and a stray page no longer in the archive.
    with Archive.open(db, create=False) as archive:
        cable = archive.cable("08STATE37957") or archive.cable(archive.ids()[100])
        assert cable is not None
        edited = tmp_path / "edited.txt"
        edited.write_text(write_text_export(cable) + "\nA LINE ADDED LATER.\n", "utf-8")
        # dated before the cable's release: an earlier text, so the current one stays
        older = Visibility(now=True, undated="2000-01-01 00:00:00")
        assert ingest(archive, [edited], jobs=1, visibility=older).versions == 1
        count = archive.conn.execute(
            "SELECT versions FROM cables WHERE canonical_id = ?", (cable.canonical_id,)
        ).fetchone()[0]
    stray = out / "cable" / "1900" / "01" / "00GONE1.html"
    stray.parent.mkdir(parents=True)
    stray.write_text("gone")
    with (out / MANIFEST).open("a") as manifest:
        manifest.write(f"{'0' * 64}  cable/1900/01/00GONE1.html\n")

    third = build_site(str(db), out, jobs=2)
    page = file_path(urls.cable_url(cable.canonical_id, cable.created))
    new_version = file_path(urls.version_url("/" + page, count))
    assert third.written_paths == sorted([page, new_version])
    assert third.removed == 1 and not stray.exists()
    assert third.files == first.files + 1
    assert untouched.stat().st_mtime_ns == stamp
    assert "A LINE ADDED LATER." in (out / new_version).read_text()


_OLD_LINK = re.compile(
    r"""href=['"](?:https?://[^/'"]*)?(/(?:cable|reldate|date|tag|classification)/[^'"#?]+)"""
)


def old_links() -> Iterator[str]:
    for name in ("site-pages.tar.xz", "cablegate-site.tar.xz"):
        for _, data in iter_tar_html(name):
            yield from _OLD_LINK.findall(data.decode("utf-8", "replace"))


def test_old_links_resolve_to_the_right_page(live_site: str, site_db: str) -> None:
    client = httpx.Client(base_url=live_site)
    links = sorted(set(old_links()))
    assert len(links) > 7500
    with Archive.open(site_db, create=False) as archive:
        tags = {key for key, _ in archive.browse("tag")}
    missing = []
    for link in links:
        response = client.get(link, follow_redirects=True)
        if response.status_code == 404:
            missing.append(link)
            continue
        assert response.status_code == 200, link
        h1 = HTMLParser(response.text).css_first("h1")
        assert h1 is not None, link
        heading = h1.text()
        kind, name = link.split("/")[1], link.rsplit("/", 1)[1].split(".")[0]
        if kind == "cable":
            cid = canonical_id(name)
            assert heading.startswith(f"Viewing cable {cid},") or heading == (
                f"Viewing cable {cid}"
            ), (link, heading)
            continue
        key, page = name.rsplit("_", 1)
        shown = re.search(r"page (\d+) of", response.text)
        assert shown and int(shown.group(1)) == int(page) + 1, link
        if kind in ("reldate", "date"):
            assert heading == f"Browse by {key.replace('-', '/')}", link
        elif kind == "tag":
            assert heading == f"Browse by {key}", link
        else:
            names = {str(n): name for name, n in urls.CLASSIFICATION_NUMBERS.items()}
            assert heading == f"Browse by {names[key]}", link
    # The links to a tag no current cable of the corpus has: EINVEFIN (its cable is not in
    # the corpus) and PHUMBA, the garbled TAGS of 08ECTION01OF02MANAMA492, which is now an
    # older version of 08MANAMA492 (an older version's tags have no listing).
    assert missing == ["/tag/EINVEFIN_0.html", "/tag/PHUMBA_0.html"]
    assert "EINVEFIN" not in tags and "PHUMBA" not in tags


def test_concurrent_requests_get_whole_pages(live_site: str, site_db: str) -> None:
    """Many requests at once (server threads share nothing that is not thread-safe)."""
    from concurrent.futures import ThreadPoolExecutor

    cables, _ = every_cable_page(site_db)
    paths = sorted(cables)[:400]
    with httpx.Client(base_url=live_site) as client:
        want = {path: client.get(path).content for path in paths[:40]}

        def get(path: str) -> tuple[str, int, bytes]:
            response = client.get(path)
            return path, response.status_code, response.content

        with ThreadPoolExecutor(16) as pool:
            results = list(pool.map(get, paths * 2))
    assert all(status == 200 for _, status, _ in results)
    for path, _, body in results:
        if path in want:
            assert body == want[path], path
