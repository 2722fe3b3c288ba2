"""Every page of the Cable Viewer by its URL path, rendered from the archive.

One renderer serves both the ASGI app (:mod:`cablegate.site.app`) and the static build
(:mod:`cablegate.site.build`), so the two sites are the same pages.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import msgspec
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from cablegate import settings, urls
from cablegate.archive import Archive
from cablegate.articles import web_url
from cablegate.parse import canonical_id
from cablegate.parse.ids import from_plusd, split_id
from cablegate.search import SORTS, Hit, QueryError, Results, SearchTimeout, search
from cablegate.search.query import MAX_LENGTH as MAX_QUERY
from cablegate.search.query import And, Filter, parse_query
from cablegate.site import charts, views
from cablegate.site.security import SEARCH_PAGE_POLICY
from cablegate.site.statistics import statistics

LISTING_KINDS = ("reldate", "date", "origin", "tag", "classification")
"""The kinds of browse listing, as their URLs name them (``/date/2008-04_0.html``)."""
ATOM = "application/atom+xml; charset=utf-8"
STATIC_PAGES = ("faq.html", "about.html", "articles.html", "statistics.html")
SEARCH_PAGE = "/search.html"
"""The static mirror's search page (over its Pagefind index: :mod:`.static_search`)."""

MAX_VERSION = 9999
"""The highest version number a URL can name (``version-9999.html``)."""
MAX_PAGE = 100_000
"""The highest page number of a listing or a search a URL can name."""
ECHOED = 200
"""Characters of a requested path or query that an error message repeats at most."""

_CABLE = re.compile(r"/cable/[^/]+/[^/]+/([^/]+?)(?:/version-(\d{1,4}))?\.html")
_BROWSE = re.compile(r"/(reldate|date|origin|tag|classification)/(.+)_(\d{1,6})\.html")
_INDEX = re.compile(r"/(date|origin|tag)/([^/_]+)\.html")
_SITEMAP = re.compile(r"/sitemap(?:-(\d{1,6}))?\.xml")
_SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
SITEMAP_SIZE = 50_000
"""URLs per sitemap file (the protocol's limit)."""
_FEED = re.compile(r"/feeds/(?:(latest)|(tag|origin)/([^/]+))\.atom")
_PLUSD = re.compile(r"/plusd/cables/([^/]+)\.html")
"""A record's page in PlusD (``/plusd/cables/1974ATHENS02959_b.html``): the same path here
sends the reader to the cable's page."""


def environment() -> Environment:
    """The Jinja2 environment: HTML autoescaped everywhere."""
    env = Environment(
        loader=PackageLoader("cablegate.site", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["web_url"] = web_url
    env.globals["cable_url"] = urls.cable_url
    env.globals["classification_url"] = urls.classification_url
    return env


@dataclass(frozen=True)
class Page:
    """A rendered page (status 200 or 404), or a permanent redirect to ``location``."""

    status: int
    html: str = ""
    location: str | None = None
    media_type: str = "text/html; charset=utf-8"


class Site:
    """Renders pages from one open archive (one per thread or process)."""

    def __init__(
        self,
        archive: Archive,
        base_url: str = "",
        env: Environment | None = None,
        served: bool = True,
        primary: Archive | None = None,
        announced: int | None = None,
    ):
        self.archive = archive
        """Where pages are read (a replica, when the server has one)."""
        self.primary = primary or archive
        """Where writes go: releases that fall due, the admin routes."""
        self.base_url = base_url.rstrip("/")
        self.env = env or environment()
        self.served = served
        """Whether pages offer what needs a server, the search form and the downloads of
        listings (not in a static build)."""
        self.announced: int = settings.ANNOUNCED_TOTAL.get() if announced is None else announced
        """The size of the whole collection the counter shows (0: what the archive holds)."""
        self._pane: tuple[int, views.Pane, Markup] | None = None

    # -- the side pane, rendered once per state of the archive ------------------------------

    def pane(self) -> tuple[views.Pane, Markup]:
        generation = self.archive.state().generation
        if self._pane is None or self._pane[0] != generation:
            pane = views.pane(self.archive, self.announced)
            html = Markup(self.env.get_template("_pane.html").render(pane=pane, served=self.served))
            self._pane = (generation, pane, html)
        return self._pane[1], self._pane[2]

    def _render(self, template: str, path: str, status: int = 200, **context: object) -> Page:
        pane, pane_html = self.pane()
        html = self.env.get_template(template).render(
            pane=pane,
            pane_html=pane_html,
            base_url=self.base_url,
            path=path,
            served=self.served,
            **context,
        )
        return Page(status, html)

    def not_found(self, what: str, path: str = "/404.html") -> Page:
        return self._render("404.html", echoed(path), status=404, what=echoed(what))

    def search_page(self) -> Page:
        """The static mirror's search page: a script searches the mirror's Pagefind index
        in the reader's browser (the only page with a script; the served site searches on
        the server, at ``/search``)."""
        listings = msgspec.json.encode(self.pane()[0].listings()).decode()
        return self._render(
            "static_search.html", SEARCH_PAGE, csp=SEARCH_PAGE_POLICY, listings=listings
        )

    # -- routing ---------------------------------------------------------------------------

    def page(self, path: str) -> Page:
        """The page at a URL path (``/cable/2008/04/08STATE37957.html`` ...)."""
        if path in ("/", "/index.html"):
            return self.home()
        if path.endswith(".htm"):  # a typo some old links have
            return Page(301, location=path + "l")
        if path.lstrip("/") in STATIC_PAGES:
            return self.static_page(path.lstrip("/"))
        if m := _CABLE.fullmatch(path):
            if m.group(2) and int(m.group(2)) < 1:  # versions count from 1
                return self.not_found(f"page {path}", path)
            return self.cable(m.group(1), int(m.group(2)) if m.group(2) else None, path)
        if m := _BROWSE.fullmatch(path):
            return self.browse(m.group(1), m.group(2), int(m.group(3)))
        if m := _INDEX.fullmatch(path):
            return self.index(m.group(1), m.group(2))
        if m := _FEED.fullmatch(path):
            return self.feed(path, m.group(2) or "latest", m.group(3))
        if m := _SITEMAP.fullmatch(path):
            return self.sitemap(int(m.group(1)) if m.group(1) else None)
        if m := _PLUSD.fullmatch(path):
            return self.plusd(m.group(1), path)
        return self.not_found(f"page {path}", path)

    def home(self) -> Page:
        pane, _ = self.pane()
        listing = views.latest_release(self.archive, pane)
        return self._render("home.html", "/", listing=listing)

    def static_page(self, name: str) -> Page:
        if name == "articles.html":
            return self._render(name, f"/{name}", items=views.articles(self.archive))
        if name == "statistics.html":
            pane, _ = self.pane()
            return self._render(name, f"/{name}", stats=statistics(pane))
        return self._render(name, f"/{name}")

    def cable(self, name: str, version: int | None = None, path: str | None = None) -> Page:
        pane, _ = self.pane()
        cid = canonical_id(name.replace("\0", ""))  # (PostgreSQL's text holds no NUL)
        found = views.cable_page(self.archive, cid, pane, version, with_related=self.served)
        if found is None:
            gone = self.archive.withdrawal(cid, version)
            if gone is not None and not gone.silent:  # withdrawn: 410 with the reason
                return self._render("410.html", path or "/", status=410, gone=gone)
            what = f"cable {name}" + (f" version {version}" if version else "")
            return self.not_found(what, path or "/404.html")
        if version is not None and found.shown is None:
            # The permalink of the version that is current: it stays this version's address
            # when a later one is released (its page then shows it); until then it sends the
            # reader to the cable's own URL, the same bytes served or in a static mirror.
            here = urls.version_url(found.url, version)
            if path is not None and path != here:
                return Page(301, location=here)
            html = self.env.get_template("current_version.html").render(
                page=found, number=version, base_url=self.base_url
            )
            return Page(200, html)
        want = found.url  # the current version lives at the cable's own URL
        if found.shown is not None:
            want = urls.version_url(found.url, version or 0)
        if path is not None and path != want:
            return Page(301, location=want)
        tag = f" #{found.cable.canonical_id}"
        return self._render("cable.html", want, page=found, share_tag=tag)

    def plusd(self, name: str, path: str) -> Page:
        """A PlusD ID (``1974ATHENS02959_b``): a permanent redirect to the cable's page when
        the cable is public here, else not found."""
        cid = from_plusd(name.replace("\0", "")[:100])  # (PostgreSQL's text holds no NUL)
        if split_id(cid) is not None and self.archive.is_public(cid):
            cable = self.archive.cable(cid)
            if cable is not None:
                return Page(301, location=urls.cable_url(cid, cable.created))
        return self.not_found(f"PlusD record {name} (no such public cable here)", path)

    def browse(self, kind: str, key: str, number: int) -> Page:
        pane, _ = self.pane()
        listing = views.browse_page(self.archive, pane, kind, key, number)
        if listing is None:
            return self.not_found(f"page {kind}/{key}_{number}.html")
        return self._render(
            "browse.html", listing.url(number), listing=listing, feed=_feed_url(kind, key)
        )

    def index(self, kind: str, key: str) -> Page:
        pane, _ = self.pane()
        found = views.index_page(pane, kind, key)
        if found is None:
            return self.not_found(f"page {kind}/{key}.html")
        return self._render("index.html", found.url, index=found)

    def feed(self, path: str, kind: str, key: str | None) -> Page:
        """Atom feeds: the latest releases, and the latest of a tag or an origin."""
        pane, _ = self.pane()
        if kind == "latest":
            ids, title, page_url = views.latest_ids(self.archive), "Latest releases", "/"
        else:
            listing = views.browse_page(self.archive, pane, kind, key or "", 0)
            if listing is None:
                return self.not_found(f"feed {path}")
            ids = [row.canonical_id for row in listing.rows]
            title, page_url = f"Cables: {listing.title}", listing.url(0)
        return self.atom(path, f"{title} - Cable Viewer", page_url, ids)

    def atom(self, path: str, title: str, page_url: str, ids: list[str]) -> Page:
        entries = views.feed_entries(self.archive, ids)
        updated = max((e.updated for e in entries), default="1970-01-01T00:00:00Z")
        xml = self.env.get_template("feed.atom").render(
            title=title,
            path=path,
            page_url=page_url,
            base_url=self.base_url,
            updated=updated,
            entries=entries,
        )
        return Page(200, xml, media_type=ATOM)

    def search(self, params: Mapping[str, str]) -> Page:
        """``/search?q=...&sort=...&page=N`` (pages from 1)."""
        q = (params.get("q") or "").strip()
        sort = params.get("sort") or "relevance"
        try:
            number = max(int(params.get("page") or 1), 1) - 1
        except ValueError:
            number = 0
        if number >= MAX_PAGE:
            return self.not_found(f"page {number + 1} of a search (at most {MAX_PAGE:,})")
        results, error = None, None
        if q or "q" in params:
            try:
                results = search(self.archive, q, page=number, sort=sort)
            except SearchTimeout:
                raise  # 503 and Retry-After (cablegate.site.app)
            except QueryError as exc:
                error = echoed(str(exc), 2 * ECHOED)
                q = echoed(q, MAX_QUERY)  # a query too long is not repeated in full
            if results is not None and results.jump and number == 0:
                cable = self.archive.cable(results.jump)
                return Page(
                    303, location=urls.cable_url(results.jump, cable.created if cable else None)
                )
        links = search_links(q, sort)
        builders: dict[str, Any] = dict(links)  # (as template context: none is ``status``)
        timeline = None
        if results is not None and results.timeline:
            timeline = charts.timeline("timeline", results.timeline, links["narrow_url"])
        return self._render(
            "search.html",
            "/search" + ("?" + urlencode({"q": q}) if q else ""),
            q=q,
            sort=sort if sort in SORTS else "relevance",
            results=results,
            notes=_notes(results),
            timeline=timeline,
            undated=results.total - sum(n for _, n in results.timeline)
            if results is not None and timeline
            else 0,
            error=error,
            feed=links["feed_url"]() if results is not None else None,
            pager=views.pager,
            **builders,
        )

    # -- every page, for the static build --------------------------------------------------

    def cable_paths(self) -> Iterator[tuple[str, str]]:
        """(canonical ID, URL path) of every cable page, current and earlier public
        versions."""
        for cid, created, earlier, current in self.archive.page_keys():
            url = urls.cable_url(cid, created)
            yield cid, url
            for number in sorted([*earlier, current]):  # the current one's permalink too
                yield cid, urls.version_url(url, number)

    def sitemap(self, number: int | None) -> Page:
        """``/sitemap.xml``: the index of ``/sitemap-N.xml``, each the URLs of up to 50,000
        pages (the first also the home and static pages); absolute with a base URL."""
        parts = self._sitemap_parts()
        base = escape(self.base_url)
        if number is None:
            body = "".join(
                f"<sitemap><loc>{base}/sitemap-{n}.xml</loc></sitemap>" for n in range(1, parts + 1)
            )
            xml = f'<sitemapindex xmlns="{_SITEMAP_NS}">{body}</sitemapindex>'
        elif 1 <= number <= parts:
            # Read up to the part's end, keeping its paths alone (not every cable's).
            paths = itertools.chain(
                ["/", *(f"/{name}" for name in STATIC_PAGES)],
                (path for _, path in self.cable_paths() if "/version-" not in path),
            )
            part = itertools.islice(paths, (number - 1) * SITEMAP_SIZE, number * SITEMAP_SIZE)
            body = "".join(f"<url><loc>{base}{escape(p)}</loc></url>" for p in part)
            xml = f'<urlset xmlns="{_SITEMAP_NS}">{body}</urlset>'
        else:
            return self.not_found(f"sitemap {number}")
        text = f'<?xml version="1.0" encoding="UTF-8"?>\n{xml}\n'
        return Page(200, text, media_type="application/xml")

    def _sitemap_parts(self) -> int:
        """How many ``/sitemap-N.xml``: the home and static pages, and a page per public
        cable (its current version's)."""
        return -(-(self.archive.public_count() + 1 + len(STATIC_PAGES)) // SITEMAP_SIZE)

    def sitemap_paths(self) -> list[str]:
        parts = self._sitemap_parts()
        return ["/sitemap.xml", *(f"/sitemap-{n}.xml" for n in range(1, parts + 1))]

    def feed_paths(self) -> Iterator[str]:
        pane, _ = self.pane()
        yield "/feeds/latest.atom"
        yield from (f"/feeds/tag/{quote(tag, safe='')}.atom" for tag in pane.counts["tag"])
        yield from (f"/feeds/origin/{n}.atom" for n in sorted(pane.origin_numbers.values()))

    def index_paths(self) -> Iterator[str]:
        pane, _ = self.pane()
        yield from (urls.year_url(year) for year in pane.years)
        yield from (urls.letter_url("origin", letter) for letter in pane.origins)
        yield from (urls.letter_url("tag", letter) for letter in pane.tags)

    def browse_listings(self) -> Iterator[tuple[str, str, int]]:
        pane, _ = self.pane()
        yield from views.browse_keys(pane)

    def browse_all(self, kind: str, key: str) -> Iterator[tuple[str, Page]]:
        """Every page of one browse listing, rendered from one query."""
        pane, _ = self.pane()
        for listing in views.browse_pages(self.archive, pane, kind, key):
            path = listing.url(listing.page)
            feed = _feed_url(kind, key)
            yield path, self._render("browse.html", path, listing=listing, feed=feed)


def echoed(text: str, limit: int = ECHOED) -> str:
    """A requested path, query or name as a message repeats it: its first ``limit``
    characters (a 60 KB URL does not make a 250 KB answer)."""
    return text if len(text) <= limit else text[:limit] + "…"


def _feed_url(kind: str, key: str) -> str | None:
    return f"/feeds/{kind}/{quote(key, safe='')}.atom" if kind in ("tag", "origin") else None


_SPELLING_NOTE = re.compile(r'(no cable has ".*"); did you mean ".*"\?')


def _notes(results: Results | None) -> list[str]:
    """The query's notes, but for the question a "Did you mean" link asks instead."""
    if results is None:
        return []
    if not results.suggestion:
        return results.query.notes
    return [
        m.group(1) if (m := _SPELLING_NOTE.fullmatch(note)) else note
        for note in results.query.notes
    ]


def _narrowable(q: str) -> str:
    """The query as it goes before an added ``field:value``, so that the filter narrows the
    whole query: in parentheses after an OR (``a OR b created:2008`` would only narrow
    ``b``), with a quote closed that was left open (it would take in the filter)."""
    try:
        tree = parse_query(q).tree
        if tree is None:
            return ""
        probe = Filter("created", "2000")
        want = And((*(tree.items if isinstance(tree, And) else (tree,)), probe))
        for left in (q, f"({q})", f'{q}"', f'({q}")'):
            if parse_query(f"{left} created:2000").tree == want:
                return left
    except QueryError:  # too long or too deeply nested: the page says so
        pass
    return q


def search_links(q: str, sort: str) -> dict[str, Callable[..., str]]:
    """URL builders of the search page: pages, facet and timeline links, other searches,
    the feed, exports, hits."""
    left = _narrowable(q)

    def page_url(number: int) -> str:
        return "/search?" + urlencode({"q": q, "sort": sort, "page": number + 1})

    def search_url(text: str) -> str:
        return "/search?" + urlencode({"q": text, "sort": sort})

    def narrow_url(facet: str, value: str) -> str:
        field = {"year": "created", "month": "created", "current_classification": "current"}.get(
            facet, facet
        )
        quoted = value if re.fullmatch(r"[\w/.-]+", value) else '"' + value.replace('"', "") + '"'
        return search_url(f"{left} {field}:{quoted}".strip())

    def feed_url() -> str:
        return "/feeds/search.atom?" + urlencode({"q": q})

    def export_url(fmt: str) -> str:
        return f"/search.{fmt}?" + urlencode({"q": q, "sort": sort})

    def hit_url(hit: Hit) -> str:
        return urls.cable_url(hit.canonical_id, hit.created)

    return {
        "page_url": page_url,
        "search_url": search_url,
        "narrow_url": narrow_url,
        "feed_url": feed_url,
        "export_url": export_url,
        "hit_url": hit_url,
    }
