"""Reader for Cable Viewer site pages (``cable/YYYY/MM/<ID>.html``), HTTrack copies included."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

from selectolax.lexbor import LexborHTMLParser as HTMLParser
from selectolax.lexbor import LexborNode as Node

from cablegate.errors import ReadError
from cablegate.model import Article, Cable, Provenance
from cablegate.parse import parse_cable
from cablegate.readers.decoding import NOT_UTF8, drop_nuls

FORMAT = "site-html"
_PANE = re.compile(r"<div class=['\"]pane big['\"]>")
_TITLE = re.compile(r"Viewing cable\s+(\S+?),\s*(.*)", re.S)
_HTTRACK_LINK = re.compile(r"^(?:\.\./)*external\.html\?link=")
_COUNTER = re.compile(rb"released so far\.*\s*([0-9][0-9,]*)\s*/")

FIRST_RELEASE = dt.datetime(2010, 11, 28, 18, 6, tzinfo=dt.UTC)
"""The site's first release (220 cables), as the Released column of later pages gives it."""
FIRST_LAYOUT_COUNT = 300
"""The site's first layout (28-29 November 2010, counter at 219, then 243 cables) had no
Released column; by the 291st cable (30 November) every page had one."""


def looks_like(head: str) -> bool:
    """Whether the start of a document looks like a Cable Viewer cable page."""
    lower = head[:2048].lower()
    is_html = "<html" in lower or "<!doctype html" in lower or "<?xml" in lower
    return is_html and ("<title>Cable Viewer</title>" in head or "<table class='cable'>" in head)


def _parse_when(text: str, path: str, column: str) -> dt.datetime | None:
    text = text.strip()
    if not text or text.lower() in {"unknown", "n/a"}:
        return None
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, fmt).replace(tzinfo=dt.UTC)
        except ValueError:
            continue
    raise ReadError(path, f"{column} {text!r} is not a date")


def _cell_text(cell: Node) -> str:
    link = cell.css_first("a")
    return " ".join((link or cell).text(deep=True).split())


def _articles(cell: Node) -> list[Article]:
    out: list[Article] = []
    for link in cell.css("a"):
        href = (link.attributes.get("href") or "").strip()
        href = _HTTRACK_LINK.sub("", href)
        href = re.sub(r"^(https?://)+(https?://)", r"\2", href)
        title = " ".join(link.text(deep=True).split()) or None
        if href:
            out.append(Article(url=href, title=title if title != href else None))
    return out


def read_site_page(data: bytes, path: str) -> Cable:
    """Parse one Cable Viewer page. Raises :class:`ReadError` when it is not one."""
    start = data.find(b"<div class='pane big'>")
    if start == -1:
        start = data.find(b'<div class="pane big">')
    if start == -1:
        raise ReadError(path, "not a Cable Viewer cable page (no 'pane big' section)")
    warnings: list[str] = []
    try:
        text = data[start:].decode("utf-8")
    except UnicodeDecodeError:
        text = data[start:].decode("latin-1")
        warnings.append(NOT_UTF8)
    text = drop_nuls(text, warnings)  # the HTML parser would drop them without a word
    tree = HTMLParser(text)
    table = tree.css_first("table.cable")
    if table is None:
        raise ReadError(path, "cable page without its metadata table")
    rows = table.css("tr")
    heads = [" ".join(th.text().split()).lower() for th in rows[0].css("th")] if rows else []
    cells = rows[1].css("td") if len(rows) > 1 else []
    if not heads or len(cells) < len(heads):
        raise ReadError(path, "metadata table has no data row")
    meta = {h: _cell_text(c) for h, c in zip(heads, cells, strict=False)}
    ref_id = meta.get("reference id", "")
    if not re.fullmatch(r"[0-9A-Z][0-9A-Z\-_.]{4,60}", ref_id):
        raise ReadError(path, f"metadata table has no valid reference ID ({ref_id!r})")
    articles: list[Article] = []
    for row in rows[2:]:
        if "Appears in these articles" in row.text():
            articles.extend(_articles(row))
    pres = tree.css("pre")
    if not pres:
        raise ReadError(path, "cable page without header and body boxes")
    header = pres[0].text(deep=True) if len(pres) > 1 else ""
    body = pres[-1].text(deep=True)
    title = tree.css_first("h3")
    subject = None
    if title is not None:
        tm = _TITLE.match(" ".join(title.text().split()))
        subject = tm.group(2) if tm else None
    created = _parse_when(meta.get("created", meta.get("date", "")), path, "created")
    released = _parse_when(meta.get("released", ""), path, "released")
    counter = _COUNTER.search(data[:start])
    site_count = int(counter.group(1).replace(b",", b"")) if counter else None
    if "released" not in meta and site_count is not None and site_count < FIRST_LAYOUT_COUNT:
        # A page of the first layout (HTTrack copies of 28-29 November 2010) names no
        # release; its cable was among the first released, nearly all (and every one of the
        # first 219) at the first release; the rest within a day.
        released = FIRST_RELEASE
    return parse_cable(
        ref_id,
        header,
        body,
        created=created,
        released=released,
        classification=meta.get("classification"),
        origin=meta.get("origin"),
        subject=subject,
        articles=articles,
        provenance=Provenance(
            format=FORMAT,
            path=path,
            sha256=hashlib.sha256(data).hexdigest(),
            site_count=site_count,
        ),
        warnings=warnings,
    )


def page_tag_links(data: bytes) -> list[str]:
    """TAGS codes the page itself links in its body box (for checking the parser)."""
    text = data.decode("utf-8", "replace")
    m = _PANE.search(text)
    section = text[m.start() :] if m else text
    return re.findall(r"<a href='[^']*tag/([^'/]+?)_\d+\.html'>", section)
