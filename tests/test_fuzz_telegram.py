"""Random and mutated bare telegrams and PDFs: the readers give a Cable or a ReadError, never
anything else (see tests/test_robustness.py for the other readers)."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cablegate.errors import ReadError
from cablegate.model import Cable
from cablegate.readers import read_bytes
from cablegate.readers.collect import Document, Skipped, parse_document
from cablegate.readers.pdf import read_pdf
from cablegate.readers.telegram import read_telegram
from tests.conftest import CORPUS

_TEXTS = sorted((CORPUS / "pdf" / "pdftotext").glob("*.txt"))
_PDFS = [CORPUS / "pdf" / f"{name}.pdf" for name in ("00DAMASCUS3013", "00DAMASCUS2985")]
# Real inputs where the shared folder is here; a telegram written out otherwise.
_REAL_TEXTS = [b for b in (p.read_bytes()[:12000] for p in _TEXTS) if b] or [
    b"VZCZCXYZ0000\nOO RUEHWEB\nDE RUEHFR #1007 2051555\nZNY CCCCC ZZH\nO 241555Z JUL 09\n"
    b"FM AMEMBASSY PARIS\nTO RUEHC/SECSTATE WASHDC IMMEDIATE 6830\n"
    b"CONFIDENTIAL PARIS 001007\n\nE.O. 12958: DECL: 07/24/2019\nTAGS: PGOV PREL FR\n"
    b"SUBJECT: MIDDLE EAST\n\n1. (C) Summary. End Summary.\nPEKALA\n"
]
_REAL_PDFS = [p.read_bytes() for p in _PDFS if p.exists()]

_LINES = st.sampled_from(
    [
        "VZCZCXRO5911",
        "OO RUEHDBU RUEHFL",
        "DE RUEHFR #1007/01 2051555",
        "DE RUEHZZZ #99999999",
        "ZNY CCCCC ZZH",
        "O 241555Z JUL 09",
        "R 311299Z FEB 09",
        "170856Z May 00",
        "FM AMEMBASSY PARIS",
        "FM USMISSION UNVIE VIENNA",
        "FM SOMEONE",
        "TO RUEHC/SECSTATE WASHDC IMMEDIATE 6830",
        "INFO  LOG-00   AF-00",
        "CONFIDENTIAL PARIS 001007",
        "C O N F I D E N T I A L SECTION 01 OF 02 ABU DHABI 005893",
        "UNCLAS UNVIE VIENNA 000281",
        "SECRET NOWHERE 12",
        "SENSITIVE",
        "SIPDIS",
        "E.O. 12958: DECL: 3/21/2020",
        "E.O. 12958: DECL: 2/30/2099",
        "TAGS: PGOV, PREL",
        "SUBJECT: X",
        "¶1. (C) TEXT",
        "PAGE 01        HANOI  00686  01 OF 07  050821Z",
        "PAGE 02 HANOI 00686 310000Z",
        "                       CONFIDENTIAL",
        "2000HANOI00686 - CONFIDENTIAL",
        "9999X1 - A",
        "This record is a partial extract of the original cable. The full text",
        ">",
        "",
        " ",
    ]
)
telegram_texts = st.one_of(
    st.lists(_LINES, max_size=40).map(lambda lines: "\n".join(lines).encode("utf-8")),
    st.lists(st.one_of(_LINES, st.text(max_size=80)), max_size=30).map(
        lambda lines: "\r\n".join(lines).encode("utf-8", "surrogatepass")
    ),
    st.tuples(st.sampled_from(_REAL_TEXTS), st.integers(0, 12000)).map(lambda p: p[0][: p[1]]),
    st.tuples(st.sampled_from(_REAL_TEXTS), st.binary(max_size=200), st.integers(0, 12000)).map(
        lambda p: p[0][: p[2]] + p[1] + p[0][p[2] :]
    ),
    st.tuples(st.sampled_from(_REAL_TEXTS), st.lists(st.integers(0, 400), max_size=20)).map(
        lambda p: b"\n".join(line for i, line in enumerate(p[0].split(b"\n")) if i not in set(p[1]))
    ),
    st.binary(max_size=3000),
)
pdf_bytes = (
    st.tuples(
        st.sampled_from(_REAL_PDFS),
        st.lists(st.tuples(st.integers(0, 200_000), st.binary(min_size=1, max_size=8)), max_size=6),
        st.integers(0, 200_000),
    ).map(lambda p: _mutate(*p))
    if _REAL_PDFS
    else st.binary(max_size=2000).map(lambda b: b"%PDF-1.4\n" + b)
)


def _mutate(data: bytes, edits: list[tuple[int, bytes]], cut: int) -> bytes:
    out = bytearray(data)
    for at, chunk in edits:
        at %= len(out)
        out[at : at + len(chunk)] = chunk
    if cut % 3 == 0:  # sometimes truncated too
        del out[cut % len(out) :]
    return bytes(out)


fast = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@fast
@given(telegram_texts)
def test_telegram_reader_raises_only_read_error(data: bytes) -> None:
    try:
        cable = read_telegram(data, "fuzz.txt")
    except ReadError as exc:
        assert exc.path == "fuzz.txt" and exc.reason and "\n" not in exc.reason
    else:
        assert isinstance(cable, Cable)


@fast
@given(telegram_texts)
def test_dispatcher_on_telegram_text_never_raises(data: bytes) -> None:
    for item in read_bytes(data, "fuzz.txt"):
        assert isinstance(item, Cable | ReadError | Skipped)
        if isinstance(item, ReadError):
            assert not item.reason.startswith("parser failed"), item.reason


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(pdf_bytes)
def test_pdf_reader_raises_only_read_error(data: bytes) -> None:
    try:
        cable = read_pdf(data, "fuzz.pdf")
    except ReadError as exc:
        assert exc.path == "fuzz.pdf" and exc.reason and "\n" not in exc.reason
    else:
        assert isinstance(cable, Cable)
    result = parse_document(Document(path="fuzz.pdf", format="pdf", data=data))
    assert isinstance(result, Cable | ReadError)
    if isinstance(result, ReadError):
        assert not result.reason.startswith("parser failed"), result.reason


def test_sources_are_real() -> None:
    """The fuzzing starts from the corpus's files where they are here."""
    if (CORPUS / "pdf").exists():
        assert len(_REAL_TEXTS) == 24 and len(_REAL_PDFS) == 2
    assert all(isinstance(p, Path) for p in _PDFS)
