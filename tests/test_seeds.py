"""The two seed documents, every field asserted against values written by hand from the text."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cablegate.model import Article, Recipient, Reference
from cablegate.readers import read_paths
from cablegate.readers.text_export import read_text_export
from cablegate.writers import write_text_export
from tests.conftest import requires_corpus, requires_seeds

UTC = dt.UTC


pytestmark = requires_seeds


def _one(path: Path):
    items = list(read_paths([path]))
    assert len(items) == 1, items
    return items[0]


def test_seed_export_09STATE314(seed_export: Path) -> None:
    c = _one(seed_export)
    assert c.reference_id == "09STATE314"
    assert c.canonical_id == "09STATE314"
    # "Sat Jan 03 00:00:00 +0100 2009" is the export's way of writing the date 2009-01-03
    # (at local midnight), not the instant 23:00 UTC the day before; the telegram's own
    # date-time group, 030207Z JAN 09, gives the time.
    assert c.created == dt.datetime(2009, 1, 3, 2, 7, tzinfo=UTC)
    assert c.created_precision == "minute"
    assert c.released is None
    assert c.classification == "SECRET"
    assert c.origin == "Secretary of State"
    assert c.subject == "DEMARCHE: MUMBAI ATTACK INFORMATION-SHARING"
    t = c.transmission
    assert t.transmission_id is None
    assert t.precedence == "O"
    assert t.dtg == "030207Z JAN 09"
    assert t.dtg_datetime == dt.datetime(2009, 1, 3, 2, 7, tzinfo=UTC)
    assert t.sender == Recipient(name="SECSTATE WASHDC")
    assert t.to == [Recipient(name="AMEMBASSY NEW DELHI", precedence="NIACT IMMEDIATE")]
    assert [r.name for r in t.info] == [
        "AMEMBASSY ISLAMABAD",
        "AMCONSUL CHENNAI",
        "AMCONSUL KARACHI",
        "AMCONSUL KOLKATA",
        "AMCONSUL LAHORE",
        "AMCONSUL MUMBAI",
        "SECDEF WASHINGTON DC",
        "CIA WASHINGTON DC",
        "FBI WASHINGTON DC",
        "DIA WASHINGTON DC",
        "CDR USPACOM HONOLULU HI",
        "JOINT STAFF WASHINGTON DC",
    ]
    assert t.info[0].precedence == "IMMEDIATE"
    assert t.info[7] == Recipient(name="CIA WASHINGTON DC", precedence="PRIORITY", mcn="2251")
    assert t.info[8].mcn == "2531"
    assert t.info[-1].precedence == "PRIORITY"
    # The header box ends where the body's classification line begins, with no separator.
    assert c.header.endswith("JOINT STAFF WASHINGTON DC PRIORITY")
    assert c.body.startswith("S E C R E T STATE 000314")
    assert c.classification_line == "S E C R E T STATE 000314"
    assert c.caveats == []
    assert c.declassification_date == dt.date(2019, 1, 1)
    assert c.declassification_text == "DECL: 01/01/2019"
    assert c.tags == ["PTER", "IN", "PK"]
    assert c.references == [
        Reference(kind="cable", value="09ISLAMABAD1", text="ISLAMABAD 1", label="A"),
        Reference(kind="cable", value="08NEWDELHI3268", text="08 NEW DELHI 3268", label="B"),
    ]
    assert c.classified_by == ["Donald C. Camp"]
    assert c.classification_reasons == ["1.4(b)", "1.4(d)"]
    assert [(p.number, p.marking) for p in c.paragraphs] == [(1, "S"), (2, "S/REL INDIA")]
    assert c.paragraphs[0].text.startswith("By the opening of business in New Delhi")
    assert "SATURDAY ACTION REQUEST" in c.paragraphs[0].text
    assert c.paragraphs[1].text.startswith("Talking Points:")
    assert c.paragraphs[1].text.endswith("will not be leaked.")
    assert c.summary is None
    assert c.comment is None
    assert c.signers == ["RICE"]
    assert c.redactions == 0
    assert c.partial is False
    assert c.articles == []
    assert c.provenance.format == "text-export"
    assert c.warnings == []


def test_seed_export_round_trips_byte_for_byte(seed_export: Path) -> None:
    data = seed_export.read_bytes()
    cable = read_text_export(data, str(seed_export))
    written = write_text_export(cable)
    # Same layout; the date is written in UTC, so only line 3 may be spelled differently.
    original = data.decode("utf-8").split("\n")
    ours = written.split("\n")
    assert ours[:2] == original[:2] and ours[3:] == original[3:]
    again = read_text_export(written.encode(), "again")
    assert (again.created, again.created_precision) == (cable.created, cable.created_precision)


def test_a_text_export_date_at_local_midnight_is_that_date() -> None:
    """Without a date-time group near it, the date is kept as a date (00:00 UTC, precision
    day), not moved to the day before; a time other than midnight is an instant."""
    body = "C O N F I D E N T I A L PARIS 001007\n\nSUBJECT: TEST\n\n1. (C) Text.\n"
    for line, created, precision in [
        ("Sat Jan 03 00:00:00 +0100 2009", dt.datetime(2009, 1, 3, tzinfo=UTC), "day"),
        ("Sat Jan 03 00:00:00 -0500 2009", dt.datetime(2009, 1, 3, tzinfo=UTC), "day"),
        ("Sat Jan 03 10:30:00 +0100 2009", dt.datetime(2009, 1, 3, 9, 30, tzinfo=UTC), "minute"),
    ]:
        text = f"09PARIS1007\nTEST\n{line}\nCONFIDENTIAL\nEmbassy Paris\n{body}"
        cable = read_text_export(text.encode(), "x.txt")
        assert (cable.created, cable.created_precision) == (created, precision), line
        again = read_text_export(write_text_export(cable).encode(), "again")
        assert (again.created, again.created_precision) == (created, precision), line


def test_seed_page_text_08STATE37957(seed_page_text: Path) -> None:
    c = _one(seed_page_text)
    assert c.reference_id == c.canonical_id == "08STATE37957"
    assert c.created == dt.datetime(2008, 4, 10, 22, 10, tzinfo=UTC)
    assert c.released == dt.datetime(2010, 11, 30, 21, 9, tzinfo=UTC)
    assert c.classification == "SECRET"
    assert c.origin == "Secretary of State"
    assert c.subject == "POSSIBLE RELEASE OF A.Q. KHAN"
    assert c.articles == [Article(url="http://www.nytimes.com")]
    t = c.transmission
    assert t.transmission_id == "VZCZCXYZ0011"
    assert t.routing == ["OO RUEHWEB", "DE RUEHC #7957 1012232", "ZNY SSSSS ZZH"]
    assert t.precedence == "O"
    assert t.dtg == "102226Z APR 08"
    assert t.dtg_datetime == dt.datetime(2008, 4, 10, 22, 26, tzinfo=UTC)
    assert t.sender == Recipient(name="SECSTATE WASHDC")
    assert t.to == [Recipient(name="AMEMBASSY ISLAMABAD", precedence="IMMEDIATE", mcn="0000")]
    assert t.info == []
    assert c.classification_line == "S E C R E T STATE 037957"
    assert c.caveats == ["SIPDIS"]
    assert c.declassification_date == dt.date(2018, 4, 10)
    assert c.declassification_text == "DECL: 04/10/2018"
    assert c.tags == ["KNNP", "MNUC", "PARM", "PK", "PREL"]
    assert c.references == []
    assert c.classified_by == ["Richard A. Boucher"]
    assert c.classification_reasons == ["1.4(b)", "1.4(c)", "1.4(d)"]
    assert [(p.number, p.marking) for p in c.paragraphs] == [
        (1, "C"),
        (2, "S/NF"),
        (3, "S/NF"),
        (4, "S/REL PAKISTAN"),
        (5, "U"),
        (6, "U"),
    ]
    assert c.paragraphs[0].text.startswith("Washington is concerned")
    assert c.paragraphs[0].text.endswith("End summary and action request.")
    assert c.paragraphs[5].text.endswith("Washington appreciates Post,s assistance.")
    assert c.summary == (
        "Washington is concerned that the government of Pakistan may release A.Q. Khan. "
        "Washington requests Post to please draw from points in para 4, as appropriate, with "
        "senior government officials including the Director General of Strategic Plans "
        "Division Lt. Gen (retd) Kidwai."
    )
    assert c.comment is None
    assert c.signers == ["RICE"]
    assert c.redactions == 0
    assert c.partial is False
    assert c.provenance.format == "site-text"


@requires_corpus
def test_seed_page_text_matches_the_real_page(seed_page_text: Path, site_pages) -> None:
    """The page as a reader sees it and the page's HTML give the same record."""
    from cablegate.readers import read_site_page

    text = _one(seed_page_text)
    page = read_site_page(site_pages["08STATE37957"], "08STATE37957.html")
    for field in (
        "canonical_id",
        "created",
        "released",
        "classification",
        "origin",
        "subject",
        "transmission",
        "caveats",
        "tags",
        "references",
        "classified_by",
        "classification_reasons",
        "paragraphs",
        "summary",
        "signers",
        "articles",
    ):
        assert getattr(text, field) == getattr(page, field), field
    assert text.header == page.header
    # The rendered text shows no ¶ anchors; otherwise the body box is the same.
    assert text.body.strip() == page.body.replace("¶", "").strip()
