"""What each page shows, gathered from the archive (no HTML here)."""

from __future__ import annotations

import functools
import itertools
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from markupsafe import Markup

from cablegate import articles as articles_
from cablegate import citation, settings, urls
from cablegate.archive import Archive, Listed, VersionInfo
from cablegate.archive.history import Segment, compare, describe, summary, word_diff
from cablegate.archive.schema import BROWSE_COUNTS
from cablegate.model import Cable
from cablegate.search.engine import similar
from cablegate.site import catalogue as catalogue_
from cablegate.site import markup
from cablegate.site import tags as tag_table


@dataclass
class Pane:
    """The side pane of every page, and the indexes behind its menus."""

    released: int
    """Public cables."""
    total: int
    """The size of the whole collection: the announced total, or the cables the archive
    holds (public or not)."""
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

    def listings(self) -> dict[str, dict[str, str]]:
        """Per filter of the static mirror's search, each value's listing (a search for one
        filter alone is that listing): tag, origin, classification, year of creation."""
        return {
            "tag": {tag: urls.tag_url(tag) for group in self.tags.values() for tag in group},
            "origin": {name: url for group in self.origins.values() for name, url in group},
            "classification": {name: url for name, url in self.classifications if url != "#"},
            "year": {year: urls.year_url(year) for year in self.years},
        }

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


def pane(archive: Archive, announced: int = 0) -> Pane:
    """The pane of the archive's current state; the counter shows the cables released so
    far out of the collection's ``announced`` size (0: the cables the archive holds)."""
    with archive.snapshot():
        released, held = archive.collection_counts()
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
        max(announced or held, released),
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
    cited_by: list[Linked]
    """The public cables that cite this one."""
    references: list[Linked]
    """The cables this version cites, in order (those not public: without row or URL)."""
    related: list[Linked] = field(default_factory=list)
    """Public cables like this one (shared TAGS and references, similar words), best first."""
    articles: list[articles_.Shown] = field(default_factory=list)
    """The press articles that cite the cable."""
    number: int = 0
    """The number of the version shown."""
    current: Cable | None = None
    """The cable's current version (for its URL)."""

    def citation(self, base_url: str = "") -> Cited:
        """How to cite the version shown (the cite block)."""
        return cited(citation_source(self.cable, self.current or self.cable, self.number, base_url))

    versions: list[tuple[VersionInfo, str]] = field(default_factory=list)
    """Every version (oldest first) with the URL of its page, when there are several."""
    shown: VersionInfo | None = None
    """The version this page shows, when it is not the current one."""
    history: list[VersionLine] = field(default_factory=list)
    """The versions in release order, in a reader's words, when there are several."""
    diff: list[Segment] = field(default_factory=list)
    """Word diff from the shown version to the current one (line breaks ignored)."""
    diff_summary: str | None = None
    """What changed from the shown version to the current one, in words."""
    catalogue: catalogue_.Catalogue | None = None
    """Handling restrictions, concepts, person tags, current classification and the
    catalogue record (PlusD's), when the cable has any."""
    inferred: catalogue_.InferredNotice | None = None
    """Which fields were read from the telegram text rather than stated, and how."""


@dataclass
class VersionLine:
    """One version of a cable as its page lists it."""

    number: int
    url: str
    released: str
    """``2010-11-28 18:06``, or ``date not recorded`` (only versions of archives made
    before every source was dated: see :attr:`VersionInfo.released`)."""
    current: bool
    summary: str
    """What changed from the version before: ``3 redactions lifted, 19 words restored``."""
    changes: str
    """The same with the word counts and the changed fields: ``+33 / −12 words; redactions``."""
    sources: int


def version_lines(history: list[VersionInfo], url: str) -> list[VersionLine]:
    """A cable's versions (release order) as its page lists them; none when only one."""
    if len(history) < 2:
        return []
    return [
        VersionLine(
            number=v.number,
            url=url if v.current else urls.version_url(url, v.number),
            released=v.released[:16] if v.released else "date not recorded",
            current=v.current,
            summary="first version" if v.change is None else summary(v.change),
            changes=describe(v.change),
            sources=len(v.sources),
        )
        for v in history
    ]


@dataclass(frozen=True)
class Linked:
    """A cable a page names (a reference, a citing or related cable): its listing and URL
    when it is public, else only its ID."""

    canonical_id: str
    row: Listed | None
    url: str | None
    why: str | None = None
    """For a related cable: what relates it (``tags SZ, KNNP; similar words``)."""


def _linked(canonical_id: str, row: Listed | None, why: str | None = None) -> Linked:
    url = urls.cable_url(canonical_id, row.created) if row is not None else None
    return Linked(canonical_id, row, url, why)


RELATED = 10
"""Related cables a cable page lists at most."""
_FUSION = 10
"""Reciprocal rank fusion's constant: a cable ranked r-th (from 0) in a list scores
``1 / (_FUSION + r)``, summed over the lists (shared tags and references, similar words)."""


def related(
    archive: Archive, cable: Cable, exclude: set[str], limit: int = RELATED
) -> list[Linked]:
    """Public cables related to this one: those sharing its rarer TAGS and the cables it
    cites (:meth:`Archive.neighbours`), and those whose words are most like its own (the
    search index's more-like-this; without an index at hand, only the first), merged by
    rank, not the cable itself (nor its versions), nor the cables in ``exclude`` (already
    listed as references or citing cables)."""
    exclude = {*exclude, cable.canonical_id}
    score: dict[str, float] = defaultdict(float)
    reasons: dict[str, list[str]] = defaultdict(list)
    graph = [
        n
        for n in archive.neighbours(cable.canonical_id, 2 * limit)
        if n.canonical_id not in exclude
    ]
    for rank, n in enumerate(graph):
        score[n.canonical_id] += 1 / (_FUSION + rank)
        if n.references:
            count = len(n.references)
            reasons[n.canonical_id].append(f"cites {count} of the same cable{'s' * (count > 1)}")
        if n.tags:
            reasons[n.canonical_id].append("tags " + ", ".join(n.tags))
    alike = similar(archive, cable, 2 * limit) or []
    for rank, hit in enumerate(h for h in alike if h.canonical_id not in exclude):
        score[hit.canonical_id] += 1 / (_FUSION + rank)
        reasons[hit.canonical_id].append("similar words")
    best = sorted(score, key=lambda cid: (-score[cid], cid))[:limit]
    rows = archive.listed_ids(best)  # public only, whatever the index still holds
    return [_linked(cid, rows[cid], "; ".join(reasons[cid])) for cid in best if cid in rows]


@dataclass(frozen=True)
class Cited:
    """How to cite one version of a cable, in every format."""

    permalink: str
    text: str
    csl_json: str
    bibtex: str
    ris: str


def citation_source(
    cable: Cable, current: Cable, number: int, base_url: str = ""
) -> citation.CableSource:
    """What a citation of version ``number`` (``cable``) says: its permalink names the
    version (``/cable/2009/03/09RIYADH447/version-2.html``), absolute with a base URL."""
    url = urls.version_url(urls.cable_url(current.canonical_id, current.created), number)
    return citation.CableSource(
        canonical_id=cable.canonical_id,
        subject=cable.subject,
        origin=cable.origin,
        created=cable.created,
        released=cable.released,
        classification=cable.classification,
        version=number,
        permalink=base_url.rstrip("/") + url,
        archive=settings.SITE_NAME.get(),
        released_here=cable.released_at_ingest,
    )


def cited(source: citation.CableSource) -> Cited:
    return Cited(
        source.permalink,
        citation.text(source),
        citation.csl_json(source),
        citation.bibtex(source),
        citation.ris(source),
    )


def _meaning(tag: str) -> str | None:
    info = tag_table.explain(tag)
    return info.meaning if info else None


def cable_page(
    archive: Archive,
    canonical_id: str,
    pane: Pane,
    version: int | None = None,
    with_related: bool = True,
) -> CablePage | None:
    """A cable's page (or an earlier version's); None when there is no such public cable.
    ``with_related``: also the related cables, which a served page has and a static mirror
    does not (they come from the search index and change as other cables arrive: one new
    cable would rewrite hundreds of mirrored pages)."""
    current = archive.cable(canonical_id)
    cable = archive.cable(canonical_id, version) if version else current
    if cable is None or current is None:
        return None
    cited = list(dict.fromkeys(r.value for r in cable.references if r.kind == "cable"))
    with archive.snapshot():
        known = archive.listed_ids(cited)  # public ones only: nothing unreleased shows
        citing = archive.citing(canonical_id)
    created = {cid: row.created for cid, row in known.items()}
    refs = [_linked(cid, known.get(cid)) for cid in cited]
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
    diff = word_diff(cable, current) if shown else []
    url = urls.cable_url(current.canonical_id, current.created)
    return CablePage(
        cable=cable,
        url=url,
        header=markup.render(cable.header, []),
        body=body,
        classification_url=urls.classification_url(cable.classification or ""),
        origin_url=urls.origin_url(origin_number),
        cited_by=[_linked(c.canonical_id, c) for c in citing],
        references=refs,
        related=related(archive, current, {*cited, *(c.canonical_id for c in citing)})
        if with_related
        else [],
        articles=[articles_.shown(a.url, a.title, a.outlet, a.published) for a in cable.articles],
        number=version or next((v.number for v in history if v.current), 1),
        current=current,
        versions=[(v, urls.version_url(url, v.number)) for v in history]
        if len(history) > 1
        else [],
        shown=shown,
        history=version_lines(history, url),
        diff=diff,
        diff_summary=summary(compare(cable, current)) if shown else None,
        catalogue=catalogue_.catalogue(cable, pane.counts["tag"]),
        inferred=catalogue_.inferred_notice(cable),
    )


PAGE_SIZE = 50
"""Cables per browse page, as on the original site."""


@dataclass(frozen=True)
class PagerLink:
    """One link of a pager; a gap (``..``) has no ``href``."""

    label: str
    href: str | None = None
    current: bool = False
    rel: str | None = None
    """``prev`` or ``next``."""
    name: str | None = None
    """What the link is, said to screen readers (``Previous page``)."""


def pager(page: int, pages: int, url: Callable[[int], str]) -> list[PagerLink]:
    """The original's pager, ``<< 1 .. 4 [5] 6 .. 95 >>``: previous, first page, the
    pages around this one, last page, next; gaps as ``..``. None for a single page."""
    if pages <= 1:
        return []
    last = pages - 1
    links = []
    if page > 0:
        before = min(page, pages) - 1  # (the last page, from past the last)
        links.append(PagerLink("<<", url(before), rel="prev", name="Previous page"))
    shown = sorted({0, *(n for n in (page - 1, page, page + 1) if 0 <= n <= last), last})
    for i, n in enumerate(shown):
        if i and n - shown[i - 1] > 1:
            links.append(PagerLink(".."))
        label = str(n + 1)
        name = "First page" if n == 0 else "Last page" if n == last else None
        links.append(PagerLink(label, url(n), n == page, name=f"{name}, {label}" if name else None))
    if page < last:
        links.append(PagerLink(">>", url(page + 1), rel="next", name="Next page"))
    return links


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
    def paginator(self) -> list[PagerLink]:
        """The pager of this page (none on a listing of one page)."""
        return pager(self.page, self.pages, self.url)


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
    offset = page * PAGE_SIZE
    rows = archive.listing(listing.counted, listing.value, PAGE_SIZE, offset, listing.total)
    return listing.page(page, rows)


def browse_pages(archive: Archive, pane: Pane, kind: str, key: str) -> Iterator[BrowsePage]:
    """Every page of a browse listing, from one query (for the static build)."""
    listing = _listing(pane, kind, key)
    if listing is None:
        return
    rows = archive.listing_all(listing.counted, listing.value)
    for number in range(listing.pages):
        yield listing.page(number, list(itertools.islice(rows, PAGE_SIZE)))


def listing_rows(archive: Archive, pane: Pane, kind: str, key: str) -> Iterator[Listed] | None:
    """Every row of a browse listing in order, as read (its CSV and JSON Lines downloads)."""
    listing = _listing(pane, kind, key)
    return None if listing is None else archive.listing_all(listing.counted, listing.value)


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


@dataclass
class OutletArticles:
    """The articles of one outlet (None: links whose outlet is not known), newest first."""

    outlet: str | None
    items: list[tuple[articles_.Shown, list[Linked]]]


def articles(archive: Archive) -> list[OutletArticles]:
    """Press articles citing public cables, by outlet (A-Z, unknown last), each outlet's
    newest first (undated last), with the public cables each cites."""
    groups: dict[str | None, list[tuple[articles_.Shown, list[Linked]]]] = defaultdict(list)
    for article, cables in archive.articles():
        item = articles_.shown(article.url, article.title, article.outlet, article.published)
        linked = [_linked(c.canonical_id, c) for c in cables]
        groups[item.outlet].append((item, linked))
    out = []
    for outlet in sorted(groups, key=lambda o: (o is None, (o or "").casefold())):
        items = groups[outlet]
        items.sort(key=lambda i: i[0].label.casefold())
        items.sort(key=lambda i: i[0].published or "", reverse=True)
        items.sort(key=lambda i: i[0].published is None)
        out.append(OutletArticles(outlet, items))
    return out


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
