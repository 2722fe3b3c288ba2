"""What each page shows, gathered from the archive (no HTML here)."""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from markupsafe import Markup

from cablegate.archive import Archive, VersionInfo, unified_diff
from cablegate.model import Cable
from cablegate.site import markup, urls


@dataclass
class Pane:
    """The side pane of every page."""

    released: int
    total: int
    reldates: dict[str, list[str]]
    """``2010/12`` -> its release days (``2010-12-01`` ...)."""
    years: dict[str, list[str]]
    """``2008`` -> its creation months (``2008-04`` ...)."""
    origins: dict[str, list[tuple[str, str]]]
    """First letter -> (origin, URL)."""
    tags: dict[str, list[str]]
    classifications: list[tuple[str, str]]
    origin_numbers: dict[str, int] = field(default_factory=dict)


def pane(archive: Archive) -> Pane:
    with archive.snapshot() as conn:
        total, released = conn.execute("SELECT count(*), count(released) FROM cables").fetchone()
        reldates: dict[str, list[str]] = defaultdict(list)
        for day, _ in archive.browse("reldate"):
            reldates[day[:7].replace("-", "/")].append(day)
        years: dict[str, list[str]] = defaultdict(list)
        for month, _ in archive.browse("month"):
            years[month[:4]].append(month)
        # Like the original: origins numbered in reverse alphabetical order.
        ranked = sorted((name for name, _ in archive.browse("origin")), reverse=True)
        numbers = {name: n for n, name in enumerate(ranked, 1)}
        origins: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for name in sorted(numbers):
            origins[name[:1].upper()].append((name, urls.origin_url(numbers[name]) or ""))
        tags: dict[str, list[str]] = defaultdict(list)
        for tag, _ in archive.browse("tag"):
            tags[tag[:1].upper()].append(tag)
        classes = [
            (name, urls.classification_url(name) or "#")
            for name, _ in archive.browse("classification")
        ]
    return Pane(released, total, reldates, years, origins, tags, classes, numbers)


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


def version_url(canonical_id: str, created: object, number: int) -> str:
    return urls.cable_url(canonical_id, created).removesuffix(".html") + f"/version-{number}.html"


def cable_page(
    archive: Archive, canonical_id: str, pane: Pane, version: int | None = None
) -> CablePage | None:
    current = archive.cable(canonical_id)
    cable = archive.cable(canonical_id, version) if version else current
    if cable is None or current is None:
        return None
    with archive.snapshot() as conn:
        created = dict(
            conn.execute(
                "SELECT canonical_id, created FROM cables WHERE canonical_id IN "
                "(SELECT target FROM refs r JOIN cables c ON c.id = r.cable_id "
                "WHERE c.canonical_id = ? AND r.kind = 'cable')",
                (canonical_id,),
            ).fetchall()
        )
        citing = conn.execute(
            "SELECT DISTINCT c.canonical_id, c.created FROM refs r "
            "JOIN cables c ON c.id = r.cable_id "
            "WHERE r.target = ? AND r.kind = 'cable' AND c.canonical_id != ? ORDER BY 1",
            (canonical_id, canonical_id),
        ).fetchall()
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
        + markup.tag_spans(cable.body, cable.tags, urls.tag_url)
        + markup.reference_spans(cable.body, linked),
    )
    origin_number = pane.origin_numbers.get(cable.origin or "")
    history = archive.history(canonical_id)
    shown = next((v for v in history if v.number == version and not v.current), None)
    if version and all(v.number != version for v in history):
        return None
    diff = unified_diff(cable, current) if shown else []
    return CablePage(
        cable=cable,
        url=urls.cable_url(current.canonical_id, current.created),
        header=markup.render(cable.header, []),
        body=body,
        classification_url=urls.classification_url(cable.classification or ""),
        origin_url=urls.origin_url(origin_number),
        cited_by=[(cid, urls.cable_url(cid, when)) for cid, when in citing],
        references=refs,
        versions=[(v, version_url(canonical_id, current.created, v.number)) for v in history]
        if len(history) > 1
        else [],
        shown=shown,
        diff=diff,
    )


PAGE_SIZE = 50
"""Cables per browse page, as on the original site."""

_ROW_SQL = "SELECT canonical_id, subject, created, released, classification, origin FROM cables "
_ORDER = " ORDER BY released IS NULL, released DESC, created, canonical_id LIMIT ? OFFSET ?"


@dataclass
class Row:
    canonical_id: str
    subject: str | None
    created: str | None
    released: str | None
    classification: str | None
    origin: str | None
    url: str
    classification_url: str | None
    origin_url: str | None


@dataclass
class BrowsePage:
    title: str
    kind: str
    key: str
    page: int
    pages: int
    total: int
    rows: list[Row]
    url: Callable[[int], str]

    @property
    def paginator(self) -> list[tuple[str, str, bool]]:
        """(label, URL, current) links: first, previous window, current, next, last."""
        last = self.pages - 1
        shown = sorted({0, max(self.page - 1, 0), self.page, min(self.page + 1, last), last})
        return [(str(n + 1), self.url(n), n == self.page) for n in shown]


def _month_end(month: str) -> str:
    year, mon = int(month[:4]), int(month[5:7])
    return f"{year + mon // 12:04d}-{mon % 12 + 1:02d}"


def browse_page(archive: Archive, pane: Pane, kind: str, key: str, page: int) -> BrowsePage | None:
    """One page of a browse listing; None when the key or page does not exist."""
    origin_names = {str(n): name for name, n in pane.origin_numbers.items()}
    class_names = {str(n): name for name, n in urls.CLASSIFICATION_NUMBERS.items()}
    if kind == "reldate" and re.fullmatch(r"\d{4}-\d{2}-\d{2}", key):
        where, args = "released >= ? AND released < ?", [key, key + "~"]
        title, count_key, url = key.replace("-", "/"), key, urls.reldate_url
    elif kind == "date" and re.fullmatch(r"\d{4}-\d{2}", key):
        where, args = "created >= ? AND created < ?", [key, _month_end(key)]
        title, count_key, url = key.replace("-", "/"), key, urls.month_url
    elif kind == "origin" and key in origin_names:
        where, args = "origin = ?", [origin_names[key]]
        title = count_key = origin_names[key]
        url = functools.partial(_numbered, "origin", key)
    elif kind == "classification" and key in class_names:
        where, args = "classification = ?", [class_names[key]]
        title = count_key = class_names[key]
        url = functools.partial(_numbered, "classification", key)
    elif kind == "tag" and re.fullmatch(r"[A-Za-z0-9_-]{1,40}", key):
        where, args = "id IN (SELECT cable_id FROM tags WHERE tag = ?)", [key]
        title, count_key, url = key, key, urls.tag_url
    else:
        return None
    count_kind = {"date": "month"}.get(kind, kind)
    with archive.snapshot() as conn:
        found = conn.execute(
            "SELECT count FROM browse WHERE kind = ? AND key = ?", (count_kind, count_key)
        ).fetchone()
        total = found[0] if found else 0
        pages = max(1, -(-total // PAGE_SIZE))
        if not total or page >= pages:
            return None
        rows = conn.execute(
            _ROW_SQL + "WHERE " + where + _ORDER, [*args, PAGE_SIZE, page * PAGE_SIZE]
        ).fetchall()
    return BrowsePage(
        title=title,
        kind=kind,
        key=key,
        page=page,
        pages=pages,
        total=total,
        rows=[_row(r, pane) for r in rows],
        url=functools.partial(url, key) if kind in ("reldate", "date", "tag") else url,
    )


def _numbered(kind: str, number: str, page: int) -> str:
    return f"/{kind}/{number}_{page}.html"


def _row(r: tuple, pane: Pane) -> Row:
    cid, subject, created, released, classification, origin = r
    number = pane.origin_numbers.get(origin or "")
    return Row(
        canonical_id=cid,
        subject=subject,
        created=created,
        released=released,
        classification=classification,
        origin=origin,
        url=urls.cable_url(cid, created),
        classification_url=urls.classification_url(classification or ""),
        origin_url=urls.origin_url(number),
    )


def latest_release(archive: Archive, pane: Pane) -> BrowsePage | None:
    """The first page of the newest release day (the home page shows it)."""
    days = [day for month in pane.reldates.values() for day in month]
    return browse_page(archive, pane, "reldate", max(days), 0) if days else None


def articles(archive: Archive) -> list[tuple[str, str | None, list[tuple[str, str]]]]:
    """Press articles citing cables: (URL, title, [(cable ID, cable URL)]), by URL."""
    grouped: dict[str, tuple[str | None, list[tuple[str, str]]]] = {}
    for url, title, cid, created in archive.conn.execute(
        "SELECT a.url, a.title, c.canonical_id, c.created FROM articles a "
        "JOIN cables c ON c.id = a.cable_id ORDER BY a.url, c.canonical_id"
    ):
        entry = grouped.setdefault(url, (title, []))
        entry[1].append((cid, urls.cable_url(cid, created)))
    return [(url, title, cables) for url, (title, cables) in grouped.items()]
