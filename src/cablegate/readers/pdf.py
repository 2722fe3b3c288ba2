"""Reader for cables as PDF (archive.org's conversions of the release): the text layer is the
telegram, parsed as :mod:`cablegate.readers.telegram` parses bare telegram text.

The text layer is read with pypdf (all pages). The conversion rendered the Cable Viewer's
page, whose links and anchors leave marks in the text that are undone here:

- each entry of the ``TAGS:`` line (a link on the page) is on a line of its own, with blank
  lines between: they are joined again (``TAGS: PGOV, PINR, SY``);
- the ``¶`` anchor of each paragraph is alone on its line, before the paragraph's number:
  it is put back in front of the number (``¶1. (C) ...``), as the Cable Viewer shows it.

Archive.org's PDFs of PlusD records of State's old printed telegrams (``00HANOI686``) begin
"This record is a partial extract of the original cable..." (the cable is then ``partial``) and
carry page headers and banners: the telegram reader reads through them.

A PDF without a text layer (a scan) or one that cannot be read is a :class:`ReadError` saying
so; reading text from images (OCR) is not done.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
from typing import TYPE_CHECKING

from cablegate.errors import ReadError
from cablegate.model import Cable, Provenance
from cablegate.readers.telegram import parse_telegram

if TYPE_CHECKING:
    from pypdf import PdfReader

FORMAT = "pdf"
logging.getLogger("pypdf").setLevel(logging.ERROR)  # its warnings on odd files: ReadError says it

_TAGS_BLOCK = re.compile(
    r"(?m)^(?P<label>[ \t]*TAGS?[ \t]*:)[ \t]*\n(?P<entries>(?:[^\n]{0,60}\n){1,120}?)"
    r"(?=[ \t]*SUBJ)"
)
"""The ``TAGS:`` label alone on its line, then its entries one per line up to the subject."""
_PILCROW_LINE = re.compile(r"(?m)^[ \t]*¶[ \t]*\n(?=[ \t]*\S)")


def looks_like(head: bytes) -> bool:
    """Whether a document is a PDF (its magic bytes)."""
    return head.lstrip(b"\r\n\t ")[:5] == b"%PDF-"


def read_pdf(data: bytes, path: str = "<pdf>") -> Cable:
    """Parse a PDF of a cable. Raises :class:`ReadError` when it has no readable text layer
    or its telegram cannot be identified (see :func:`cablegate.readers.telegram.read_telegram`)."""
    text = pdf_text(data, path)
    provenance = Provenance(format=FORMAT, path=path, sha256=hashlib.sha256(data).hexdigest())
    return parse_telegram(normalise(text), path, provenance)


def pdf_text(data: bytes, path: str = "<pdf>") -> str:
    """The text layer of every page, pages separated by a line break. Raises
    :class:`ReadError` for a PDF that cannot be read or has no text."""
    if b"%%EOF" not in data[-2048:]:
        # pypdf would read what it can of a cut file: a cable silently missing its end.
        raise ReadError(path, "truncated PDF: it does not end with the %%EOF marker")
    import pypdf

    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not _opens(reader):
            raise ReadError(path, "encrypted PDF: its text cannot be read without the password")
        pages = [page.extract_text() or "" for page in reader.pages]
    except ReadError:
        raise
    except RecursionError:
        raise ReadError(path, "corrupt PDF: its objects nest without end") from None
    except Exception as exc:  # pypdf's errors on a broken file are many (its own, KeyError ...)
        detail = " ".join(str(exc).split())[:160]
        what = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
        raise ReadError(path, f"corrupt PDF, its text cannot be read ({what})") from None
    text = "\n".join(pages)
    if not text.strip():
        count = f"{len(pages)} page{'s' if len(pages) != 1 else ''}"
        raise ReadError(path, f"PDF has no text layer ({count}, no text: a scan?); OCR is not done")
    return text


def _opens(reader: PdfReader) -> bool:
    """Whether an encrypted PDF opens with the empty password (many do: only editing is
    restricted)."""
    from pypdf import PasswordType

    try:
        return bool(reader.decrypt("") != PasswordType.NOT_DECRYPTED)
    except Exception:  # an unsupported cipher, or cryptography missing
        return False


def normalise(text: str) -> str:
    """Undo what rendering the Cable Viewer's page to PDF did to the telegram's text."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _PILCROW_LINE.sub("¶", text)
    return _TAGS_BLOCK.sub(_join_tags, text, count=1)


def _join_tags(m: re.Match[str]) -> str:
    """The entries (links, blank lines between them) joined on the TAGS line; a line that
    follows an entry without a blank line continued the line in the telegram and stays a
    line of its own (``BX`` / ``OVIP (CLINTON, WILLIAM J.)``)."""
    groups = re.split(r"\n[ \t]*\n", m.group("entries").strip("\n"))
    lines = [[ln.strip() for ln in g.split("\n") if ln.strip()] for g in groups]
    entries = [g for g in lines if g]
    joined = ", ".join(g[0] for g in entries)
    rest = [ln for g in entries for ln in g[1:]]
    return "\n".join([f"{m.group('label')} {joined}".rstrip(), *rest]) + "\n"
