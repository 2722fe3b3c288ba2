"""The collection formats written back out, the inverse of their readers: the plain-text
export (one file per cable) and ``cables.csv`` rows (exports and the synthetic collection
write them; the readers read them back unchanged)."""

from __future__ import annotations

import datetime as dt

from cablegate.model import Cable
from cablegate.readers.text_export import DATE_FORMAT


def write_text_export(cable: Cable) -> str:
    """The cable in the export's layout (the inverse of
    :func:`cablegate.readers.text_export.read_text_export`)."""
    created = cable.created or dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    when = created.strftime(DATE_FORMAT)
    if cable.created_precision == "day":
        when = when.replace("+0000", "-0000")  # a date, no zone (see the reader's ``_created``)
    return "\n".join(
        [
            cable.reference_id,
            cable.subject or "",
            when,
            cable.classification or "",
            cable.origin or "",
            cable.header + cable.body,
        ]
    )


def _quote(field: str) -> str:
    return '"' + field.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_row(cable: Cable, number: int) -> str:
    """The cable as one ``cables.csv`` row in the 2011 dump's layout (the inverse of
    :func:`cablegate.readers.cables_csv.parse_row`), ending in a newline."""
    created = cable.created.strftime("%m/%d/%Y %H:%M").lstrip("0") if cable.created else ""
    created = created.replace("/0", "/")
    cited = "|".join(r.value for r in cable.references if r.kind == "cable")
    fields = [
        str(number),
        created,
        cable.reference_id,
        cable.origin or "",
        cable.classification or "",
        cited,
        cable.header,
        cable.body,
    ]
    return ",".join(_quote(f) for f in fields) + "\n"
