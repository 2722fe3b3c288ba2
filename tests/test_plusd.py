"""PlusD pages (WikiLeaks' Public Library of US Diplomacy): every field of the corpus's three
1973-74 cables, read off the pages by hand; detection by content; ingest into an archive."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from msgspec.structs import replace

from cablegate.archive import Archive
from cablegate.errors import ReadError
from cablegate.ingest import ingest
from cablegate.model import Cable, Catalog, Inferred, TagName
from cablegate.parse import parse_cable, parse_person_tags, parse_tags
from cablegate.parse.ids import canonical_id, from_plusd, to_plusd
from cablegate.readers import plusd, read_bytes, site
from cablegate.readers.collect import Skipped, detect_format
from cablegate.readers.plusd import read_plusd_page
from tests.conftest import CORPUS, iter_tar_html, requires_corpus

pytestmark = requires_corpus
PLUSD = CORPUS / "plusd"
UTC = dt.UTC

TO_ATHENS = [  # the "To" field of both Athens cables, as the page lists it
    "Australia Canberra",
    "Department of State",
    "Greece Thessaloniki",
    "Secretary of State",
    "United Kingdom London",
]
ATHENS_TAGS = [
    TagName("AMBATIELOS, ANTHONY"),
    TagName("GR", "Greece; Crete"),
    TagName("KALOUDIS, NICK"),
    TagName("PINS", "Political Affairs--Internal Security"),
]
FROM_ATHENS = Inferred(
    "origin",
    "the post of the telegram's FM line (AMEMBASSY ATHENS), named as the release names it",
)
MARKINGS = "Declassified/Released US Department of State EO Systematic Review 30 JUN 2005"

# Every value below was read off the pages (the metadata block and the telegram), not
# printed from the reader.
EXPECTED: dict[str, dict[str, Any]] = {
    "1973STATE097844.html": {
        "reference_id": "1973STATE097844_b",
        "canonical_id": "73STATE97844",
        "created": dt.datetime(1973, 5, 22, 18, 28, tzinfo=UTC),
        "created_precision": "minute",
        "classification": "LIMITED OFFICIAL USE",
        "current_classification": "UNCLASSIFIED",
        "restrictions": [],
        "concepts": [],
        "persons": [],
        "tags": ["SPOP", "IT"],  # the telegram's order ("TAGS:   SPOP  IT")
        "subject": "INFORMATION TO FORMER SENATOR TYDINGS",
        "origin": "Secretary of State",  # FM SECSTATE WASHDC
        "inferred": [
            Inferred(
                "origin",
                "the post of the telegram's FM line (SECSTATE WASHDC), named as the release "
                "names it",
            )
        ],
        "references": [],
        "signers": ["PORTER"],
        "paragraphs": 3,
        "classification_line": "LIMITED OFFICIAL USE STATE 097844",
        "sender": "SECSTATE WASHDC",
        "to": ["AMEMBASSY LUXEMBOURG"],
        "info": ["AMEMBASSY ROME"],
        "first_paragraph": "PLEASE INFORM TYDINGS HOTEL KONS AMBASSADOR VOLPE",
        "catalog": Catalog(
            plusd_id="1973STATE097844_b",
            url="https://www.wikileaks.org/plusd/cables/1973STATE097844_b.html",
            title="INFORMATION TO FORMER SENATOR TYDINGS",
            original_classification="LIMITED OFFICIAL USE",
            current_classification="UNCLASSIFIED",
            handling_restrictions=[],
            character_count=943,
            executive_order=None,
            locator="TEXT ONLINE",
            tags=[TagName("IT", "Italy"), TagName("SPOP", "Social Affairs--Population")],
            concepts=[],
            enclosure=None,
            type="TE",
            office_origin="ORIGIN SP - Policy Planning Council",
            office_action=None,
            archive_status="Electronic Telegrams",
            sent_from="Department of State",
            sent_to=["Italy Rome", "Luxembourg Luxembourg"],
            markings=MARKINGS,
            references=[],
        ),
    },
    "1974ATHENS02959.html": {
        "reference_id": "1974ATHENS02959_b",
        "canonical_id": "74ATHENS2959",
        "created": dt.datetime(1974, 5, 17, 16, 0, tzinfo=UTC),
        "created_precision": "minute",
        "classification": "LIMITED OFFICIAL USE",
        "current_classification": "UNCLASSIFIED",
        "restrictions": [],
        "concepts": ["CONCENTRATION CAMPS", "PRISONERS", "WELFARE & WHEREABOUTS", "YIAROS"],
        "persons": ["AMBATIELOS, ANTHONY", "KALOUDIS, NICK"],
        "tags": ["PINS", "GR"],
        "subject": "ARRESTS OF KALOUDIS AND AMBATIELOS",
        "origin": "Embassy Athens",  # FM AMEMBASSY ATHENS
        "inferred": [FROM_ATHENS],
        "references": [(None, "74STATE97844")],  # REF: STATE -097844
        "signers": ["TASCA"],
        "paragraphs": 2,
        "classification_line": "LIMITED OFFICIAL USE ATHENS 2959",
        "sender": "AMEMBASSY ATHENS",
        "to": ["SECSTATE WASHDC"],
        "info": ["AMEMBASSY LONDON", "AMEMBASSY CANBERRA", "AMCONSUL THESSALONIKI"],
        "first_paragraph": "INQUIRIES MADE BY APPROPRIATE SECTION OF EMBASSY ON",
        "catalog": Catalog(
            plusd_id="1974ATHENS02959_b",
            url="https://www.wikileaks.org/plusd/cables/1974ATHENS02959_b.html",
            title="ARRESTS OF KALOUDIS AND AMBATIELOS",
            original_classification="LIMITED OFFICIAL USE",
            current_classification="UNCLASSIFIED",
            handling_restrictions=[],
            character_count=1888,
            executive_order=None,
            locator="TEXT ON MICROFILM,TEXT ONLINE",
            tags=ATHENS_TAGS,
            concepts=["CONCENTRATION CAMPS", "PRISONERS", "WELFARE & WHEREABOUTS", "YIAROS"],
            enclosure=None,
            type="TE",
            office_origin=None,
            office_action="ACTION EUR - Bureau of European and Eurasian Affairs",
            archive_status="Electronic Telegrams",
            sent_from="Greece Athens",
            sent_to=TO_ATHENS,
            markings=MARKINGS,
            references=["1974STATE097844", "1973STATE097844"],
        ),
    },
    "1974ATHENS03099.html": {
        "reference_id": "1974ATHENS03099_b",
        "canonical_id": "74ATHENS3099",
        "created": dt.datetime(1974, 5, 23, 15, 15, tzinfo=UTC),
        "created_precision": "minute",
        "classification": "CONFIDENTIAL",
        "current_classification": "UNCLASSIFIED",
        "restrictions": [],
        "concepts": [
            "ARRESTS",
            "COMMUNISTS",
            "DATA",
            "DETENTION",
            "INTERROGATION",
            "MEDICAL CARE",
            "PRISON CONDITIONS",
        ],
        "persons": ["AMBATIELOS, ANTHONY", "KALOUDIS, NICK"],
        "tags": ["PINS", "GR"],
        "subject": "ARRESTS OF KALOUDIS AND AMBATIELOS",
        "origin": "Embassy Athens",
        "inferred": [FROM_ATHENS],
        # REF: A. STATE 97844 (in the hidden headers) / B. ATHENS 2959 (in the text)
        "references": [("A", "74STATE97844"), ("B", "74ATHENS2959")],
        "signers": ["TASCA"],
        "paragraphs": 2,
        "classification_line": "C O N F I D E N T I A L ATHENS 3099",
        "sender": "AMEMBASSY ATHENS",
        "to": ["SECSTATE WASHDC"],
        "info": ["AMEMBASSY CANBERRA", "AMEMBASSY LONDON", "AMCONSUL THESSALONIKI"],
        "first_paragraph": "EMBASSY RECEIVED INFORMATION PARA TWO ON STATUS OF NICHOLAS",
        "catalog": Catalog(
            plusd_id="1974ATHENS03099_b",
            url="https://www.wikileaks.org/plusd/cables/1974ATHENS03099_b.html",
            title="ARRESTS OF KALOUDIS AND AMBATIELOS",
            original_classification="CONFIDENTIAL",
            current_classification="UNCLASSIFIED",
            handling_restrictions=[],
            character_count=1859,
            executive_order="GS",
            locator="TEXT ON MICROFILM,TEXT ONLINE",
            tags=ATHENS_TAGS,
            concepts=[
                "ARRESTS",
                "COMMUNISTS",
                "DATA",
                "DETENTION",
                "INTERROGATION",
                "MEDICAL CARE",
                "PRISON CONDITIONS",
            ],
            enclosure=None,
            type="TE",
            office_origin=None,
            office_action="ACTION EUR - Bureau of European and Eurasian Affairs",
            archive_status="Electronic Telegrams",
            sent_from="Greece Athens",
            sent_to=TO_ATHENS,
            markings=MARKINGS,
            references=["1974STATE097844", "1973STATE097844"],
        ),
    },
}
DTG = {
    "1974ATHENS02959.html": ("R", "171600Z MAY 74"),
    "1974ATHENS03099.html": ("R", "231515Z MAY 74"),
}


def read(name: str) -> Cable:
    return read_plusd_page((PLUSD / name).read_bytes(), str(PLUSD / name))


def check(cable: Cable, want: dict[str, Any]) -> None:
    for field in (
        "reference_id",
        "canonical_id",
        "created",
        "created_precision",
        "classification",
        "current_classification",
        "restrictions",
        "concepts",
        "persons",
        "tags",
        "subject",
        "origin",
        "inferred",
        "signers",
        "classification_line",
        "catalog",
    ):
        assert getattr(cable, field) == want[field], field
    assert [(r.label, r.value) for r in cable.references] == want["references"]
    assert all(r.kind == "cable" for r in cable.references)
    assert len(cable.paragraphs) == want["paragraphs"]
    assert [p.number for p in cable.paragraphs] == list(range(1, want["paragraphs"] + 1))
    assert cable.paragraphs[0].text.split("\n")[0] == want["first_paragraph"]
    sent = cable.transmission
    assert sent.sender is not None and sent.sender.name == want["sender"]
    assert [r.name for r in sent.to] == want["to"]
    assert [r.name for r in sent.info] == want["info"]
    assert cable.partial is False and cable.warnings == [] and cable.redactions == 0


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_field_of_the_plusd_cables(name: str) -> None:
    cable = read(name)
    check(cable, EXPECTED[name])
    assert cable.provenance is not None and cable.provenance.format == "plusd-html"
    assert cable.provenance.path == str(PLUSD / name)
    if name in DTG:
        assert (cable.transmission.precedence, cable.transmission.dtg) == DTG[name]
        assert cable.transmission.dtg_datetime == cable.created  # the DTG agrees with Date


def test_the_telegram_is_kept_as_plusd_shows_it() -> None:
    cable = read("1974ATHENS02959.html")
    # The hidden headers: banner, PAGE 01 line, offices, DTG, FM/TO/INFO.
    assert cable.header.startswith("LIMITED OFFICIAL USE\n\nPAGE 01  ATHENS 02959  171944Z\n")
    assert "ACTION EUR-25" in cable.header and "FM AMEMBASSY ATHENS" in cable.header
    assert cable.body.startswith("LIMITED OFFICIAL USE ATHENS 2959\n\nE.O. 11652: N/A\n")
    # The page break inside paragraph 2 stays in the text ...
    assert "LIMITED OFFICIAL USE\n\nPAGE 02  ATHENS 02959  171944Z" in cable.body
    assert cable.body.rstrip().endswith("NNN")
    # ... but not in the paragraph read from it, which runs on over the break.
    second = cable.paragraphs[1].text
    assert "PAGE 02" not in second and "LIMITED OFFICIAL USE" not in second
    assert "BECAUSE OF THEIR\nACKNOWLEDGED COMMUNIST PARTY AFFILIATIONS" in second
    assert second.endswith("PRIOR TRADE UNION ACTIVITY.")
    assert '"DEVOTION\nTO INTERNATIONAL LABOR CONVENTION"' in second  # &quot; decoded


def test_plusd_notes_after_the_closing_banner_are_not_a_signer() -> None:
    """1973STATE097844 ends ``PORTER`` / ``LIMITED OFFICIAL USE`` / ``NMAFVVZCZ`` / PlusD's
    ``*** Current Classification ***`` lines: the signer is PORTER."""
    cable = read("1973STATE097844.html")
    assert "NMAFVVZCZ" in cable.body and "*** Current Handling Restrictions ***" in cable.body
    assert cable.signers == ["PORTER"]
    assert cable.paragraphs[2].text.startswith("IF UNREACHABLE HOTEL HE HAS ELEVEN A. M.")


@pytest.mark.parametrize(
    ("plusd_id", "canonical"),
    [
        ("1973STATE097844_b", "73STATE97844"),
        ("1974ATHENS02959_b", "74ATHENS2959"),
        ("1974ATHENS03099_b", "74ATHENS3099"),
    ],
)
def test_plusd_ids_map_to_canonical_and_back(plusd_id: str, canonical: str) -> None:
    assert from_plusd(plusd_id) == canonical
    assert canonical_id(plusd_id) == canonical
    assert to_plusd(canonical, "b") == plusd_id


def test_the_references_of_the_athens_cables_name_each_other() -> None:
    """ATHENS 3099 cites ATHENS 2959 (REF B): the canonical ID of the reference is the
    canonical ID the other page gives."""
    cited = {r.label: r.value for r in read("1974ATHENS03099.html").references}
    assert cited["B"] == read("1974ATHENS02959.html").canonical_id


# ---------------------------------------------------------------------------------------------
# Detection by content


def page(name: str = "1974ATHENS02959.html") -> bytes:
    return (PLUSD / name).read_bytes()


def viewer_page() -> bytes:
    return next(iter_tar_html("cablegate-site.tar.xz"))[1]


@pytest.mark.parametrize("name", ["ATHENS.txt", "cable", "x.csv", "page.html"])
def test_a_plusd_page_is_read_whatever_its_name(name: str) -> None:
    assert detect_format(page()[:8192], name) == "plusd-html"
    (cable,) = read_bytes(page(), name)
    assert isinstance(cable, Cable)
    assert cable.reference_id == "1974ATHENS02959_b" and cable.provenance is not None
    assert cable.provenance.path == name


def test_a_cable_viewer_page_is_not_taken_for_plusd_nor_plusd_for_it() -> None:
    viewer = viewer_page()
    assert not plusd.looks_like(viewer[:8192].decode("utf-8", "replace"))
    assert detect_format(viewer[:8192], "x.html") == "site-html"
    head = page()[:8192].decode()
    assert not site.looks_like(head)
    assert plusd.looks_like(head)


def test_a_plusd_page_that_is_not_a_cable_page_is_not_claimed() -> None:
    """A PlusD search or browse page (same scripts and menus, another title, no cable)."""
    text = page().decode()
    start, end = text.index('<div class="sections">'), text.index("</body>")
    browse = (
        text[:start].replace("<title>Cable: 1974ATHENS02959_b</title>", "<title>PlusD</title>")
        + text[end:]
    )
    data = browse.encode()
    assert not plusd.looks_like(browse[:8192])
    assert detect_format(data[:8192], "search.html") is None
    (item,) = read_bytes(data, "search.html")
    assert isinstance(item, Skipped)


def test_a_truncated_plusd_page_is_an_error_that_says_so() -> None:
    data = page()
    before_block = data[: data.index(b'<table id="synopsis">')]
    (item,) = read_bytes(before_block, "cut.html")
    assert isinstance(item, ReadError)
    assert item.reason.startswith("truncated PlusD page: no metadata block")
    before_text = data[: data.index(b'<div class="pane-tab"><div class="pane-header">Content')]
    (item,) = read_bytes(before_text, "cut.html")
    assert isinstance(item, ReadError)
    assert item.reason == "truncated PlusD page: no telegram text on the PlusD cable page"


def test_a_plusd_page_cut_inside_the_text_is_read_as_partial() -> None:
    data = page()
    cut = data[: data.index(b"PRIOR TRADE UNION ACTIVITY.")]
    (cable,) = read_bytes(cut, "cut.html")
    assert isinstance(cable, Cable)
    assert cable.partial and cable.warnings and "truncated" in cable.warnings[0]
    assert cable.reference_id == "1974ATHENS02959_b"


def test_a_complete_plusd_page_without_its_block_is_an_error() -> None:
    text = page().decode()
    start = text.index('<table id="synopsis">')
    end = text.index("</table>", start) + len("</table>")
    with pytest.raises(ReadError, match=r"x\.html: no metadata block"):
        read_plusd_page((text[:start] + text[end:]).encode(), "x.html")


def test_a_plusd_page_with_a_bad_date_or_id_is_an_error() -> None:
    text = page().decode()
    bad_date = text.replace(">1974 May 17, 16:00 (Friday)<", ">1974 Maz 17, 16:00<")
    with pytest.raises(ReadError, match="PlusD Date '1974 Maz 17, 16:00' is not a date"):
        read_plusd_page(bad_date.encode(), "x.html")
    bad_id = text.replace(">1974ATHENS02959_b</div>", "></div>")
    with pytest.raises(ReadError, match="no valid Canonical ID"):
        read_plusd_page(bad_id.encode(), "x.html")


def test_plusd_handling_restrictions_and_a_day_only_date() -> None:
    text = page().decode()
    restricted = text.replace(
        '<div class="s_val" title="-- N/A or Blank -- (1953252 documents)">-- N/A or Blank --',
        '<div class="s_val">EXDIS | ONLY',
    ).replace(">1974 May 17, 16:00 (Friday)<", ">1974 May 17<")
    cable = read_plusd_page(restricted.encode(), "x.html")
    assert cable.catalog is not None and cable.catalog.handling_restrictions == ["EXDIS", "ONLY"]
    assert cable.restrictions == ["EXDIS", "EYES ONLY"]  # PlusD's ONLY is EYES ONLY
    assert cable.created == dt.datetime(1974, 5, 17, tzinfo=UTC)
    assert cable.created_precision == "day"


# ---------------------------------------------------------------------------------------------
# Into an archive


def test_ingesting_the_plusd_folder(tmp_path: Path) -> None:
    db = tmp_path / "plusd.db"
    with Archive.open(db) as archive:
        report = ingest(archive, [PLUSD], jobs=1)
        assert report.balanced and (report.new, report.quarantined, report.skipped) == (3, 0, 0)
    with Archive.open(db, read_only=True) as archive:
        for name, want in EXPECTED.items():
            stored = archive.cable(want["canonical_id"])
            assert stored is not None, name
            check(stored, want)
            assert stored.released_at_ingest  # PlusD gives no release date
            assert replace(stored, released=None, released_at_ingest=False) == read(name)
        origins = dict(archive.browse("origin"))
        assert origins["Embassy Athens"] == 2 and origins["Secretary of State"] == 1


# ---------------------------------------------------------------------------------------------
# Person tags of a telegram's TAGS line


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("TAGS: APEC ECON OPDC BX OVIP (CLINTON, WILLIAM J.)", ["CLINTON, WILLIAM J."]),
        ("TAGS: OVIP (KISSINGER, HENRY A)", ["KISSINGER, HENRY A"]),
        # 09STATE30049 (a Cable Viewer page), "TAGS" with no colon, run on to a next line.
        (
            "TAGS OVIP (CLINTON, HILLARY), PREL, AS, PK, AF, CH, \nRS,JA, KS, ASEAN \n"
            "SUBJECT: (U) Secretary Clinton's",
            ["CLINTON, HILLARY"],
        ),
        # 09BEIJING2963, in lower case.
        ("Tags: ovip (steinberg, james b.), prel, parm, pgov, econ,", ["STEINBERG, JAMES B."]),
        # cables.csv rows: with no comma (03TEGUCIGALPA99), glued to the code
        # (04BOGOTA11373), an entry of its own (04SANTODOMINGO5779), on the next line with
        # ET AL (04MADRID1523), split over two lines (04MADRID4474, 04MADRID1636), after
        # OVIP inside the bracket (04MANAMA530), mixed case (04TEGUCIGALPA2753).
        (
            "TAGS: CJAN, KCRM, CASC, HO (MORRIS ARNOLD FREDERICK) \nSUBJECT: EXTRADITION",
            ["MORRIS ARNOLD FREDERICK"],
        ),
        ("TAGS: ELAB, PHUM, PGOV, CVIS, CASC, CO(DUNCAN, CAMERON) ", ["DUNCAN, CAMERON"]),
        (
            "TAGS: PINR, EFIN, KJUS, PGOV, DR, (CASTILLO, VINICIO MARINO) ",
            ["CASTILLO, VINICIO MARINO"],
        ),
        (
            "TAGS: CVIS, KVPR, PTER, ASEC, CMGT, PINR, PREL, SP \n"
            "(ESPARZA LURI, FELIX IGNACIO ET AL) \nSUBJECT:  VISAS VIPER SUBMISSION",
            ["ESPARZA LURI, FELIX IGNACIO"],
        ),
        (
            "TAGS: CVIS, KVPR, PTER, ASEC, CMGT, PINR, PREL, (GOMEZ \nAGUIRRE, ANER ET AL) \n",
            ["GOMEZ AGUIRRE, ANER"],
        ),
        (
            "TAGS: CVIS, KVPR, PTER, ASEC, CMGT, PINR, PREL, SP (AL- \n"
            "FETORY, SHEREF AKA: AL-FAYTURI, SARIF) \n",
            ["AL-FETORY, SHEREF AKA: AL-FAYTURI, SARIF"],
        ),
        (
            "TAGS: PARM, PREL, PGOV, OPDC, ETTC, KSTC, BA, JHR, LY(OVIP, RUMSFELD DONALD) ",
            ["RUMSFELD DONALD"],
        ),
        ("TAGS: CVIS (Melara Berlioz Yuri Fernando) ", ["MELARA BERLIOZ YURI FERNANDO"]),
        # Brackets that name no person (03ZAGREB127, 03BRASILIA356, 04MAPUTO1040,
        # 04MADRID2480): after a word of prose, an acronym, empty.
        ("TAGS: PREL, PARM, HR, AL, NATO, Defense Reform (Mil & NATO) ", []),
        ("TAGS: ETRD, BR, Fee Trade Agreement of America (FTAA) ", []),
        ("TAGS: CASC, PREL, KIRF, KISL, KDEM, MZ, RENAMO, Religion (non-islam) ", []),
        ("TAGS: CVIS, KVPR, PTER, ASEC, CMGT, PINR, PREL, () ", []),
        ("TAGS: ETRD, BR (FTAA)", []),
        # Not on the TAGS line; repeats kept once.
        ("TAGS: PREL\nSUBJECT: OVIP (SMITH, JOHN)\n1. OVIP (DOE, JANE)", []),
        ("TAGS: OVIP (RICE, CONDOLEEZZA) PREL OVIP (RICE, CONDOLEEZZA)", ["RICE, CONDOLEEZZA"]),
        ("No tags line at all (SMITH, JOHN)", []),
    ],
)
def test_parse_person_tags(text: str, expected: list[str]) -> None:
    assert parse_person_tags(text) == expected


def test_persons_default_to_the_tags_line_and_tags_keep_their_codes() -> None:
    body = (
        "UNCLAS STATE 012345\n\nE.O. 12958: N/A\nTAGS: APEC ECON OPDC BX OVIP (CLINTON, "
        "WILLIAM J.)\nSUBJECT: VISIT\n\n1. TEXT.\nALBRIGHT\n"
    )
    cable = parse_cable("97STATE12345", "", body)
    assert cable.persons == ["CLINTON, WILLIAM J."]
    assert parse_tags(body)[:5] == ["APEC", "ECON", "OPDC", "BX", "OVIP"]
    given = parse_cable("97STATE12345", "", body, persons=["KISSINGER, HENRY A"])
    assert given.persons == ["KISSINGER, HENRY A"]
    assert parse_cable("97STATE12345", "", body, persons=[]).persons == []


def test_person_tags_on_the_corpus_site_pages() -> None:
    """Of the 6,712 Cable Viewer pages, six name a person on their TAGS line (all after
    OVIP); no other page gets a person tag."""
    found = {}
    for name, data in iter_tar_html("cablegate-site.tar.xz"):
        if b"(" not in data:
            continue
        item = next(iter(read_bytes(data, name)))
        if isinstance(item, Cable) and item.persons:
            found[item.canonical_id] = item.persons
    assert found == {
        "09BEIJING2963": ["STEINBERG, JAMES B."],
        "09BEIJING2965": ["STEINBERG, JAMES B."],
        "09SINGAPORE529": ["STEINBERG, JAMES B."],
        "09STATE30049": ["CLINTON, HILLARY"],
        "09STATE34688": ["CLINTON, HILLARY"],
        "09STATE78274": ["CLINTON, HILLARY"],
    }
