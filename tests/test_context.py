"""Context around a cable, on real cable pages: references and citing cables with their
subjects, dates, origins and classifications; press articles with their outlets; related
cables (shared TAGS and references, similar words), with or without the search index; and
nothing that is not public showing through any of them.

The expected values were read from the cables' pages in ../shared/corpus
(cablegate-site.tar.xz), not from the code.
"""

from __future__ import annotations

import html
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from cablegate.archive import Archive
from cablegate.archive.store import PRIVATE, utc_now
from cablegate.articles import ArticleLinks, host, import_articles, outlet_name, shown
from cablegate.ingest import ingest
from cablegate.search import index as indexes
from cablegate.search.engine import similar
from cablegate.site.pages import Site
from cablegate.writers import write_text_export
from tests.conftest import NewDb, iter_tar_html, requires_corpus

pytestmark = requires_corpus

PUBLIC = ("06BERN1686", "06BERN1553", "06BERN1280", "07BERN130", "05TELAVIV1593")
"""06BERN1686 cites BERN 1593 and BERN 1553; 06BERN1280 and 07BERN130 (both on Larijani
and Calmy-Rey) share the TAGS KNNP PARM ETTC SZ; 05TELAVIV1593's page links words."""
PRIVATE_ID = "06BERN1593"
"""Cited by 06BERN1686, tagged SZ like the others: kept private."""
PRIVATE_SUBJECT = "CALMY-REY EMPHASIZES IMPORTANCE"

SUBJECT_1553 = (
    "FM CALMY-REY LASHES OUT AT THE UNITED STATES, EU AND UN; PUSHES ENVELOPE ON SWISS "
    '"ACTIVE NEUTRALITY"'
)
"""06BERN1553: created 2006-08-23 08:08, CONFIDENTIAL, Embassy Bern."""


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The cable pages these tests use, as files."""
    folder = tmp_path_factory.mktemp("pages")
    wanted = {*PUBLIC, PRIVATE_ID}
    found: dict[str, Path] = {}
    for name, data in iter_tar_html("cablegate-site.tar.xz"):
        cid = Path(name).stem
        if cid in wanted:
            (folder / cid).mkdir()
            path = folder / cid / Path(name).name
            path.write_bytes(data)
            found[cid] = path
            if len(found) == len(wanted):
                break
    assert set(found) == wanted
    return found


@dataclass
class Small:
    db: str
    archive: Archive
    site: Site


@pytest.fixture
def small(pages: dict[str, Path], new_db: NewDb) -> Small:
    db = new_db("context")
    archive = Archive.open(db)
    ingest(archive, [pages[cid] for cid in PUBLIC], jobs=1)
    ingest(archive, [pages[PRIVATE_ID]], jobs=1, visibility=PRIVATE)
    indexes.for_archive(archive)  # the search index, as a server has it
    try:
        yield Small(db, archive, Site(archive, base_url="https://cables.example.org"))
    finally:
        indexes.forget()
        archive.close()


def section(page: str, title: str) -> str:
    """The list under one ``<h2>`` of a cable page ('' if there is none)."""
    match = re.search(rf"<h2[^>]*>{re.escape(title)}</h2>\s*<ul[^>]*>(.*?)</ul>", page, re.S)
    return match.group(1) if match else ""


def items(part: str) -> list[str]:
    """The text of each ``<li>``, tags removed, entities decoded."""
    return [html.unescape(re.sub(r"<[^>]+>", "", li)) for li in re.findall(r"<li>(.*?)</li>", part)]


def test_references_show_subject_date_origin_and_classification(small: Small) -> None:
    page = small.site.cable("06BERN1686").html
    refs = items(section(page, "References"))
    assert refs == [
        "06BERN1593 (not in this archive)",  # private: only its ID, as the cable gives it
        f"06BERN1553: {SUBJECT_1553} (2006-08-23, Embassy Bern, CONFIDENTIAL)",
    ]
    assert 'href="/cable/2006/08/06BERN1553.html"' in section(page, "References")
    assert PRIVATE_SUBJECT not in page
    assert "/06BERN1593.html" not in page


def test_cited_by_shows_the_citing_cable(small: Small) -> None:
    page = small.site.cable("06BERN1553").html
    (entry,) = items(section(page, "Cited by"))
    # 06BERN1686's page: created 2006-09-14 07:07, CONFIDENTIAL, Embassy Bern; its SUBJECT
    # line runs over two lines of the telegram.
    want = "06BERN1686: SWISS DFA DEPUTY POLDIR ON IRAN, UNHRC, AND BILATERAL RELATIONS"
    assert entry == f"{want} (2006-09-14, Embassy Bern, CONFIDENTIAL)"


def test_listed_ids_is_public_only(small: Small) -> None:
    rows = small.archive.listed_ids(["06BERN1553", PRIVATE_ID, "99NOWHERE1"])
    assert set(rows) == {"06BERN1553"}
    assert rows["06BERN1553"].subject == SUBJECT_1553
    assert rows["06BERN1553"].origin == "Embassy Bern"


def test_related_cables_share_tags_and_words(small: Small) -> None:
    page = small.site.cable("06BERN1280").html
    related = items(section(page, "Related cables"))
    first = next(r for r in related if r.startswith("07BERN130:"))
    assert "IRAN: SWISS FM CALMY-REY MEETS WITH LARIJANI" in first
    assert "tags ETTC, KNNP, PARM, PREL, SZ" in first  # the tags both have (not IR)
    assert "similar words" in first
    assert related.index(first) == 0
    assert not any(r.startswith("06BERN1280") for r in related)  # not itself


def test_similar_words_are_the_same_at_every_request_even_after_deletions(
    small: Small, tmp_path: Path
) -> None:
    """The same cable and index give the same related cables every time (a page is the
    same bytes at every request), also once the index holds deleted documents: a new version
    replaces a cable's document (Tantivy's own more-like-this panicked on such an index)."""
    cable = small.archive.cable("07BERN130")
    assert cable is not None
    edited = tmp_path / "edited.txt"
    edited.write_text(write_text_export(cable) + "\nA LINE ADDED LATER.\n", "utf-8")
    assert ingest(small.archive, [edited], jobs=1).versions == 1
    indexes.for_archive(small.archive)  # caught up: the old document is deleted
    for cid in PUBLIC:
        cable = small.archive.cable(cid)
        assert cable is not None
        runs = {
            tuple(h.canonical_id for h in similar(small.archive, cable) or []) for _ in range(5)
        }
        assert len(runs) == 1, cid
        assert cid not in next(iter(runs))
    pages = {small.site.cable("06BERN1280").html for _ in range(3)}
    assert len(pages) == 1


def test_nothing_private_is_related(small: Small) -> None:
    for cid in PUBLIC:
        page = small.site.cable(cid).html
        assert PRIVATE_ID not in section(page, "Related cables"), cid
        assert PRIVATE_SUBJECT not in page, cid
        for n in small.archive.neighbours(cid):
            assert n.canonical_id != PRIVATE_ID
        hits = similar(small.archive, small.archive.cable(cid)) or []
        assert PRIVATE_ID not in [h.canonical_id for h in hits]


def test_a_withdrawn_cable_leaves_the_related_lists_even_of_a_stale_index(small: Small) -> None:
    before = [h.canonical_id for h in similar(small.archive, small.archive.cable("06BERN1280"))]
    assert "07BERN130" in before
    # Withdrawn in the database alone (as by another process): the index still has it.
    with small.archive.transaction():
        small.archive.writer(utc_now()).withdraw("07BERN130", None, "test")
    # The index has not caught up; what it finds is read back from the public tables.
    after = similar(small.archive, small.archive.cable("06BERN1280")) or []
    assert "07BERN130" not in [h.canonical_id for h in after]
    assert "07BERN130" not in small.site.cable("06BERN1280").html


def test_related_cables_without_a_search_index(small: Small, tmp_path: Path, monkeypatch) -> None:
    """No index yet (or another archive's): the page does not wait for one to be built and
    lists the cables that share tags and references."""
    indexes.forget()
    monkeypatch.setenv(indexes.ENV_VAR, str(tmp_path / "none.index"))
    assert indexes.ready(small.archive) is None
    assert similar(small.archive, small.archive.cable("06BERN1280")) is None
    related = items(section(small.site.cable("06BERN1280").html, "Related cables"))
    assert related and related[0].startswith("07BERN130:")
    assert "similar words" not in " ".join(related)
    assert not (tmp_path / "none.index").exists()  # nothing was built for the page


def test_related_cables_while_the_index_is_rebuilt(small: Small) -> None:
    """A rebuild writes a new folder beside the index and swaps it in when done: meanwhile
    the old one serves; a folder that is not an index is passed over."""
    path = indexes.default_path(small.archive)
    indexes.forget()
    assert indexes.ready(small.archive) is not None
    indexes.forget()
    shutil.rmtree(path)
    path.mkdir()  # half made
    assert indexes.ready(small.archive) is None
    assert small.site.cable("06BERN1280").status == 200


def test_articles_name_their_outlet(small: Small) -> None:
    page = small.site.cable("06BERN1553").html
    assert re.search(r">www\.letemps\.ch/swiss_papers</a> \(Le Temps\)", page)
    # The original made a link of each word of a line: kept, with no outlet made up.
    telaviv = small.site.cable("05TELAVIV1593").html
    assert '<li><a href="http://Yedioth" rel="nofollow noopener">Yedioth</a></li>' in telaviv


def test_articles_page_groups_by_outlet(small: Small) -> None:
    story = ArticleLinks(
        "https://www.guardian.co.uk/world/2010/dec/03/wikileaks-swiss",
        "Swiss minister & the <Iran> talks",
        None,
        None,
        ("06BERN1280", PRIVATE_ID),
    )
    import_articles(small.archive, [story], who="test")
    page = small.site.page("/articles.html").html
    headings = [html.unescape(h) for h in re.findall(r'<h2 id="outlet-\d+">(.*?)</h2>', page)]
    assert headings == ["Le Temps", "The Guardian", "Other links"]
    guardian = page[page.index(">The Guardian</h2>") :]
    guardian = guardian[: guardian.index("</ul>")]
    assert "Swiss minister &amp; the &lt;Iran&gt; talks" in guardian
    assert "(2010-12-03)" in guardian  # the date in its address
    assert 'href="/cable/2006/07/06BERN1280.html"' in guardian
    assert PRIVATE_ID not in page


@pytest.mark.parametrize(
    ("url", "outlet"),
    [
        ("http://www.guardian.co.uk/world/cables", "The Guardian"),
        ("https://www.nytimes.com/2010/11/29/world/29cables.html", "The New York Times"),
        ("http://elpais.com/internacional/x.html", "El País"),
        ("http://www.spiegel.de/politik/ausland/0,1518,731580,00.html", "Der Spiegel"),
        ("http://www.lemonde.fr/documents-wikileaks/", "Le Monde"),
        ("http://www.aftenposten.no/spesial/wikileaksdokumenter/", "Aftenposten"),
        ("http://www.thehindu.com/news/the-india-cables/article1592023.ece", "The Hindu"),
        ("http://content1c.omroep.nl/26/4d3448e8/nos/docs/wikileaks/09THEHAGUE514.pdf", "NOS"),
        ("http://wikileaks.jornada.com.mx/notas/x", "La Jornada"),
        ("http://www.example-paper.co.uk:8080/story", "example-paper.co.uk"),
        ("http://Yedioth", None),
        ("javascript:alert(1)", None),
    ],
)
def test_outlet_names(url: str, outlet: str | None) -> None:
    assert outlet_name(url) == outlet


def test_article_titles_that_are_only_the_address_are_no_titles() -> None:
    found = shown("http://www.letemps.ch/swiss_papers", "www.letemps.ch/swiss_papers", None, None)
    assert found.title is None
    assert found.label == "www.letemps.ch/swiss_papers"
    assert found.outlet == "Le Temps"
    assert host("HTTP://WWW.Example.ORG./x") == "example.org"
    dated = shown("http://rusrep.ru/article/2011/02/02/karimov/", None, None, None)
    assert dated.published == "2011-02-02"
    assert shown("http://x.org/2011/02/31/", None, None, None).published is None
