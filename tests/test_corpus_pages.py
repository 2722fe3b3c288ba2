"""Every real page of the corpus parses, and agrees with the page's own metadata table."""

from __future__ import annotations

import datetime as dt
import html
import re

from cablegate.errors import ReadError
from cablegate.readers import read_paths
from cablegate.readers.site import page_tag_links, read_site_page
from tests.conftest import CORPUS, iter_tar_html, requires_corpus

pytestmark = requires_corpus

# The metadata table read with plain regular expressions, independently of the reader.
_CELL = re.compile(r"<td>\s*<a href='[^']*'(?: title='[^']*')?>([^<]*)</a>\s*</td>", re.S)
_HEADS = re.compile(r"<th>([^<]*)</th>")
_ARTICLES = re.compile(r"Appears in these articles:<br />(.*?)</td>", re.S)


def table_of(data: bytes) -> dict[str, str]:
    text = data.decode("utf-8")
    start = text.index("<table class='cable'>")
    section = text[start : text.index("</table>", start)]
    heads = [h.lower() for h in _HEADS.findall(section)]
    cells = [html.unescape(c).strip() for c in _CELL.findall(section)]
    return dict(zip(heads, cells, strict=False))


def article_links(data: bytes) -> list[str]:
    m = _ARTICLES.search(data.decode("utf-8"))
    return re.findall(r"<a href=", m.group(1)) if m else []


def _when(text: str) -> dt.datetime | None:
    return dt.datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=dt.UTC) if text else None


def check_page(name: str, data: bytes) -> None:
    cable = read_site_page(data, name)
    table = table_of(data)
    assert cable.reference_id == table["reference id"], name
    assert cable.created == _when(table.get("created") or table["date"]), name
    if "released" in table:
        assert cable.released == _when(table["released"]), name
    assert cable.classification == table["classification"], name
    assert cable.origin == table["origin"], name
    assert len(cable.articles) == len(article_links(data)), name
    links = list(dict.fromkeys(page_tag_links(data)))
    # The site linked the codes of the first TAGS line; codes continued on the next
    # line are ours too, after them.
    assert cable.tags[: len(links)] == links, name
    assert cable.provenance is not None and len(cable.provenance.sha256) == 64


def test_every_site_page_agrees_with_its_table(site_pages: dict[str, bytes]) -> None:
    assert len(site_pages) == 6712
    for name, data in site_pages.items():
        check_page(name, data)


def test_every_older_version_parses() -> None:
    count = 0
    for name, data in iter_tar_html("cablegate-versions.tar.xz"):
        check_page(name, data)
        count += 1
    assert count == 5194


def test_httrack_sample_reads_through_the_archive_reader() -> None:
    items = list(read_paths([CORPUS / "httrack-mirror-sample.tar.xz"]))
    errors = [i for i in items if isinstance(i, ReadError)]
    cables = [i for i in items if hasattr(i, "canonical_id")]
    assert errors == []
    # 243 pages plus two saved variants of two of them.
    assert len(cables) == 245
    assert len({c.canonical_id for c in cables}) == 243
    for cable in cables:
        # The early site had no "Released" column; its pages show the counter of the first
        # release (243 cables), so they are dated to it: 2010-11-28 18:06 UTC.
        assert cable.released == dt.datetime(2010, 11, 28, 18, 6, tzinfo=dt.UTC)
        assert cable.created is not None and cable.origin and cable.classification
        assert "!" in cable.provenance.path


def test_some_fields_found_across_the_corpus(site_pages: dict[str, bytes]) -> None:
    """Field coverage over all real pages: a parser that silently loses a field fails here.
    (Thresholds sit just under what the parser reaches; the rest have no such field.)"""
    cables = [read_site_page(d, n) for n, d in site_pages.items()]
    full = [c for c in cables if not c.partial]
    assert len(full) > 5900

    def share(field) -> float:
        return sum(1 for c in full if field(c)) / len(full)

    assert share(lambda c: c.subject) > 0.96
    assert share(lambda c: c.tags) > 0.99
    assert share(lambda c: c.paragraphs) > 0.8
    assert share(lambda c: c.transmission.dtg) > 0.99
    assert share(lambda c: c.transmission.sender) > 0.99
    assert share(lambda c: c.transmission.to) > 0.99
    assert share(lambda c: c.signers) > 0.85
    assert share(lambda c: c.classification_line) > 0.99
    assert share(lambda c: c.declassification_text) > 0.85
    labelled = [c for c in full if "CLASSIFIED BY" in c.body.upper()]
    assert sum(1 for c in labelled if c.classified_by) / len(labelled) > 0.97
    assert not any(c.classified_by for c in full if "LASSIFIED" not in c.body.upper())
    assert share(lambda c: c.summary) > 0.55
    assert share(lambda c: c.references) > 0.5
    assert len(cables) - len(full) > 600  # the corpus's partial extracts are recognised


def test_known_pages(site_pages: dict[str, bytes]) -> None:
    kabul = read_site_page(site_pages["09KABUL3423"], "09KABUL3423")
    assert kabul.transmission.info[0].route == "RUCNAFG"
    assert kabul.transmission.info[0].collective
    assert kabul.classified_by == ["Annie Pforzheimer"]
    assert kabul.subject == "AFGHANS WITH CODEL BURR ON ELECTIONS, SECURITY, AND THE FUTURE"
    sanjose = read_site_page(site_pages["07SANJOSE48"], "07SANJOSE48")
    assert sanjose.signers == ["LANGDALE"]
    assert [r.value for r in sanjose.references] == ["07STATE957"]
    assert sanjose.tags == ["EAGR", "ETRD"] and sanjose.caveats == ["SIPDIS"]
