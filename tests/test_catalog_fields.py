"""The catalogue fields of issue 20 as the public sees them: handling restrictions, concepts,
person tags and the current classification in search (filters, facets, the API) and on cable
pages (served and static), PlusD's IDs mapped to the archive's and back, all on each database.

The archive holds the three real PlusD pages of ../shared/corpus/plusd, real Cable Viewer
pages (two NOFORN cables, one without any handling restriction), and a record built here
for what the corpus has no example of: a NODIS cable (no cable of the corpus is NODIS),
with hostile values in its catalogue fields and fields inferred from its text. Expected
values were read from the pages themselves:

- 1974ATHENS02959_b: "Concepts: CONCENTRATION CAMPS | PRISONERS | WELFARE & WHEREABOUTS |
  YIAROS", "TAGS: AMBATIELOS, ANTHONY | GR - Greece; Crete | KALOUDIS, NICK | PINS - ...",
  "Original Classification: LIMITED OFFICIAL USE", "Current Classification: UNCLASSIFIED",
  "Character Count: 1888", "Locator: TEXT ON MICROFILM,TEXT ONLINE", created 17 May 1974.
- 1974ATHENS03099_b: "Concepts: ARRESTS | COMMUNISTS | DATA | DETENTION | INTERROGATION |
  MEDICAL CARE | PRISON CONDITIONS", the same two person tags, CONFIDENTIAL, now
  UNCLASSIFIED.
- 1973STATE097844_b: no concepts, no person tags; LIMITED OFFICIAL USE, now UNCLASSIFIED.
- 03KATHMANDU1870, 03KATHMANDU2366 (Cable Viewer): a ``NOFORN`` line in the preamble.
  06BERN1686: none.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import tantivy
from fastapi.testclient import TestClient

from cablegate.archive import Archive
from cablegate.archive.records import decode_cable, prepare
from cablegate.archive.store import PRIVATE, Source, utc_now
from cablegate.ingest import ingest
from cablegate.model import Catalog, Inferred, Provenance, TagName
from cablegate.parse.cable import parse_cable
from cablegate.parse.ids import from_plusd, to_plusd
from cablegate.search import index as indexes
from cablegate.search import parse_query, search
from cablegate.search.query import Filter
from cablegate.site.app import create_app
from cablegate.site.build import build_site, file_path
from tests.conftest import BACKENDS, CORPUS, _database, iter_tar_html, requires_corpus
from tests.pgserver import Server

pytestmark = [requires_corpus, pytest.mark.xdist_group("catalog")]

PLUSD = CORPUS / "plusd"
NOFORN = ("03KATHMANDU1870", "03KATHMANDU2366")
PLAIN = "06BERN1686"
FALSE_EXDIS = "06SANJOSE2734"
"""Its preamble has no EXDIS: only its REF list does, of another cable ("B. SAN JOSE 2223
(EXDIS)")."""
PAGES = (*NOFORN, PLAIN, FALSE_EXDIS)
ATHENS = "74ATHENS2959"
ATHENS_2 = "74ATHENS3099"
STATE_73 = "73STATE97844"

NODIS_ID = "09STATE912345"
PRIVATE_ID = "09STATE912346"
HOSTILE = "<script>alert('x')</script>"


def _nodis_cable(reference: str, subject: str) -> object:
    body = (
        f"S E C R E T STATE {reference[-6:]}\n\nNODIS\n\nE.O. 12958: DECL: 01/01/2019\n"
        f"TAGS: PREL\nSUBJECT: {subject}\n\n1. THE TEXT OF A NODIS TELEGRAM.\n"
    )
    return parse_cable(
        reference,
        "",
        body,
        created=dt.datetime(2009, 3, 4, 5, 6, tzinfo=dt.UTC),
        released=dt.datetime(2010, 11, 28, tzinfo=dt.UTC),
        classification="SECRET",
        origin="Secretary of State",
        concepts=[HOSTILE, "PRISONERS"],
        persons=["KISSINGER, HENRY A"],
        current_classification="UNCLASSIFIED",
        catalog=Catalog(
            plusd_id=f"2009STATE{reference[-6:]}_a",
            url="javascript:alert(1)",
            markings=f"<b>{HOSTILE}</b>",
            office_origin='"><img src=x onerror=alert(1)>',
            tags=[TagName("PREL", f"<i>{HOSTILE}</i>"), TagName("KISSINGER, HENRY A")],
        ),
        inferred=[
            Inferred("reference_id", "from the classification line STATE 912345 <b>bold</b>"),
            Inferred("origin", "from the FM line"),
        ],
        provenance=Provenance("telegram", f"{reference}.txt", "0" * 64),
    )


def _add(archive: Archive, cable: object, private: bool = False) -> None:
    sha = hashlib.sha256(repr(cable).encode()).hexdigest()
    writer = archive.writer(utc_now(), PRIVATE) if private else archive.writer(utc_now())
    with archive.transaction():
        writer.add(prepare(cable), Source(sha, f"{sha[:8]}.txt", "telegram"))  # type: ignore[arg-type]


@dataclass
class Built:
    db: str
    archive: Archive
    client: TestClient


@pytest.fixture(scope="module", params=BACKENDS)
def built(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    pg_server: Server | None,
) -> Iterator[Built]:
    folder = tmp_path_factory.mktemp("catalog")
    db = _database(request.param, pg_server, folder, "catalog")
    pages = folder / "pages"
    pages.mkdir()
    for name, data in iter_tar_html("cablegate-site.tar.xz"):
        if Path(name).stem in PAGES:
            (pages / Path(name).name).write_bytes(data)
    assert len(list(pages.iterdir())) == len(PAGES)
    archive = Archive.open(db)
    report = ingest(archive, [PLUSD, pages], jobs=1)
    assert report.new == 3 + len(PAGES) and report.quarantined == 0
    _add(archive, _nodis_cable(NODIS_ID, "A NODIS TEST"))
    _add(archive, _nodis_cable(PRIVATE_ID, "NOT YET RELEASED"), private=True)
    try:
        yield Built(db, archive, TestClient(create_app(db), follow_redirects=False))
    finally:
        indexes.forget()
        archive.close()


def ids(archive: Archive, query: str) -> set[str]:
    return {hit.canonical_id for hit in search(archive, query, per_page=200).hits}


# -- the query language ------------------------------------------------------------------


def test_filters_parse_with_quoted_values() -> None:
    assert parse_query("restriction:NODIS").tree == Filter("restriction", "NODIS")
    assert parse_query('concept:"PRISONERS"').tree == Filter("concept", "PRISONERS")
    assert parse_query('person:"KISSINGER, HENRY A"').tree == Filter("person", "KISSINGER, HENRY A")
    assert parse_query("current:UNCLASSIFIED").tree == Filter("current", "UNCLASSIFIED")


# -- search --------------------------------------------------------------------------------


def test_restriction_filter_finds_real_and_recorded_cables(built: Built) -> None:
    archive = built.archive
    assert ids(archive, "restriction:NOFORN") == set(NOFORN)
    assert ids(archive, "restriction:noforn") == set(NOFORN)  # any case, like tag:
    assert ids(archive, "restriction:NODIS") == {NODIS_ID}  # not the private one
    assert ids(archive, "restriction:NODIS OR restriction:NOFORN") == {NODIS_ID, *NOFORN}
    assert PLAIN not in ids(archive, "restriction:NO*")
    assert ids(archive, "restriction:NO*") == {NODIS_ID, *NOFORN}
    # Words and a restriction together.
    assert ids(archive, "telegram restriction:NODIS") == {NODIS_ID}
    nothing = search(archive, "restriction:LIMDIS")
    assert nothing.total == 0
    assert "restriction:LIMDIS matches no cable" in nothing.query.notes


def test_a_caveat_of_a_referenced_cable_is_not_a_restriction(built: Built) -> None:
    assert FALSE_EXDIS not in ids(built.archive, "restriction:EXDIS")


def test_concept_and_person_filters_on_real_plusd_pages(built: Built) -> None:
    archive = built.archive
    assert ids(archive, 'concept:"PRISONERS"') == {ATHENS, NODIS_ID}
    assert ids(archive, "concept:prisoners") == {ATHENS, NODIS_ID}
    assert ids(archive, 'concept:"prison conditions"') == {ATHENS_2}
    assert ids(archive, 'concept:"WELFARE & WHEREABOUTS"') == {ATHENS}
    assert ids(archive, "concept:PRISON*") == {ATHENS, ATHENS_2, NODIS_ID}
    assert ids(archive, "concept:CAMPS") == set()  # a concept is matched whole
    assert ids(archive, 'person:"KALOUDIS, NICK"') == {ATHENS, ATHENS_2}
    assert ids(archive, 'person:"kaloudis, nick"') == {ATHENS, ATHENS_2}
    assert ids(archive, "person:ambatielos") == {ATHENS, ATHENS_2}  # a word of the name
    assert ids(archive, 'person:"henry kissinger"') == {NODIS_ID}
    assert ids(archive, 'person:"KISSINGER, HENRY A"') == {NODIS_ID}
    assert ids(archive, "current:unclassified") == {ATHENS, ATHENS_2, STATE_73, NODIS_ID}
    assert ids(archive, "current:UNCLASSIFIED -classification:CONFIDENTIAL") == {
        ATHENS,
        STATE_73,
        NODIS_ID,
    }


def test_facet_counts_of_the_new_fields(built: Built) -> None:
    results = search(built.archive, "", facet_size=1000)
    facets = {name: dict(counts) for name, counts in results.facets.items()}
    assert facets["restriction"] == {"NOFORN": 2, "NODIS": 1}
    assert facets["current_classification"] == {"UNCLASSIFIED": 4}
    assert facets["person"] == {
        "AMBATIELOS, ANTHONY": 2,
        "KALOUDIS, NICK": 2,
        "KISSINGER, HENRY A": 1,
    }
    assert facets["concept"]["PRISONERS"] == 2
    assert facets["concept"]["YIAROS"] == 1
    assert facets["concept"]["PRISON CONDITIONS"] == 1
    assert facets["concept"][HOSTILE] == 1
    assert sum(facets["concept"].values()) == 4 + 7 + 2
    # The counts follow the query.
    narrowed = search(built.archive, "person:kaloudis", facet_size=1000)
    assert dict(narrowed.facets["current_classification"]) == {"UNCLASSIFIED": 2}
    assert dict(narrowed.facets["restriction"]) == {}


def test_a_plusd_id_typed_in_search_finds_the_cable(built: Built) -> None:
    for typed in (
        "1974ATHENS02959_b",
        "1974athens02959_b",
        "1974ATHENS02959",
        " 1974ATHENS02959_b ",
    ):
        assert search(built.archive, typed).jump == ATHENS, typed
    assert search(built.archive, "1974ATHENS99999_b").jump is None
    assert search(built.archive, "2009STATE912346_a").jump is None  # private
    assert ids(built.archive, "id:1974ATHENS02959_b") == {ATHENS}
    response = built.client.get("/search", params={"q": "1974ATHENS02959_b"})
    assert response.status_code == 303
    assert response.headers["location"] == "/cable/1974/05/74ATHENS2959.html"
    found = built.client.get("/api/search", params={"q": "1974ATHENS02959_b"}).json()
    assert found["jump"] == ATHENS and [h["id"] for h in found["hits"]] == [ATHENS]


def test_ids_map_to_plusd_and_back() -> None:
    assert from_plusd("1974ATHENS02959_b") == ATHENS
    assert to_plusd(ATHENS, "b") == "1974ATHENS02959_b"
    assert to_plusd(STATE_73, "b") == "1973STATE097844_b"
    assert from_plusd(to_plusd(STATE_73, "b") or "") == STATE_73


# -- the search page and the API -----------------------------------------------------------


def test_search_page_sidebar_has_the_new_facets_and_their_links_narrow(built: Built) -> None:
    page = built.client.get("/search", params={"q": "person:kaloudis"}).text
    for heading in ("Concept", "Person", "Current classification"):
        assert f"<h2>{heading}</h2>" in page
    assert "<h2>Handling restriction</h2>" not in page  # no hit has one: not shown
    links = dict(
        (html.unescape(text), html.unescape(href))
        for href, text in re.findall(r'<li><a href="([^"]+)">([^<]+)</a> \(\d+\)</li>', page)
    )
    href = links["WELFARE & WHEREABOUTS"]
    assert "concept%3A%22WELFARE+%26+WHEREABOUTS%22" in href
    narrowed = built.client.get(href).text
    assert "1 cable found" in narrowed and "/cable/1974/05/74ATHENS2959.html" in narrowed
    narrowed = built.client.get(links["UNCLASSIFIED"]).text
    assert "2 cables found" in narrowed  # person:kaloudis current:UNCLASSIFIED
    # The help above the box names the new filters.
    label = built.client.get("/search").text
    assert "restriction:NODIS" in label and 'concept:"PRISONERS"' in label


def test_api_search_facets_and_filters(built: Built) -> None:
    answer = built.client.get("/api/search", params={"q": 'concept:"PRISONERS"'})
    assert answer.status_code == 200
    found = answer.json()
    assert {h["id"] for h in found["hits"]} == {ATHENS, NODIS_ID}
    assert list(found["facets"]) == [
        "origin",
        "tag",
        "classification",
        "restriction",
        "current_classification",
        "concept",
        "person",
        "year",
        "month",
    ]
    assert found["facets"]["restriction"] == [{"value": "NODIS", "count": 1}]
    assert {"value": "PRISONERS", "count": 2} in found["facets"]["concept"]
    bad = built.client.get("/api/search", params={"q": 'restriction:""'})
    assert bad.status_code == 200 and "ignored restriction: with no value" in bad.json()["notes"]


def test_api_cable_records_carry_the_new_fields(built: Built) -> None:
    athens = built.client.get(f"/api/cables/{ATHENS}").json()["cable"]
    assert athens["classification"] == "LIMITED OFFICIAL USE"
    assert athens["current_classification"] == "UNCLASSIFIED"
    assert athens["restrictions"] == []
    assert athens["concepts"] == [
        "CONCENTRATION CAMPS",
        "PRISONERS",
        "WELFARE & WHEREABOUTS",
        "YIAROS",
    ]
    assert athens["persons"] == ["AMBATIELOS, ANTHONY", "KALOUDIS, NICK"]
    catalog = athens["catalog"]
    assert catalog["plusd_id"] == "1974ATHENS02959_b"
    assert catalog["character_count"] == 1888
    assert catalog["locator"] == "TEXT ON MICROFILM,TEXT ONLINE"
    assert catalog["executive_order"] is None  # "-- N/A or Blank --", present as null
    assert {"tag": "GR", "name": "Greece; Crete"} in catalog["tags"]
    assert {"tag": "KALOUDIS, NICK", "name": None} in catalog["tags"]  # every key present
    assert isinstance(athens["inferred"], list)  # (PlusD's "From" is no post: see below)
    # A Cable Viewer cable: the keys are there, null or empty.
    plain = built.client.get(f"/api/cables/{NOFORN[0]}").json()["cable"]
    assert plain["restrictions"] == ["NOFORN"]
    assert plain["catalog"] is None and plain["current_classification"] is None
    assert plain["concepts"] == [] and plain["persons"] == [] and plain["inferred"] == []
    nodis = built.client.get(f"/api/cables/{NODIS_ID}").json()["cable"]
    assert nodis["restrictions"] == ["NODIS"]
    assert nodis["inferred"][0] == {
        "field": "reference_id",
        "how": "from the classification line STATE 912345 <b>bold</b>",
    }
    assert built.client.get(f"/api/cables/{PRIVATE_ID}").status_code == 404
    # The schema documents them (every field required, as answered).
    schema = built.client.get("/api/openapi.json").json()["components"]["schemas"]
    assert {"restrictions", "concepts", "persons", "catalog", "inferred"} <= set(
        schema["Cable"]["required"]
    )
    assert "plusd_id" in schema["Catalog"]["required"]


# -- cable pages ---------------------------------------------------------------------------


def catalogue_rows(page: str) -> dict[str, str]:
    """Label -> text of each row of a page's catalogue table."""
    block = re.search(r'<table class="cable catalogue">(.*?)</table>', page, re.S)
    if block is None:
        return {}
    rows = re.findall(
        r'<tr><th scope="row">([^<]+)</th><td data-label="([^"]+)">(.*?)</td></tr>',
        block.group(1),
        re.S,
    )
    out = {}
    for label, data_label, cell in rows:
        assert label == data_label  # the phone layout labels each value
        out[html.unescape(label)] = html.unescape(re.sub(r"<[^>]+>", "", cell))
    return out


def test_plusd_cable_page_shows_the_catalogue(built: Built) -> None:
    response = built.client.get("/cable/1974/05/74ATHENS2959.html")
    assert response.status_code == 200
    page = response.text
    rows = catalogue_rows(page)
    assert rows["Classification"] == (
        "Original classification LIMITED OFFICIAL USE, now UNCLASSIFIED"
    )
    assert rows["Concepts"] == "CONCENTRATION CAMPS · PRISONERS · WELFARE & WHEREABOUTS · YIAROS"
    assert rows["Person tags"] == "AMBATIELOS, ANTHONY · KALOUDIS, NICK"
    assert rows["PlusD ID"] == "1974ATHENS02959_b"
    assert rows["Character count"] == "1,888"
    assert rows["Locator"] == "TEXT ON MICROFILM,TEXT ONLINE"
    assert rows["Type"] == "TE"
    assert rows["Office action"] == "ACTION EUR - Bureau of European and Eurasian Affairs"
    assert rows["Archive status"] == "Electronic Telegrams"
    assert rows["From"] == "Greece Athens"
    assert rows["Markings"] == (
        "Declassified/Released US Department of State EO Systematic Review 30 JUN 2005"
    )
    assert rows["To"] == (
        "Australia Canberra · Department of State · Greece Thessaloniki · Secretary of State"
        " · United Kingdom London"
    )
    assert rows["TAGS"] == (
        "AMBATIELOS, ANTHONY (person) · GR (Greece; Crete) · KALOUDIS, NICK (person) · "
        "PINS (Political Affairs--Internal Security)"
    )
    assert "Handling restrictions" not in rows and "Executive order" not in rows
    assert "Catalogue record (PlusD)" in page
    # Links: the PlusD page, the TAGS' listings, searches (served only).
    assert (
        '<a href="https://www.wikileaks.org/plusd/cables/1974ATHENS02959_b.html" '
        'rel="nofollow noopener">1974ATHENS02959_b</a>' in page
    )
    assert '<a href="/tag/GR_0.html" title="Greece; Crete">GR</a>' in page
    assert '<a href="/search?q=concept%3APRISONERS">concept:PRISONERS</a>' in page
    assert (
        '<a href="/search?q=person%3A%22KALOUDIS%2C+NICK%22">person:&#34;KALOUDIS, NICK&#34;</a>'
        in page
    )
    # What the reader inferred (PlusD names no post as the Cable Viewer does: "From: Greece
    # Athens"), the notice under the title says, each with how.
    inferred = built.client.get(f"/api/cables/{ATHENS}").json()["cable"]["inferred"]
    notice = re.search(r'<div class="notice inferred-notice" role="note">(.*?)</div>', page, re.S)
    assert (notice is not None) == bool(inferred)
    for item in inferred:
        assert item["how"] in html.unescape(notice.group(1))  # type: ignore[union-attr]
    plain = built.client.get("/cable/2006/09/06BERN1686.html").text
    assert "inferred-notice" not in plain  # a Cable Viewer page states every field


def test_search_links_of_a_page_find_the_cable(built: Built) -> None:
    page = built.client.get("/cable/1974/05/74ATHENS3099.html").text
    block = re.search(r'<p class="served catalogue-search">(.*?)</p>', page, re.S)
    assert block is not None
    links = re.findall(r'<a href="([^"]+)">', block.group(1))
    assert len(links) == 7 + 2 + 1  # concepts, persons, the current classification
    for href in links:
        found = built.client.get(html.unescape(href)).text
        assert "/cable/1974/05/74ATHENS3099.html" in found, href


def test_cable_viewer_pages_show_their_restrictions(built: Built) -> None:
    page = built.client.get("/cable/2003/09/03KATHMANDU1870.html").text
    assert catalogue_rows(page) == {"Handling restrictions": "NOFORN"}
    assert '<a href="/search?q=restriction%3ANOFORN">restriction:NOFORN</a>' in page
    plain = built.client.get("/cable/2006/09/06BERN1686.html").text
    assert "catalogue" not in plain  # nothing to show: no block


def test_hostile_values_are_escaped_and_inferred_fields_said(built: Built) -> None:
    response = built.client.get("/cable/2009/03/09STATE912345.html")
    assert response.status_code == 200
    page = response.text
    assert "<script>alert" not in page and "<img" not in page and "<i>" not in page
    assert "javascript:" not in page  # an untrusted URL is not a link
    rows = catalogue_rows(page)
    assert rows["Handling restrictions"] == "NODIS"
    assert rows["Concepts"] == f"{HOSTILE} · PRISONERS"
    assert rows["Markings"] == f"<b>{HOSTILE}</b>"
    assert rows["Office origin"] == '"><img src=x onerror=alert(1)>'
    assert rows["PlusD ID"] == "2009STATE912345_a"
    assert rows["Classification"] == "Original classification SECRET, now UNCLASSIFIED"
    assert "KISSINGER, HENRY A (person)" in rows["TAGS"]
    notice = re.search(r'<div class="notice inferred-notice" role="note">(.*?)</div>', page, re.S)
    assert notice is not None
    text = html.unescape(re.sub(r"<[^>]+>", "", notice.group(1)))
    assert "Reference ID and origin were not stated by the source" in text
    assert "Reference ID: from the classification line STATE 912345 <b>bold</b>" in text
    assert "Origin: from the FM line" in text
    assert "&lt;b&gt;bold&lt;/b&gt;" in notice.group(1)


def test_static_pages_have_the_same_rows_without_search_links(built: Built, tmp_path: Path) -> None:
    out = tmp_path / "www"
    report = build_site(built.db, out, jobs=1)
    assert report.errors == []
    served_only = re.compile(r'<(form|p|section) class="[^"]*\bserved\b[^"]*".*?</\1>\n', re.S)
    # The mirror's own search form (to its static search page) is the static pages' only extra.
    static_only = re.compile(
        r'<form class="[^"]*\bstatic\b[^"]*" [^>]*"/search.html".*?</form>\n', re.S
    )
    for path in (
        "/cable/1974/05/74ATHENS2959.html",
        "/cable/2003/09/03KATHMANDU1870.html",
        "/cable/2009/03/09STATE912345.html",
    ):
        static = (out / file_path(path)).read_text("utf-8")
        served = built.client.get(path).text
        assert catalogue_rows(static) == catalogue_rows(served) != {}
        assert "/search?" not in static  # no link to the served search (a mirror has its own)
        served_bytes = built.client.get(path).content
        static_bytes = (out / file_path(path)).read_bytes()
        assert served_only.sub("", served_bytes.decode()) == static_only.sub(
            "", static_bytes.decode()
        ), path
    assert not (out / "plusd").exists()


# -- PlusD's URLs --------------------------------------------------------------------------


def test_plusd_urls_redirect_to_the_cable(built: Built) -> None:
    for name, want in (
        ("1974ATHENS02959_b", "/cable/1974/05/74ATHENS2959.html"),
        ("1973STATE097844_b", "/cable/1973/05/73STATE97844.html"),
        ("1974ATHENS03099_b", "/cable/1974/05/74ATHENS3099.html"),
        ("03KATHMANDU1870_a", "/cable/2003/09/03KATHMANDU1870.html"),
    ):
        response = built.client.get(f"/plusd/cables/{name}.html")
        assert response.status_code == 301, name
        assert response.headers["location"] == want
        assert built.client.get(want).status_code == 200


@pytest.mark.parametrize(
    "name",
    [
        "1974ATHENS99999_b",  # not in the archive
        "2009STATE912346_a",  # private
        "junk",
        "%00",
        "%FF%FE",
        "..%2F..%2Fetc%2Fpasswd",
        "x" * 5000,
        "1974" * 300,
        "ÄÖÜ_ß",
        "1974ATHENS02959_b.html",
        "%3Cscript%3E",
        "19",
        "_b",
    ],
)
def test_plusd_urls_of_no_public_cable_are_404(built: Built, name: str) -> None:
    response = built.client.get(f"/plusd/cables/{name}.html")
    assert response.status_code == 404, name
    assert "<script>" not in response.text


def test_plusd_url_paths_never_500(built: Built) -> None:
    for path in ("/plusd/cables/.html", "/plusd/cables/a/b.html", "/plusd/cables/", "/plusd/"):
        assert built.client.get(path).status_code == 404, path


# -- an index of the format before these fields --------------------------------------------


def _old_schema() -> tantivy.Schema:
    """The index schema of format 1 (before restrictions, concepts and person tags)."""
    b = tantivy.SchemaBuilder()
    b.add_text_field("doctype", tokenizer_name="raw", index_option="basic")
    b.add_unsigned_field("row", indexed=True, fast=True)
    b.add_text_field("id", tokenizer_name="raw", index_option="basic")
    for name in ("subject", "body"):
        b.add_text_field(name, tokenizer_name=indexes.STEM, index_option="freq")
        b.add_text_field(f"{name}_exact", tokenizer_name=indexes.EXACT, index_option="position")
    for name in ("sender", "recipients", "origin_words"):
        b.add_text_field(name, tokenizer_name=indexes.EXACT, index_option="position")
    for name in ("tag", "origin", "classification", "year", "month"):
        b.add_text_field(name, tokenizer_name="raw", fast=True, index_option="basic")
    for name in ("origin_key", "classification_key"):
        b.add_text_field(name, tokenizer_name=indexes.LOWER, index_option="basic")
    b.add_text_field("ref", tokenizer_name="raw", index_option="basic")
    for name in ("created", "released"):
        b.add_date_field(name, indexed=True, fast=True)
    b.add_integer_field("newest", fast=True)
    b.add_integer_field("oldest", fast=True)
    b.add_text_field("state", stored=True, tokenizer_name="raw", index_option="basic")
    return b.build()


def test_an_index_of_the_old_format_is_rebuilt(built: Built) -> None:
    """An index made before these fields (format 1, current with the archive) is rebuilt
    by itself, and the new filters then work."""
    assert indexes.FORMAT == 2
    archive = built.archive
    path = indexes.default_path(archive)
    indexes.forget()
    for stale in (path, *path.parent.glob(f"{path.name}.*")):
        if stale.is_dir():
            shutil.rmtree(stale)
    path.mkdir(parents=True)
    old = tantivy.Index(_old_schema(), str(path))
    for name, analyzer in indexes.ANALYZERS.items():
        old.register_tokenizer(name, analyzer)
    writer = old.writer(15_000_000, 1)
    identity, last = archive.index_identity()
    for row, data in archive.current_data(
        [r for batch in archive.all_current_data() for r, _ in batch]
    ):
        doc = indexes.document(row, decode_cable(data))
        for name in ("restriction", "concept", "person", "current_classification", "person_words"):
            doc.pop(name, None)
            doc.pop(f"{name}_key", None)
        writer.add_json(indexes._json.encode(doc).decode())
    indexes._put_state(writer, indexes.IndexState(identity, last, 1))
    writer.commit()
    writer.wait_merging_threads()
    del writer, old
    assert indexes.ready(archive) is None  # of another format: not used as it is
    assert ids(archive, "restriction:NODIS") == {NODIS_ID}
    opened = indexes.for_archive(archive)
    assert opened.state is not None and opened.state.format == indexes.FORMAT
    assert ids(archive, 'concept:"PRISONERS"') == {ATHENS, NODIS_ID}
