"""Bare telegram text and PDFs of cables: the corpus's ``pdf/`` folder, read as cables whose ID,
creation time, origin and classification come from the telegram text alone.

The files are named by their reference IDs; the readers never see the names (the tests also
read each file under another name), so the names are the expected IDs. The creation month
comes from the release's own list (``metadata/cable2month.csv.gz``) and, for the eight PDFs
that are also rows of the 2011 dump (``cables-dump-rows.csv.xz``), every field from the row,
read here with Python's csv module (not cablegate's reader).
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import lzma
import pickle
import re
from functools import cache
from pathlib import Path

import pypdf
import pytest

from cablegate.errors import ReadError, Unidentified
from cablegate.model import Cable
from cablegate.readers import detect_format, read_bytes, read_paths, telegram
from cablegate.readers import pdf as pdf_reader
from cablegate.readers.collect import EMPTY, Skipped, bytes_documents, parse_document
from tests.conftest import CORPUS, SEEDS, requires_corpus

pytestmark = requires_corpus

PDF_DIR = CORPUS / "pdf"
TEXT_DIR = PDF_DIR / "pdftotext"
PDFS = sorted(PDF_DIR.glob("*.pdf"))
TEXTS = sorted(TEXT_DIR.glob("*.txt"))
HEADER_ONLY = "00DAMASCUS3013"
"""Its PDF holds the transmission header alone (DTG, FM, TO, INFO): no classification line,
so no station number in the text."""
IN_DUMP = (
    "00ATHENS1501",
    "00ATHENS1917",
    "00ATHENS1937",
    "00DAMASCUS2976",
    "00DAMASCUS3013",
    "00DAMASCUS3050",
    "00GABORONE5064",
    "00GABORONE5265",
)


@cache
def months() -> dict[str, int]:
    """Reference ID -> month of creation, for the whole release."""
    with gzip.open(CORPUS / "metadata" / "cable2month.csv.gz", "rt", encoding="utf-8") as f:
        return {row[0]: int(row[1]) for row in csv.reader(f) if len(row) == 2}


@cache
def dump_rows() -> dict[str, list[str]]:
    """The dump's rows of the eight cables, read independently: quotes inside fields are
    escaped with a backslash (the README's layout), not doubled."""
    csv.field_size_limit(1 << 30)
    rows: dict[str, list[str]] = {}
    path = CORPUS / "cables-dump-rows.csv.xz"
    with lzma.open(path, "rt", encoding="utf-8", newline="") as f:
        for row in csv.reader(f, escapechar="\\", doublequote=False):
            if len(row) == 8 and row[2] in IN_DUMP:
                rows[row[2]] = row
    return rows


def read_one(path: Path) -> Cable | ReadError | Skipped:
    items = list(read_paths([path]))
    assert len(items) == 1, items
    return items[0]


def test_corpus_has_what_the_issue_says() -> None:
    assert len(PDFS) == 14
    assert len(TEXTS) == 33
    assert sum(1 for p in TEXTS if p.stat().st_size == 0) == 9


# ---------------------------------------------------------------------------------------------
# Every file: the ID and month inferred from the text


@pytest.mark.parametrize("path", [p for p in PDFS + TEXTS if p.stem != HEADER_ONLY], ids=str)
def test_id_and_month_inferred_from_the_text(path: Path) -> None:
    item = read_one(path)
    if path.stat().st_size == 0:
        assert isinstance(item, Skipped) and item.reason == EMPTY
        return
    assert isinstance(item, Cable), item
    assert item.provenance is not None
    assert item.provenance.format == ("pdf" if path.suffix == ".pdf" else "telegram")
    assert item.canonical_id == item.reference_id == path.stem
    assert item.created is not None
    assert item.created.month == months()[path.stem]
    assert f"{item.created.year % 100:02d}" == path.stem[:2]
    how = {i.field: i.how for i in item.inferred}
    assert set(how) == {"reference_id", "created", "origin", "classification"}
    # The ID's note quotes the classification line it was read from (as written), and the
    # date-time group or record line the year came from.
    assert item.classification_line is not None
    assert f"'{' '.join(item.classification_line.split())}'" in how["reference_id"]
    assert item.transmission.dtg is None or item.transmission.dtg in how["reference_id"]
    assert item.origin is not None and item.origin.split()[-1].upper() in how["origin"]


@pytest.mark.parametrize("path", [p for p in PDFS + TEXTS if p.stat().st_size], ids=str)
def test_the_file_name_is_not_read(path: Path) -> None:
    """The same bytes under a meaningless name give the same cable."""
    by_path = read_one(path)
    (renamed,) = list(read_bytes(path.read_bytes(), "x/unnamed.bin"))
    if isinstance(by_path, Unidentified):
        assert isinstance(renamed, Unidentified) and renamed.station == by_path.station
        return
    assert isinstance(by_path, Cable) and isinstance(renamed, Cable)
    assert renamed.canonical_id == by_path.canonical_id
    assert renamed.created == by_path.created and renamed.origin == by_path.origin


def test_detected_by_content() -> None:
    for path in TEXTS:
        data = path.read_bytes()
        if data:
            assert detect_format(data[:8192]) == "telegram", path
    for path in PDFS:
        assert detect_format(path.read_bytes()[:8192]) == "pdf", path


def test_telegram_values_read_from_the_text() -> None:
    """Fields of a few telegram texts, read by hand from the files."""
    paris = read_one(TEXT_DIR / "09PARIS1007.txt")
    assert isinstance(paris, Cable)
    assert paris.created == dt.datetime(2009, 7, 24, 15, 55, tzinfo=dt.UTC)
    assert paris.created_precision == "minute"
    assert (paris.origin, paris.classification) == ("Embassy Paris", "CONFIDENTIAL")
    assert paris.tags == ["PGOV", "PREL", "FR"]
    assert paris.subject == "MIDDLE EAST: SARKOZY AND MUBARAK CONFER ON NEXT STEPS"
    assert paris.transmission.sender is not None
    assert paris.transmission.sender.name == "AMEMBASSY PARIS"
    assert [p.number for p in paris.paragraphs][:3] == [1, 2, 3]  # "¶1." read as Latin-1
    how = {i.field: i.how for i in paris.inferred}
    assert "'DE RUEHFR #1007 2051555' has the same number" in how["reference_id"]
    assert "241555Z JUL 09" in how["reference_id"] and "241555Z JUL 09" in how["created"]
    # UNCLAS with the caption SENSITIVE: the Cable Viewer's UNCLASSIFIED//FOR OFFICIAL USE ONLY.
    vienna = read_one(TEXT_DIR / "09UNVIEVIENNA281.txt")
    assert isinstance(vienna, Cable)
    assert vienna.classification == "UNCLASSIFIED//FOR OFFICIAL USE ONLY"
    assert vienna.origin == "UNVIE"  # FM USMISSION UNVIE VIENNA, as the Cable Viewer names it
    assert vienna.created == dt.datetime(2009, 6, 17, 17, 35, tzinfo=dt.UTC)
    secret = read_one(TEXT_DIR / "09UNVIEVIENNA289.txt")
    assert isinstance(secret, Cable) and secret.classification == "SECRET//NOFORN"
    # No DE line: the ID from the classification line and the DTG alone; FM USEU BRUSSELS.
    useu = read_one(TEXT_DIR / "09USEUBRUSSELS1177.txt")
    assert isinstance(useu, Cable)
    assert (useu.canonical_id, useu.origin) == ("09USEUBRUSSELS1177", "USEU Brussels")
    assert "routing line" not in {i.field: i.how for i in useu.inferred}["reference_id"]


def test_printed_telegram_partial_and_readable() -> None:
    """00HANOI686: a PlusD record of State's printed telegram, no date-time group."""
    hanoi = read_one(PDF_DIR / "00HANOI686.pdf")
    assert isinstance(hanoi, Cable)
    assert hanoi.partial
    assert hanoi.header.startswith("This record is a partial extract of the original cable.")
    # Page headers, page banners and the closing record line are not in the body.
    assert "PAGE 0" not in hanoi.body and "2000HANOI00686" not in hanoi.body
    assert not re.search(r"(?m)^[ \t]*CONFIDENTIAL[ \t]*$", hanoi.body)
    # A sentence that ran over a page break reads through it.
    assert "RHETORIC SUGGESTS \nMAJOR ECONOMIC REFORMS" in hanoi.body
    assert hanoi.body.rstrip().endswith("PETERSON")
    assert hanoi.subject == (
        "VIETNAM IDEOLOGICALLY COMMITTED TO STATE-LED ECONOMIC DEVELOPMENT, WARY OF "
        "DANGERS OF GLOBALIZATION"
    )
    assert hanoi.tags == ["PGOV", "PREL", "ECON", "ETRD", "PINR", "PHUM", "VM", "DPOL"]
    assert [p.number for p in hanoi.paragraphs] == list(range(1, 28))
    # The day of the page headers (050821Z); the month from DECL 3/21/2020 (April 5 is the
    # first 5th after March 21); to the day only: a printout's time is not the sending time.
    assert hanoi.created == dt.datetime(2000, 4, 5, tzinfo=dt.UTC)
    assert hanoi.created_precision == "day"
    how = {i.field: i.how for i in hanoi.inferred}
    assert "050821Z" in how["created"] and "DECL: 3/21/2020" in how["created"]
    assert "2000HANOI00686 - CONFIDENTIAL" in how["reference_id"]


# ---------------------------------------------------------------------------------------------
# The eight PDFs that are also rows of the dump


def _row_tags(body: str) -> list[str]:
    m = re.search(r"(?m)^TAGS:?[ \t]*(.*)$", body)
    assert m, "the row has a TAGS line"
    return [t for t in re.split(r"[,\s]+", m.group(1)) if t]


def _row_subject(body: str) -> str:
    m = re.search(r"(?ms)^SUBJECT:[ \t]*(.*?)\n[ \t]*\n", body)
    assert m, "the row has a SUBJECT"
    return " ".join(m.group(1).split())


def _row_fm(header: str) -> str:
    m = re.search(r"(?m)^FM (.+?)[ \t]*$", header)
    assert m
    return m.group(1)


# References the row's list (WikiLeaks' own, made by a program) misses, read in the cables:
EXTRA_REFERENCES = {
    # REF "F. F) ADDIS 1556": ADDIS is Addis Ababa's short name; the list has no 00ADDIS...
    "00ATHENS1501": {"00ADDISABABA1556"},
    # REF "(C) MBABANE\n1670": the number on the next line; the list stops at (B).
    "00GABORONE5265": {"00MBABANE1670"},
}


@pytest.mark.parametrize("ref_id", [r for r in IN_DUMP if r != HEADER_ONLY])
def test_pdf_agrees_with_its_dump_row(ref_id: str) -> None:
    row = dump_rows()[ref_id]
    _, created, row_id, origin, classification, refs, header, body = row
    cable = read_one(PDF_DIR / f"{ref_id}.pdf")
    assert isinstance(cable, Cable), cable
    assert cable.canonical_id == row_id
    # The row's created is the DTG's (M/D/YYYY H:MM, UTC): to the minute.
    assert cable.created == dt.datetime.strptime(created, "%m/%d/%Y %H:%M").replace(tzinfo=dt.UTC)
    assert cable.created_precision == "minute"
    assert cable.classification == classification
    assert cable.origin == origin
    assert cable.tags == _row_tags(body)
    assert cable.subject == _row_subject(body)
    assert cable.transmission.sender is not None
    assert cable.transmission.sender.name == _row_fm(header)
    ours = {r.value for r in cable.references if r.kind == "cable"}
    theirs = set(refs.split("|")) if refs else set()
    assert ours == theirs | EXTRA_REFERENCES.get(ref_id, set())


def test_header_only_pdf_is_unidentified_with_what_it_holds() -> None:
    """00DAMASCUS3013's PDF keeps only the transmission header: its ID is not in the text, so
    it is an Unidentified (a ReadError) carrying the cable and the sender and DTG an archive
    needs to find it; what it holds agrees with the dump's row."""
    row = dump_rows()[HEADER_ONLY]
    item = read_one(PDF_DIR / f"{HEADER_ONLY}.pdf")
    assert isinstance(item, Unidentified), item
    assert isinstance(item, ReadError) and "only the transmission header" in item.reason
    created = dt.datetime.strptime(row[1], "%m/%d/%Y %H:%M").replace(tzinfo=dt.UTC)
    assert (item.station, item.created) == ("DAMASCUS", created)
    cable = item.cable
    assert (cable.canonical_id, cable.reference_id) == ("", "")
    assert cable.partial
    assert cable.created == created and cable.origin == row[3]
    assert cable.transmission.sender is not None
    assert cable.transmission.sender.name == _row_fm(row[6])
    assert [r.name for r in cable.transmission.to] == ["SECSTATE WASHDC"]
    assert [r.name for r in cable.transmission.info] == [
        "ARAB ISRAELI COLLECTIVE",
        "AMEMBASSY NICOSIA",
        "AMEMBASSY ANKARA",
    ]
    # The row (the full telegram) has TAGS, a subject, a classification; the PDF has none of
    # them, so the cable has none rather than invented ones.
    assert _row_tags(row[7]) and cable.tags == [] and cable.subject is None
    assert cable.classification is None
    assert {i.field for i in cable.inferred} == {"created", "origin"}
    # It travels between processes (parse_document runs in a pool) whole.
    again = pickle.loads(pickle.dumps(item))
    assert isinstance(again, Unidentified)
    assert (again.station, again.created, again.reason) == (item.station, item.created, item.reason)
    assert again.cable == item.cable


# ---------------------------------------------------------------------------------------------
# PDFs that cannot be read


def _blank_pdf() -> bytes:
    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=612, height=792)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_pdf_without_text_layer_is_a_read_error() -> None:
    (item,) = list(read_bytes(_blank_pdf(), "scan.pdf"))
    assert isinstance(item, ReadError) and not isinstance(item, Unidentified)
    assert item.path == "scan.pdf"
    assert "no text layer" in item.reason and "\n" not in item.reason


def test_truncated_pdf_is_a_read_error() -> None:
    data = (PDF_DIR / "00ATHENS1917.pdf").read_bytes()
    for cut in (len(data) // 2, len(data) - 10, 100):
        (item,) = list(read_bytes(data[:cut], "cut.pdf"))
        assert isinstance(item, ReadError), cut
        assert "truncated PDF" in item.reason and "\n" not in item.reason


def test_corrupt_pdf_is_a_read_error() -> None:
    data = (PDF_DIR / "00ATHENS1917.pdf").read_bytes()
    broken = data[:9] + b"\x00" * (len(data) // 2) + data[9 + len(data) // 2 :]
    (item,) = list(read_bytes(broken, "broken.pdf"))
    assert isinstance(item, ReadError)
    assert "PDF" in item.reason and "\n" not in item.reason


def test_encrypted_pdf_is_a_read_error() -> None:
    reader = pypdf.PdfReader(PDF_DIR / "00DAMASCUS2976.pdf")
    writer = pypdf.PdfWriter(clone_from=reader)
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    (item,) = list(read_bytes(out.getvalue(), "locked.pdf"))
    assert isinstance(item, ReadError)
    assert "encrypted PDF" in item.reason


def test_pdf_text_layer_normalised() -> None:
    """What the PDF rendering did to the Cable Viewer page: TAGS one per line, ``¶`` alone."""
    raw = pdf_reader.pdf_text((PDF_DIR / "00DAMASCUS3050.pdf").read_bytes())
    assert "TAGS: \nPREL\n \nOPRC" in raw and "\n¶\n1. (C) SUMMARY." in raw
    text = pdf_reader.normalise(raw)
    assert "TAGS: PREL, OPRC, PROP, KPAO, KMDR, LE, SY\nSUBJECT:" in text
    assert "\n¶1. (C) SUMMARY." in text
    # A line that followed an entry without a blank line continued the TAGS line.
    brunei = pdf_reader.normalise(
        pdf_reader.pdf_text((PDF_DIR / "00BANDARSERIBEGAWAN695.pdf").read_bytes())
    )
    assert "TAGS: APEC, ECON, OPDC, BX\nOVIP (CLINTON, WILLIAM J.)\nSUBJECT:" in brunei
    (cable,) = list(read_paths([PDF_DIR / "00BANDARSERIBEGAWAN695.pdf"]))
    assert isinstance(cable, Cable)
    assert cable.tags == ["APEC", "ECON", "OPDC", "BX"]
    assert cable.persons == ["CLINTON, WILLIAM J."]


# ---------------------------------------------------------------------------------------------
# Detection: telegrams claimed, other text files not


def _site_pages_other_files() -> list[tuple[str, bytes]]:
    import tarfile

    out = []
    with tarfile.open(CORPUS / "site-pages.tar.xz", "r|*") as tar:
        for member in tar:
            if member.isfile() and not member.name.endswith((".html", ".htm")):
                fileobj = tar.extractfile(member)
                assert fileobj is not None
                out.append((member.name, fileobj.read()))
    return out


def test_other_text_files_are_not_telegrams() -> None:
    files = [(p.name, p.read_bytes()) for p in sorted((CORPUS / "metadata").iterdir())]
    files += [("README.md", (CORPUS / "README.md").read_bytes())]
    files += _site_pages_other_files()  # robots.txt, humans.txt, magnet.txt
    names = {name.rsplit("/", 1)[-1] for name, _ in files}
    assert {"robots.txt", "route2name.csv", "README.md", "subject-tags.txt"} <= names
    for name, data in files:
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        head = data[:8192].decode("utf-8", "replace")
        assert not telegram.looks_like(head), name
        assert detect_format(data[:8192]) != "telegram", name


def test_other_formats_keep_their_reader() -> None:
    """Telegram detection comes last and does not take the seeds' formats."""
    assert detect_format((SEEDS / "000_6b405a9335b029f2.txt").read_bytes()[:8192]) == (
        "text-export"
    )
    assert detect_format((SEEDS / "002_9bf8a78e29ea3dab.txt").read_bytes()[:8192]) != ("telegram")


def test_documents_parse_like_files() -> None:
    """``parse_document`` (what the ingest pool runs) returns the Unidentified, not raises."""
    data = (PDF_DIR / f"{HEADER_ONLY}.pdf").read_bytes()
    (doc,) = list(bytes_documents(data, "header-only.pdf"))
    assert not isinstance(doc, ReadError | Skipped)
    result = parse_document(doc)
    assert isinstance(result, Unidentified) and result.station == "DAMASCUS"
