"""What each page shows, gathered from the archive (no HTML here)."""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from markupsafe import Markup

from cablegate import urls
from cablegate.archive import Archive, Listed, VersionInfo, unified_diff
from cablegate.archive.schema import BROWSE_COUNTS
from cablegate.model import Article, Cable
from cablegate.site import markup
from cablegate.site import tags as tag_table


@dataclass
class Pane:
    """The side pane of every page, and the indexes behind its menus."""

    released: int
    total: int
    reldates: dict[str, list[str]]
    """``2010/12`` -> its release days (``2010-12-01`` ...)."""
    years: dict[str, list[str]]
    """``2008`` -> its creation months (``2008-04`` ...)."""
    origins: dict[str, list[tuple[str, str]]]
    """Letter -> (origin, URL), by place name (``Embassy Athens`` is under A)."""
    tags: dict[str, list[str]]
    classifications: list[tuple[str, str]]
    origin_numbers: dict[str, int] = field(default_factory=dict)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    """Browse kind -> key -> cables."""

    def names(self, kind: str) -> dict[str, str]:
        """URL key -> name, for the browse kinds the site numbers (origin, classification)."""
        if kind == "origin":
            return {str(n): name for name, n in self.origin_numbers.items()}
        if kind == "classification":
            return {str(n): name for name, n in urls.CLASSIFICATION_NUMBERS.items()}
        return {}

    def origin_url(self, origin: str | None, page: int = 0) -> str | None:
        """The listing of an origin (origins are numbered in the pane)."""
        return urls.origin_url(self.origin_numbers.get(origin or ""), page)


_PLACE_PREFIX = re.compile(r"^(?:Embassy|Consulate)\s+", re.I)


def origin_letter(origin: str) -> str:
    """The letter the original site filed an origin under: its place, so ``Embassy Athens``
    and ``Consulate Amsterdam`` are under A, ``Mission USNATO`` under M."""
    return (_PLACE_PREFIX.sub("", origin)[:1] or "?").upper()


def origin_sort_key(origin: str) -> tuple[str, str]:
    return (_PLACE_PREFIX.sub("", origin).casefold(), origin)


def pane(archive: Archive) -> Pane:
    with archive.snapshot():
        total, released = archive.public_counts()
        counts = {kind: dict(archive.browse(kind)) for kind in BROWSE_COUNTS}
    reldates: dict[str, list[str]] = defaultdict(list)
    for day in counts["reldate"]:
        reldates[day[:7].replace("-", "/")].append(day)
    years: dict[str, list[str]] = defaultdict(list)
    for month in counts["month"]:
        years[month[:4]].append(month)
    # Like the original: origins numbered in reverse alphabetical order.
    ranked = sorted(counts["origin"], reverse=True)
    numbers = {name: n for n, name in enumerate(ranked, 1)}
    origins: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for name in sorted(numbers, key=origin_sort_key):
        origins[origin_letter(name)].append((name, urls.origin_url(numbers[name]) or ""))
    tags: dict[str, list[str]] = defaultdict(list)
    for tag in counts["tag"]:
        tags[tag[:1].upper()].append(tag)
    classes = [(name, urls.classification_url(name) or "#") for name in counts["classification"]]
    return Pane(
        released,
        total,
        reldates,
        years,
        dict(sorted(origins.items())),
        dict(sorted(tags.items())),
        classes,
        numbers,
        counts,
    )


@dataclass
class IndexPage:
    """A menu's second level: the months of a year, the origins or tags under a letter."""

    title: str
    kind: str
    """``date``, ``origin`` or ``tag``."""
    key: str
    entries: list[tuple[str, str, int, str | None]]
    """(label, URL, cables, explanation)."""

    @property
    def url(self) -> str:
        if self.kind == "date":
            return urls.year_url(self.key)
        return urls.letter_url(self.kind, self.key)


def index_page(pane: Pane, kind: str, key: str) -> IndexPage | None:
    entries: list[tuple[str, str, int, str | None]]
    if kind == "date" and key in pane.years:
        entries = [
            (m.replace("-", "/"), urls.month_url(m), pane.counts["month"][m], None)
            for m in pane.years[key]
        ]
        return IndexPage(f"cables created in {key}", kind, key, entries)
    if kind == "origin" and key in pane.origins:
        entries = [(n, href, pane.counts["origin"][n], None) for n, href in pane.origins[key]]
        return IndexPage(f"origin: {key}", kind, key, entries)
    if kind == "tag" and key in pane.tags:
        entries = []
        for tag in pane.tags[key]:
            entries.append((tag, urls.tag_url(tag), pane.counts["tag"][tag], _meaning(tag)))
        return IndexPage(f"tag: {key}", kind, key, entries)
    return None


@dataclass
class CablePage:
    cable: Cable
    url: str
    header: Markup
    body: Markup
    classification_url: str | None
    origin_url: str | None
    cited_by: list[tuple[str, str]]
    references: list[tuple[str, str | None]]
    """(canonical ID, URL when the cable is in the archive)."""
    versions: list[tuple[VersionInfo, str]] = field(default_factory=list)
    """Every version (oldest first) with the URL of its page, when there are several."""
    shown: VersionInfo | None = None
    """The version this page shows, when it is not the current one."""
    diff: list[str] = field(default_factory=list)
    """Unified diff from the shown version to the current one."""


def _meaning(tag: str) -> str | None:
    info = tag_table.explain(tag)
    return info.meaning if info else None


def cable_page(
    archive: Archive, canonical_id: str, pane: Pane, version: int | None = None
) -> CablePage | None:
    current = archive.cable(canonical_id)
    cable = archive.cable(canonical_id, version) if version else current
    if cable is None or current is None:
        return None
    with archive.snapshot():
        created = {cid: c.created for cid, c in archive.cited_public(canonical_id).items()}
        citing = [(c.canonical_id, c.created) for c in archive.citing(canonical_id)]
    refs = [
        (r.value, urls.cable_url(r.value, created[r.value]) if r.value in created else None)
        for r in cable.references
        if r.kind == "cable"
    ]
    linked = [
        (r.text, urls.cable_url(r.value, created[r.value]))
        for r in cable.references
        if r.kind == "cable" and r.value in created and r.value != canonical_id
    ]
    body = markup.render(
        cable.body,
        markup.paragraph_spans(cable.body)
        # Only tags with a listing: an older version may carry a tag no current cable has.
        + markup.tag_spans(
            cable.body, [t for t in cable.tags if t in pane.counts["tag"]], urls.tag_url, _meaning
        )
        + markup.reference_spans(cable.body, linked),
    )
    origin_number = pane.origin_numbers.get(cable.origin or "")
    history = archive.history(canonical_id)
    shown = next((v for v in history if v.number == version and not v.current), None)
    if version and all(v.number != version for v in history):
        return None
    diff = unified_diff(cable, current) if shown else []
    url = urls.cable_url(current.canonical_id, current.created)
    return CablePage(
        cable=cable,
        url=url,
        header=markup.render(cable.header, []),
        body=body,
        classification_url=urls.classification_url(cable.classification or ""),
        origin_url=urls.origin_url(origin_number),
        cited_by=[(cid, urls.cable_url(cid, when)) for cid, when in citing],
        references=refs,
        versions=[(v, urls.version_url(url, v.number)) for v in history]
        if len(history) > 1
        else [],
        shown=shown,
        diff=diff,
    )


PAGE_SIZE = 50
"""Cables per browse page, as on the original site."""


@dataclass
class BrowsePage:
    title: str
    kind: str
    key: str
    page: int
    pages: int
    total: int
    rows: list[Listed]
    url: Callable[[int], str]
    description: str | None = None

    @property
    def paginator(self) -> list[tuple[str, str, bool]]:
        """(label, URL, current) links: first, previous window, current, next, last."""
        last = self.pages - 1
        shown = sorted({0, max(self.page - 1, 0), self.page, min(self.page + 1, last), last})
        return [(str(n + 1), self.url(n), n == self.page) for n in shown]


@dataclass
class _Listing:
    """What one browse key selects (the archive's listing of ``counted`` ``value``), its
    title, count and page URLs."""

    kind: str
    key: str
    counted: str
    """The kind of browse count (``month`` for the URL kind ``date``)."""
    value: str
    title: str
    total: int
    url: Callable[[int], str]
    description: str | None = None

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))

    def page(self, number: int, rows: list[Listed]) -> BrowsePage:
        return BrowsePage(
            self.title,
            self.kind,
            self.key,
            number,
            self.pages,
            self.total,
            rows,
            self.url,
            self.description,
        )


def _listing(pane: Pane, kind: str, key: str) -> _Listing | None:
    origin_names, class_names = pane.names("origin"), pane.names("classification")
    description = None
    if kind == "reldate" and key in pane.counts["reldate"]:
        value, title, url = key, key.replace("-", "/"), functools.partial(urls.reldate_url, key)
    elif kind == "date" and key in pane.counts["month"]:
        value, title, url = key, key.replace("-", "/"), functools.partial(urls.month_url, key)
    elif kind == "origin" and key in origin_names:
        value = title = origin_names[key]
        url = functools.partial(_numbered, "origin", key)
    elif kind == "classification" and key in class_names:
        value = title = class_names[key]
        url = functools.partial(_numbered, "classification", key)
    elif kind == "tag" and key in pane.counts["tag"]:
        value, title, url = key, key, functools.partial(urls.tag_url, key)
        info = tag_table.explain(key)
        description = f"{key}: {info.meaning} ({info.kind} tag)" if info else None
    else:
        return None
    counted = {"date": "month"}.get(kind, kind)
    total = pane.counts[counted].get(value, 0)
    if not total:
        return None
    return _Listing(kind, key, counted, value, title, total, url, description)


def browse_page(archive: Archive, pane: Pane, kind: str, key: str, page: int) -> BrowsePage | None:
    """One page of a browse listing; None when the key or page does not exist."""
    listing = _listing(pane, kind, key)
    if listing is None or page >= listing.pages:
        return None
    rows = archive.listing(listing.counted, listing.value, PAGE_SIZE, page * PAGE_SIZE)
    return listing.page(page, rows)


def browse_pages(archive: Archive, pane: Pane, kind: str, key: str) -> Iterator[BrowsePage]:
    """Every page of a browse listing, from one query (for the static build)."""
    listing = _listing(pane, kind, key)
    if listing is None:
        return
    rows = archive.listing(listing.counted, listing.value)
    for number in range(listing.pages):
        yield listing.page(number, rows[number * PAGE_SIZE : (number + 1) * PAGE_SIZE])


def listing_rows(archive: Archive, pane: Pane, kind: str, key: str) -> list[Listed] | None:
    """Every row of a browse listing in order (its CSV and JSON Lines downloads)."""
    listing = _listing(pane, kind, key)
    return None if listing is None else archive.listing(listing.counted, listing.value)


def browse_keys(pane: Pane) -> Iterator[tuple[str, str, int]]:
    """(kind, key, cables) of every browse listing, in URL terms."""
    yield from (("reldate", day, n) for day, n in pane.counts["reldate"].items())
    yield from (("date", month, n) for month, n in pane.counts["month"].items())
    for name, number in sorted(pane.origin_numbers.items(), key=lambda item: item[1]):
        yield "origin", str(number), pane.counts["origin"][name]
    yield from (("tag", tag, n) for tag, n in pane.counts["tag"].items())
    for name, n in pane.counts["classification"].items():
        if name in urls.CLASSIFICATION_NUMBERS:
            yield "classification", str(urls.CLASSIFICATION_NUMBERS[name]), n


def _numbered(kind: str, number: str, page: int) -> str:
    return f"/{kind}/{number}_{page}.html"


def latest_release(archive: Archive, pane: Pane) -> BrowsePage | None:
    """The first page of the newest release day (the home page shows it)."""
    days = [day for month in pane.reldates.values() for day in month]
    return browse_page(archive, pane, "reldate", max(days), 0) if days else None


def articles(archive: Archive) -> list[tuple[Article, list[tuple[str, str]]]]:
    """Press articles citing public cables, newest first: (article, [(cable ID, URL)])."""
    return [
        (article, [(c.canonical_id, urls.cable_url(c.canonical_id, c.created)) for c in cited])
        for article, cited in archive.articles()
    ]


@dataclass
class FeedEntry:
    canonical_id: str
    subject: str | None
    url: str
    updated: str
    published: str | None
    created: str | None
    classification: str | None
    origin: str | None
    tags: list[str]
    summary: str | None


def _atom_time(stamp: str | None) -> str:
    return (stamp or "1970-01-01 00:00:00").replace(" ", "T") + "Z"


def feed_entries(archive: Archive, ids: list[str]) -> list[FeedEntry]:
    """Atom entries of these cables: metadata, tags, and the summary or first paragraph."""
    entries = []
    for cid in ids:
        cable = archive.cable(cid)
        if cable is None:
            continue
        released = cable.released.strftime("%Y-%m-%d %H:%M:%S") if cable.released else None
        created = cable.created.strftime("%Y-%m-%d %H:%M:%S") if cable.created else None
        text = cable.summary or next((p.text for p in cable.paragraphs if p.number), None)
        entries.append(
            FeedEntry(
                cid,
                cable.subject,
                urls.cable_url(cid, cable.created),
                _atom_time(released or created),
                _atom_time(released) if released else None,
                created,
                cable.classification,
                cable.origin,
                list(cable.tags),
                " ".join(text.split())[:600] if text else None,
            )
        )
    return entries


FEED_ENTRIES = 50
"""Entries of an Atom feed (the latest releases, a search)."""


def latest_ids(archive: Archive, limit: int = FEED_ENTRIES) -> list[str]:
    """The newest releases (the original's order), for the site-wide feed."""
    return archive.newest_ids(limit)
