"""What a cable page shows beyond the telegram's own fields: its handling restrictions,
concepts, person tags and current classification, the catalogue record it came with (PlusD's
metadata block), and which fields were inferred from the text, and how (no HTML here: the
template escapes every value, all of them untrusted).
"""

from __future__ import annotations

import re
from collections.abc import Container
from dataclasses import dataclass, field
from urllib.parse import urlencode

from cablegate import urls
from cablegate.articles import web_url
from cablegate.model import Cable, Catalog
from cablegate.search.index import restrictions
from cablegate.site import tags as tag_table


@dataclass(frozen=True)
class Item:
    """One value of a row: its text, a link (only to pages that exist served and static),
    and what it means (a TAGS code's name)."""

    text: str
    href: str | None = None
    note: str | None = None
    """Shown after the text (``Greece; Crete`` after ``GR``)."""
    title: str | None = None
    """A tooltip (``title``)."""
    external: bool = False
    """A link out of the archive (``rel="nofollow noopener"``)."""


@dataclass(frozen=True)
class Row:
    label: str
    items: list[Item]


@dataclass
class Catalogue:
    """The catalogue block of a cable page."""

    rows: list[Row]
    searches: list[tuple[str, str]] = field(default_factory=list)
    """(query, URL) of a search for each restriction, concept and person tag (a served
    page links them; a static mirror has no search)."""
    source: str | None = None
    """Whose catalogue record the rows come from (``PlusD``), when there is one."""


@dataclass(frozen=True)
class InferredNotice:
    """What the source did not state and was read from the telegram text instead."""

    fields: str
    """``Reference ID, origin, classification and date``."""
    how: list[tuple[str, str]]
    """(field, how) for each."""


FIELD_NAMES = {
    "reference_id": "Reference ID",
    "canonical_id": "Reference ID",
    "created": "date",
    "origin": "origin",
    "classification": "classification",
    "subject": "subject",
    "tags": "TAGS",
    "released": "release date",
}


def field_name(name: str) -> str:
    """A record field as a reader names it (``reference_id`` -> ``Reference ID``)."""
    return FIELD_NAMES.get(name, name.replace("_", " "))


def inferred_notice(cable: Cable) -> InferredNotice | None:
    """The notice under a page's title when some fields were inferred (None: none were)."""
    if not cable.inferred:
        return None
    names = list(dict.fromkeys(field_name(i.field) for i in cable.inferred))
    said = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return InferredNotice(
        _capital(said), [(_capital(field_name(i.field)), i.how) for i in cable.inferred]
    )


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def search_query(field_: str, value: str) -> str | None:
    """The query of a filter on one value (``concept:"PRISONERS"``); None for a value the
    query language cannot hold (nothing but quotes)."""
    value = " ".join(value.replace('"', " ").split())
    if not value:
        return None
    return f"{field_}:{value}" if re.fullmatch(r"[\w/.-]+", value) else f'{field_}:"{value}"'


def search_url(query: str) -> str:
    return "/search?" + urlencode({"q": query})


def _texts(values: list[str]) -> list[Item]:
    return [Item(v) for v in values if v]


def _tag_items(catalog: Catalog, persons: Container[str], known: Container[str]) -> list[Item]:
    """The catalogue's TAGS: codes with their names (linked to their listing when the
    archive has one), person tags as they are."""
    items = []
    for entry in catalog.tags:
        if not entry.tag:
            continue
        if entry.tag in persons:
            items.append(Item(entry.tag, note="person"))
            continue
        info = tag_table.explain(entry.tag)
        name = entry.name or (info.meaning if info else None)
        href = urls.tag_url(entry.tag) if entry.tag in known else None
        items.append(Item(entry.tag, href, note=name, title=name))
    return items


def _catalog_rows(catalog: Catalog, cable: Cable, known: Container[str]) -> list[Row]:
    link = web_url(catalog.url)
    rows: list[Row] = []

    def add(label: str, items: list[Item]) -> None:
        if items:
            rows.append(Row(label, items))

    def one(label: str, value: str | int | None) -> None:
        if value is not None and value != "":
            add(label, [Item(f"{value:,}" if isinstance(value, int) else value)])

    if catalog.plusd_id:
        add("PlusD ID", [Item(catalog.plusd_id, link, external=link is not None)])
    elif link:
        add("PlusD record", [Item(link, link, external=True)])
    if catalog.title and catalog.title != cable.subject:
        one("Title", catalog.title)
    # (the classifications the page shows already are not repeated)
    if catalog.original_classification != cable.classification:
        one("Original classification", catalog.original_classification)
    if catalog.current_classification not in (cable.current_classification, None):
        one("Current classification", catalog.current_classification)
    one("Character count", catalog.character_count)
    one("Executive order", catalog.executive_order)
    one("Locator", catalog.locator)
    add("TAGS", _tag_items(catalog, set(cable.persons), known))
    one("Enclosure", catalog.enclosure)
    one("Type", catalog.type)
    one("Office origin", catalog.office_origin)
    one("Office action", catalog.office_action)
    one("Archive status", catalog.archive_status)
    one("From", catalog.sent_from)
    add("To", _texts(catalog.sent_to))
    one("Markings", catalog.markings)
    add("References (PlusD IDs)", _texts(catalog.references))
    return rows


def catalogue(cable: Cable, known_tags: Container[str] = ()) -> Catalogue | None:
    """The catalogue block of a cable's page; None when there is nothing to show.
    ``known_tags``: the TAGS that have a listing (their codes link to it)."""
    found = Catalogue(rows=[])
    limits = restrictions(cable)
    now, then = cable.current_classification, cable.classification
    if now and now != then:
        said = f"Original classification {then}, now {now}" if then else f"Now {now}"
        found.rows.append(Row("Classification", [Item(said)]))
    searched: list[tuple[str, str]] = []
    for label, name, values in (
        ("Handling restrictions", "restriction", limits),
        ("Concepts", "concept", list(dict.fromkeys(cable.concepts))),
        ("Person tags", "person", list(dict.fromkeys(cable.persons))),
    ):
        items = _texts(values)
        if items:
            found.rows.append(Row(label, items))
        searched += [(q, search_url(q)) for v in values if (q := search_query(name, v))]
    if now and now != then and (q := search_query("current", now)):
        searched.append((q, search_url(q)))
    found.searches = searched
    if cable.catalog is not None:
        found.rows += _catalog_rows(cable.catalog, cable, known_tags)
        found.source = "PlusD" if cable.catalog.plusd_id or cable.catalog.url else None
    return found if found.rows else None
