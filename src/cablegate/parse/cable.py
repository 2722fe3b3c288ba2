"""Assemble a :class:`~cablegate.model.Cable` from a cable's metadata, header and body."""

from __future__ import annotations

import datetime as dt
import re

import msgspec

from cablegate.model import (
    CLASSIFICATIONS,
    HANDLING_RESTRICTIONS,
    OTHER_CLASSIFICATIONS,
    Article,
    Cable,
    Catalog,
    Inferred,
    Provenance,
    Transmission,
)
from cablegate.parse.fields import (
    body_subject,
    classification_line,
    classification_of_line,
    clean,
    count_redactions,
    declassification_text,
    has_classified_by,
    has_tags,
    is_partial,
    own_text,
    parse_caveats,
    parse_classification_reasons,
    parse_classified_by,
    parse_comment,
    parse_declassification_date,
    parse_paragraphs,
    parse_person_tags,
    parse_signers,
    parse_summary,
    parse_tags,
)
from cablegate.parse.header import parse_transmission, routing_block
from cablegate.parse.ids import canonical_id, split_id
from cablegate.parse.references import body_references

_CLASSIFICATION_NAMES = {c: c for c in (*CLASSIFICATIONS, *OTHER_CLASSIFICATIONS)} | {
    "UNCLASSIFIED//FOUO": "UNCLASSIFIED//FOR OFFICIAL USE ONLY",
}


def normalise_classification(text: str | None) -> str | None:
    """``secret//noforn`` -> ``SECRET//NOFORN``; unknown labels are kept, upper-cased."""
    if not text:
        return None
    key = re.sub(r"\s*/\s*/\s*", "//", " ".join(text.split()).upper())
    return _CLASSIFICATION_NAMES.get(key, key)


def _year_of(ref_id: str, created: dt.datetime | None) -> str | None:
    parts = split_id(ref_id)
    if parts:
        return parts[0]
    return f"{created.year % 100:02d}" if created else None


_RENUMBERED = dt.datetime(2003, 3, 25, tzinfo=dt.UTC)
"""E.O. 13292: the reasons of E.O. 12958's section 1.5 became section 1.4."""


def _section(created: dt.datetime | None, year: str | None) -> str:
    """The section a reason's bare letter belongs to, by the cable's date."""
    if created is not None:
        when = created if created.tzinfo else created.replace(tzinfo=dt.UTC)
        return "1.5" if when < _RENUMBERED else "1.4"
    return "1.5" if year and year.isdigit() and (int(year) >= 60 or int(year) <= 2) else "1.4"


def _transmission(header: str, body: str) -> Transmission:
    """The header's transmission; its addresses from the body's own routing lines when the
    header box has none (the header repeated before a later section)."""
    sent = parse_transmission(header)
    if sent.sender is None and not sent.to:
        block = routing_block(body)
        if block:
            found = parse_transmission(block)
            sent = msgspec.structs.replace(sent, sender=found.sender, to=found.to, info=found.info)
    return sent


def _body_classification(class_line: str | None, caveats: list[str]) -> str | None:
    level = classification_of_line(class_line)
    if level in ("SECRET", "CONFIDENTIAL") and "NOFORN" in caveats:
        return f"{level}//NOFORN"
    return level


def parse_cable(
    reference_id: str,
    header: str = "",
    body: str = "",
    *,
    created: dt.datetime | None = None,
    created_precision: str | None = None,
    released: dt.datetime | None = None,
    classification: str | None = None,
    origin: str | None = None,
    subject: str | None = None,
    articles: list[Article] | None = None,
    provenance: Provenance | None = None,
    warnings: list[str] | None = None,
    current_classification: str | None = None,
    catalog: Catalog | None = None,
    restrictions: list[str] | None = None,
    concepts: list[str] | None = None,
    persons: list[str] | None = None,
    inferred: list[Inferred] | None = None,
    partial: bool = False,
) -> Cable:
    """Parse every field of one cable.

    ``reference_id``, ``created``, ``released``, ``classification`` and ``origin`` come from the
    source's metadata (the page's table, the CSV columns, the export's first lines); everything
    else is read from ``header`` and ``body``. ``subject`` is used only when the body has none.
    """
    canonical = canonical_id(reference_id)
    header = header.replace("\r\n", "\n")
    body = body.replace("\r\n", "\n")
    class_line = classification_line(body)
    year = _year_of(canonical, created)
    text = own_text(body, canonical)  # the body as stored; its fields from this
    parsed_subject = body_subject(text) or (body_subject(body) if text != body else None)
    caveats = parse_caveats(body)
    labelled = has_classified_by(text)
    return Cable(
        reference_id=reference_id,
        canonical_id=canonical,
        created=created,
        created_precision=created_precision or ("minute" if created else None),
        released=released,
        classification=normalise_classification(classification)
        or _body_classification(class_line, caveats),
        origin=origin,
        subject=parsed_subject or (clean(subject) if subject else None),
        header=header,
        body=body,
        transmission=_transmission(header, body),
        classification_line=class_line,
        caveats=caveats,
        declassification_date=parse_declassification_date(text),
        declassification_text=declassification_text(text),
        tags=parse_tags(text) if has_tags(text) else [],
        references=body_references(text, year, canonical),
        classified_by=parse_classified_by(text) if labelled else [],
        classification_reasons=parse_classification_reasons(text, _section(created, year))
        if labelled
        else [],
        paragraphs=parse_paragraphs(text),
        summary=parse_summary(text),
        comment=parse_comment(text),
        signers=parse_signers(text),
        restrictions=list(restrictions)
        if restrictions is not None
        else [c for c in caveats if c in HANDLING_RESTRICTIONS],
        concepts=list(concepts or []),
        persons=list(persons) if persons is not None else parse_person_tags(text),
        current_classification=normalise_classification(current_classification),
        catalog=catalog,
        inferred=list(inferred or []),
        redactions=count_redactions(header) + count_redactions(body),
        partial=partial or is_partial(header, body),
        articles=list(articles or []),
        provenance=provenance,
        warnings=list(warnings or []),
    )
