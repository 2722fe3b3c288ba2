"""The one data model that flows through cablegate: reader -> parser -> archive -> pages.

Every record is a frozen :class:`msgspec.Struct`, so it is cheap to build, hashable where
useful, and serialises to JSON / MessagePack without glue code.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

CLASSIFICATIONS: tuple[str, ...] = (
    "UNCLASSIFIED",
    "UNCLASSIFIED//FOR OFFICIAL USE ONLY",
    "CONFIDENTIAL",
    "CONFIDENTIAL//NOFORN",
    "SECRET",
    "SECRET//NOFORN",
)
"""The classifications of the Cablegate release."""
OTHER_CLASSIFICATIONS: tuple[str, ...] = ("LIMITED OFFICIAL USE",)
"""Levels of older cables (PlusD's Kissinger and Carter cables) the release does not use."""


class Recipient(msgspec.Struct, frozen=True, omit_defaults=True):
    """One addressee (or the sender) of a telegram, as in ``TO RUEHC/SECSTATE WASHDC 5072``."""

    name: str
    route: str | None = None
    """Routing indicator, e.g. ``RUEHC``."""
    precedence: str | None = None
    """IMMEDIATE, PRIORITY, ROUTINE, NIACT IMMEDIATE, FLASH ..."""
    mcn: str | None = None
    """Message (channel) number the station gave the telegram, e.g. ``5072``."""
    collective: bool = False
    """An address that stands for a group of posts (``IRAN COLLECTIVE``)."""


class Transmission(msgspec.Struct, frozen=True, omit_defaults=True):
    """The transmission header: the telegram's envelope."""

    transmission_id: str | None = None
    """E.g. ``VZCZCXYZ0011``."""
    routing: list[str] = []
    """Routing lines between the transmission ID and the DTG (``OO RUEHWEB``, ``DE RUEHC``)."""
    precedence: str | None = None
    """Precedence prosign of the DTG line: ``O`` (immediate), ``P``, ``R``, ``Z`` ..."""
    dtg: str | None = None
    """Date-time group as written, e.g. ``102226Z APR 08``."""
    dtg_datetime: dt.datetime | None = None
    sender: Recipient | None = None
    """The ``FM`` line."""
    to: list[Recipient] = []
    info: list[Recipient] = []


class Reference(msgspec.Struct, frozen=True, omit_defaults=True):
    """One entry of a ``REF:`` line."""

    kind: str
    """``cable`` for a telegram; else email, telcon, memo, report, letter, fax, meeting, other."""
    value: str
    """Canonical reference ID for a cable, the cleaned text otherwise."""
    text: str
    """The entry as written."""
    label: str | None = None
    """Its letter in a lettered list (``A``, ``B``)."""


class Paragraph(msgspec.Struct, frozen=True, omit_defaults=True):
    """A numbered paragraph of the body (or the text before the first one)."""

    text: str
    number: int | None = None
    marking: str | None = None
    """Portion marking as written, e.g. ``S/NF``, ``C``, ``SBU``, ``S/REL INDIA``."""


class Article(msgspec.Struct, frozen=True, omit_defaults=True):
    """A press article that cites a cable ("Appears in these articles")."""

    url: str
    title: str | None = None
    outlet: str | None = None
    """The newspaper or site that published it."""
    published: str | None = None
    """Its date, ``2010-11-28``."""


HANDLING_RESTRICTIONS: tuple[str, ...] = (
    "NODIS",
    "EXDIS",
    "LIMDIS",
    "STADIS",
    "NOFORN",
    "ORCON",
    "PROPIN",
    "NOCONTRACT",
    "ROGER",
    "CHEROKEE",
    "EYES ONLY",
)
"""Captions that limit who may see a telegram (its distribution), as a researcher filters by
them (``restriction:NODIS``). Cable Viewer texts state them in the preamble (caveats); PlusD
lists them in its "Handling Restrictions" field."""


class TagName(msgspec.Struct, frozen=True, omit_defaults=True):
    """A TAGS entry with the name a catalogue gives it (``GR`` - ``Greece; Crete``)."""

    tag: str
    name: str | None = None


class Catalog(msgspec.Struct, frozen=True, omit_defaults=True):
    """What a library catalogue says of a record beyond its telegram text: the metadata block
    of a PlusD page (WikiLeaks' Public Library of US Diplomacy). Values are as the catalogue
    writes them; PlusD's "-- N/A or Blank --" is None (or an empty list)."""

    plusd_id: str | None = None
    """PlusD's canonical ID, four-digit year and suffix kept: ``1974ATHENS02959_b``."""
    url: str | None = None
    """The record's page in PlusD (it keeps PlusD's ID)."""
    title: str | None = None
    original_classification: str | None = None
    current_classification: str | None = None
    handling_restrictions: list[str] = []
    character_count: int | None = None
    executive_order: str | None = None
    locator: str | None = None
    tags: list[TagName] = []
    """Every TAGS entry, codes with their names and person tags (``KISSINGER, HENRY A``)."""
    concepts: list[str] = []
    enclosure: str | None = None
    type: str | None = None
    office_origin: str | None = None
    office_action: str | None = None
    archive_status: str | None = None
    sent_from: str | None = None
    """The "From" field: ``Greece Athens``."""
    sent_to: list[str] = []
    markings: str | None = None
    references: list[str] = []
    """"References in this document to other cables", PlusD IDs as listed (ambiguous ones
    all listed)."""


class Inferred(msgspec.Struct, frozen=True):
    """A field the source does not state, read from the telegram text instead: which, and how
    (e.g. the ID of a bare telegram from its classification line and date-time group)."""

    field: str
    """``reference_id``, ``created``, ``origin``, ``classification`` ..."""
    how: str


class Provenance(msgspec.Struct, frozen=True, omit_defaults=True):
    """Where a record came from: enough to find the exact input again."""

    format: str
    """``site-html``, ``text-export``, ``cables-csv``, ``pdf``, ``telegram``, ``plusd-html``."""
    path: str
    """File path; for archive members ``archive.tar.xz!member/path``."""
    sha256: str
    """SHA-256 of the input bytes this record was read from."""
    row: int | None = None
    """Row number for CSV input."""
    site_count: int | None = None
    """For a Cable Viewer page: the site's own counter when the page was saved ("released
    so far... 243 / 251,287"). The site only grew, so it dates the copy: of two pages of a
    cable, the one with the smaller count was saved earlier and shows the earlier text."""


class Cable(msgspec.Struct, omit_defaults=True):
    """One cable, parsed."""

    reference_id: str
    """The ID as written by the source."""
    canonical_id: str
    created: dt.datetime | None = None
    created_precision: str | None = None
    """``minute`` when the source gives the time (a site page, a cables.csv row, a telegram's
    date-time group), ``day`` when it gives only the date (then ``created`` is that day at
    00:00 UTC); None when not said."""
    released: dt.datetime | None = None
    released_at_ingest: bool = False
    """True when the source gives no release date and ``released`` is the one the operator
    chose at ingest (``cablegate ingest --released``, by default the ingest time)."""
    classification: str | None = None
    """The classification the telegram was sent with (PlusD's "Original Classification")."""
    current_classification: str | None = None
    """The classification now, when a catalogue says it changed (PlusD's "Current
    Classification", e.g. ``UNCLASSIFIED`` after review); None when not said."""
    origin: str | None = None
    subject: str | None = None
    header: str = ""
    """Raw header text (the middle box)."""
    body: str = ""
    """Raw body text (the bottom box)."""
    transmission: Transmission = msgspec.field(default_factory=Transmission)
    classification_line: str | None = None
    """The body's first classification line, e.g. ``S E C R E T STATE 037957``."""
    caveats: list[str] = []
    declassification_date: dt.date | None = None
    declassification_text: str | None = None
    tags: list[str] = []
    references: list[Reference] = []
    classified_by: list[str] = []
    classification_reasons: list[str] = []
    paragraphs: list[Paragraph] = []
    summary: str | None = None
    comment: str | None = None
    signers: list[str] = []
    restrictions: list[str] = []
    """Handling restrictions (:data:`HANDLING_RESTRICTIONS`): the catalogue's, else the
    caveats of the text that are such."""
    concepts: list[str] = []
    """Subject concepts a catalogue assigned (PlusD's "Concepts": ``PRISONERS``)."""
    persons: list[str] = []
    """Person tags (``KISSINGER, HENRY A``): the catalogue's, or names in brackets after a
    tag of the TAGS line (``OVIP (CLINTON, WILLIAM J.)``)."""
    catalog: Catalog | None = None
    inferred: list[Inferred] = []
    """Fields the source does not state that were read from the text, and how."""
    redactions: int = 0
    partial: bool = False
    """The source holds only an extract of the cable, not its full text."""
    articles: list[Article] = []
    provenance: Provenance | None = None
    warnings: list[str] = []
    """Things a reader recovered from (e.g. an unterminated CSV quote)."""


def to_builtins(cable: Cable) -> dict[str, Any]:
    """The cable as plain JSON-ready Python data (dates as ISO strings)."""
    data: dict[str, Any] = msgspec.to_builtins(cable)
    return data
