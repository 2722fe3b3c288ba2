"""What each page shows, gathered from the archive (no HTML here)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from markupsafe import Markup

from cablegate.archive import Archive
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
        numbers = {name: n for n, (name, _) in enumerate(archive.browse("origin"), 1)}
        origins: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for name, number in numbers.items():
            origins[name[:1].upper()].append((name, f"/origin/{number}_0.html"))
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


def cable_page(archive: Archive, canonical_id: str, pane: Pane) -> CablePage | None:
    cable = archive.cable(canonical_id)
    if cable is None:
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
    return CablePage(
        cable=cable,
        url=urls.cable_url(cable.canonical_id, cable.created),
        header=markup.render(cable.header, []),
        body=body,
        classification_url=urls.classification_url(cable.classification or ""),
        origin_url=f"/origin/{origin_number}_0.html" if origin_number else None,
        cited_by=[(cid, urls.cable_url(cid, when)) for cid, when in citing],
        references=refs,
    )
