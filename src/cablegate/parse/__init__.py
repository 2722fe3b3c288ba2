"""Parsing: turn a cable's text into a :class:`~cablegate.model.Cable`.

``parse_cable`` parses a whole cable; the field functions work on any text fragment.
"""

from cablegate.parse.cable import normalise_classification, parse_cable
from cablegate.parse.fields import (
    count_redactions,
    is_partial,
    parse_caveats,
    parse_classification_reasons,
    parse_classified_by,
    parse_comment,
    parse_declassification_date,
    parse_paragraphs,
    parse_person_tags,
    parse_signers,
    parse_subject,
    parse_summary,
    parse_tags,
)
from cablegate.parse.header import (
    parse_dtg,
    parse_info_recipients,
    parse_recipient,
    parse_recipients,
    parse_sender,
    parse_transmission,
)
from cablegate.parse.ids import canonical_id, station_code
from cablegate.parse.references import parse_references

__all__ = [
    "canonical_id",
    "count_redactions",
    "is_partial",
    "normalise_classification",
    "parse_cable",
    "parse_caveats",
    "parse_classification_reasons",
    "parse_classified_by",
    "parse_comment",
    "parse_declassification_date",
    "parse_dtg",
    "parse_info_recipients",
    "parse_paragraphs",
    "parse_person_tags",
    "parse_recipient",
    "parse_recipients",
    "parse_references",
    "parse_sender",
    "parse_signers",
    "parse_subject",
    "parse_summary",
    "parse_tags",
    "parse_transmission",
    "station_code",
]
