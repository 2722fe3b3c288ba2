"""How to cite a cable (pure: no I/O): a stable permalink that names the version, and the
citation as text (Chicago style), CSL-JSON, BibTeX and RIS.

The text follows the Chicago Manual of Style's pattern for unpublished and archival
documents consulted online (author, title in quotation marks, a description of the document
with its identifying number, its date, then where it is kept and the URL), as it is
commonly applied to the Cablegate telegrams: the sending post as author, the SUBJECT line as
the title (as written, not re-capitalized: cable subjects are upper case and full of
acronyms), "cable" and its reference ID, the date it was sent, the classification, when it
was released and which version, then the archive and the permalink. Dates are written
the Chicago way (March 30, 2009).

Every value taken from a cable is untrusted text: each format escapes it for its own syntax
(BibTeX braces and backslashes, RIS lines) and whitespace, newlines included, is collapsed
so that no value can end an entry or start another.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
"""In English whatever the locale (not ``strftime("%B")``)."""
BIBTEX_MONTHS = tuple(m[:3].lower() for m in MONTHS)


@dataclass(frozen=True)
class CableSource:
    """What a citation says about one version of a cable."""

    canonical_id: str
    subject: str | None
    origin: str | None
    """``Embassy Riyadh``, ``Secretary of State`` ..."""
    created: dt.datetime | None
    released: dt.datetime | None
    """When this version was released."""
    classification: str | None
    version: int
    permalink: str
    """The URL of this version's page (absolute when the site's base URL is known)."""
    archive: str
    released_here: bool = False
    """The source gave no release date: ``released`` is when this archive published it."""
    """The name of the archive (the site) that holds it."""


def clean(text: str | None) -> str:
    """A value as one line: whitespace (newlines, tabs) collapsed to single spaces, other
    control characters dropped."""
    if not text:
        return ""
    text = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", text)
    return " ".join(text.split())


def author(origin: str | None) -> str | None:
    """The sending post as a corporate author: ``Embassy Riyadh`` -> ``US Embassy Riyadh``
    (a name that already says US, ``USUN New York``, is kept as it is)."""
    name = clean(origin)
    if not name:
        return None
    if re.match(r"(?:US|U\.S\.|USUN|USEU|USNATO|American)\b", name, re.I):
        return name
    return f"US {name}"


def long_date(when: dt.date | None) -> str:
    """``March 30, 2009`` (Chicago's form); ``n.d.`` when unknown."""
    if when is None:
        return "n.d."
    return f"{MONTHS[when.month - 1]} {when.day}, {when.year}"


def _released(source: CableSource) -> str:
    """When and which version: ``Released August 30, 2011 (version 2)``; a cable whose
    source gave no release date was first published by this archive, which it says."""
    when = f" {long_date(source.released)}" if source.released else ""
    what = "Published in this archive" if source.released_here else "Released"
    return f"{what}{when} (version {source.version})"


# -- text ------------------------------------------------------------------------------------


def text(source: CableSource) -> str:
    """The citation as one line of text (Chicago style, the form of a note)::

    US Embassy Riyadh, “SUBJECT,” cable 09RIYADH447, March 30, 2009, CONFIDENTIAL.
    Released August 30, 2011 (version 2). Cable Viewer, https://…
    """
    parts = []
    if name := author(source.origin):
        parts.append(name)
    if subject := clean(source.subject):
        parts.append(f"“{subject},”")
    parts.append(f"cable {clean(source.canonical_id)}")
    parts.append(long_date(source.created))
    if classification := clean(source.classification):
        parts.append(classification)
    head = ""
    for part in parts:  # the comma after a title goes inside its quotation marks
        head += ("" if not head else " " if head.endswith(",”") else ", ") + part
    where = ", ".join(p for p in (clean(source.archive), clean(source.permalink)) if p)
    return f"{head.removesuffix('.')}. {_released(source)}. {where}."


# -- CSL-JSON --------------------------------------------------------------------------------


def _date_parts(when: dt.date | None) -> dict[str, Any] | None:
    if when is None:
        return None
    return {"date-parts": [[when.year, when.month, when.day]]}


def item_id(source: CableSource) -> str:
    """An identifier for the entry (a BibTeX key, a CSL ``id``): ``09RIYADH447v2``."""
    base = re.sub(r"[^A-Za-z0-9]", "", source.canonical_id) or "cable"
    return f"{base}v{source.version}"


def csl(source: CableSource) -> dict[str, Any]:
    """The citation as one CSL-JSON item (a ``manuscript``: an unpublished document held
    in an archive). The release date and version are said in ``note`` and ``version``:
    CSL's ``available-date`` is newer than the schemas many tools still check against."""
    item: dict[str, Any] = {"id": item_id(source), "type": "manuscript"}
    if name := author(source.origin):
        item["author"] = [{"literal": name}]
    item["title"] = clean(source.subject) or f"Cable {clean(source.canonical_id)}"
    item["genre"] = "Diplomatic cable"
    item["number"] = clean(source.canonical_id)
    if issued := _date_parts(source.created):
        item["issued"] = issued
    item["version"] = str(source.version)
    item["archive"] = clean(source.archive)
    item["archive_location"] = clean(source.canonical_id)
    item["URL"] = clean(source.permalink)
    note = f"{_released(source)}."
    if classification := clean(source.classification):
        note = f"{classification}. {note}"
    item["note"] = note
    return item


def csl_json(source: CableSource) -> str:
    """CSL-JSON: an array of the one item, as reference managers import it."""
    return json.dumps([csl(source)], ensure_ascii=False, indent=2)


# -- BibTeX ----------------------------------------------------------------------------------

_LATEX = {
    "\\": r"\textbackslash{}",
    "{": r"\textbraceleft{}",
    "}": r"\textbraceright{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_LATEX_SPECIAL = re.compile("[" + re.escape("".join(_LATEX)) + "]")


def latex(value: str | None) -> str:
    """Text as LaTeX: its special characters written as commands. Braces become
    ``\\textbraceleft{}`` rather than ``\\{`` because BibTeX counts a brace even after a
    backslash: only balanced braces keep an entry whole."""
    return _LATEX_SPECIAL.sub(lambda m: _LATEX[m.group()], clean(value))


def _url(value: str) -> str:
    """A URL for ``url = {...}``: characters that could unbalance it percent-encoded."""
    return re.sub(r"[{}\\%\s\"]", lambda m: f"%{ord(m.group()):02X}", clean(value))


def bibtex(source: CableSource) -> str:
    """The citation as a BibTeX ``@misc`` entry (biblatex reads ``date``, ``version``,
    ``url``; plain BibTeX ``year``, ``month``, ``howpublished`` and ``note``)."""
    fields: list[tuple[str, str]] = []
    if name := author(source.origin):
        fields.append(("author", "{" + latex(name) + "}"))  # a corporate name, kept whole
    title = clean(source.subject) or f"Cable {clean(source.canonical_id)}"
    fields.append(("title", "{" + latex(title) + "}"))  # as written: no re-capitalizing
    what = f"Cable {clean(source.canonical_id)}"
    if classification := clean(source.classification):
        what += f", {classification}"
    fields.append(("howpublished", latex(what)))
    fields.append(("type", "Diplomatic cable"))
    fields.append(("number", latex(source.canonical_id)))
    if source.created is not None:
        fields.append(("date", source.created.strftime("%Y-%m-%d")))
        fields.append(("year", str(source.created.year)))
    fields.append(("version", str(source.version)))
    fields.append(("note", latex(f"{_released(source)}. {clean(source.archive)}")))
    fields.append(("url", _url(source.permalink)))
    lines = [f"@misc{{{item_id(source)},"]
    lines += [f"  {key} = {{{value}}}," for key, value in fields]
    if source.created is not None:
        lines.append(f"  month = {BIBTEX_MONTHS[source.created.month - 1]},")
    lines[-1] = lines[-1].rstrip(",")
    lines.append("}")
    return "\n".join(lines) + "\n"


# -- RIS -------------------------------------------------------------------------------------


def _ris_date(when: dt.date) -> str:
    return f"{when.year:04d}/{when.month:02d}/{when.day:02d}/"


def ris(source: CableSource) -> str:
    """The citation as an RIS record (``TY`` first, ``ER`` last, one ``TAG  - value``
    per line, lines ended by CR LF as the format asks)."""
    lines = [("TY", "GOVDOC")]
    if name := author(source.origin):
        lines.append(("AU", name))
    lines.append(("TI", clean(source.subject) or f"Cable {clean(source.canonical_id)}"))
    lines.append(("M3", "Diplomatic cable"))
    lines.append(("M1", clean(source.canonical_id)))
    if source.created is not None:
        lines.append(("PY", str(source.created.year)))
        lines.append(("DA", _ris_date(source.created)))
    if source.released is not None:
        lines.append(("Y2", _ris_date(source.released)))
    lines.append(("ET", f"version {source.version}"))
    if classification := clean(source.classification):
        lines.append(("N1", f"{classification}. {_released(source)}."))
    else:
        lines.append(("N1", f"{_released(source)}."))
    lines.append(("DB", clean(source.archive)))
    lines.append(("UR", clean(source.permalink)))
    lines.append(("ID", item_id(source)))
    out = "".join(f"{tag}  - {clean(value)}\r\n" for tag, value in lines)
    return out + "ER  - \r\n"


# -- all formats -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Format:
    name: str
    media_type: str
    render: Callable[[CableSource], str]
    extension: str


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("text", "text/plain; charset=utf-8", lambda s: text(s) + "\n", "txt"),
        Format("csl-json", "application/vnd.citationstyles.csl+json", csl_json, "json"),
        Format("bibtex", "application/x-bibtex; charset=utf-8", bibtex, "bib"),
        Format("ris", "application/x-research-info-systems; charset=utf-8", ris, "ris"),
    )
}
"""Each format by the name the API takes (``?format=bibtex``)."""
