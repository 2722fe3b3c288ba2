"""Mutated PlusD pages: the reader returns a cable or raises ReadError, nothing else."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cablegate.errors import ReadError
from cablegate.model import Cable
from cablegate.parse import parse_person_tags
from cablegate.readers import read_bytes
from cablegate.readers.collect import Skipped
from cablegate.readers.plusd import read_plusd_page
from tests.conftest import CORPUS, requires_corpus

pytestmark = requires_corpus
PAGES = [p.read_bytes() for p in sorted((CORPUS / "plusd").glob("*.html"))]
_TELEGRAM_WORDS = st.sampled_from(
    [
        "\n",
        "\n\n",
        " ",
        "FM AMEMBASSY ATHENS",
        "TO SECSTATE WASHDC 3410",
        "R 171600Z MAY 74",
        "LIMITED OFFICIAL USE",
        "C O N F I D E N T I A L ATHENS 3099",
        "PAGE 02  ATHENS 02959  171944Z",
        "E.O. 11652: N/A",
        "TAGS: PINS, GR",
        "OVIP (KISSINGER, HENRY A)",
        "(",
        ")",
        "SUBJECT:",
        "REF: A. STATE 97844",
        "1.",
        "2.",
        "TASCA",
        "NNN",
        "XXXXXXXXXXXX",
        "-- N/A or Blank --",
        "|",
        " - ",
        "<",
        "&quot;",
        "</div>",
        "<a>",
        "\x00",
        "é",
    ]
)
telegram_text = st.lists(_TELEGRAM_WORDS, max_size=60).map("".join)
_SPOTS = [
    (re.compile(rb'(<div class="s_val"[^>]*>)(.*?)(</div>)', re.S), "value"),
    (re.compile(rb'(<div class="text-header hidden">)(.*?)(</div>)', re.S), "header"),
    (re.compile(rb'(<div id="tagged-text">)(.*?)(</div>)', re.S), "text"),
    (re.compile(rb"(<td colspan=\"2\"[^>]*>)(.*?)(</td>)", re.S), "title"),
]


def _replace_nth(page: bytes, spot: int, nth: int, new: str) -> bytes:
    pattern = _SPOTS[spot][0]
    found = list(pattern.finditer(page))
    if not found:
        return page
    m = found[nth % len(found)]
    return page[: m.start(2)] + new.encode("utf-8", "surrogatepass") + page[m.end(2) :]


pages = st.sampled_from(PAGES)
mutated = st.one_of(
    # cut anywhere
    st.tuples(pages, st.integers(0, 60000)).map(lambda p: p[0][: p[1]]),
    # random bytes put in anywhere
    st.tuples(pages, st.integers(0, 60000), st.binary(max_size=300)).map(
        lambda p: p[0][: p[1]] + p[2] + p[0][p[1] :]
    ),
    # a slice taken out
    st.tuples(pages, st.integers(0, 60000), st.integers(0, 20000)).map(
        lambda p: p[0][: p[1]] + p[0][p[1] + p[2] :]
    ),
    # a metadata value, the title, the headers or the text replaced
    st.tuples(
        pages,
        st.integers(0, len(_SPOTS) - 1),
        st.integers(0, 30),
        st.one_of(telegram_text, st.text(max_size=200)),
    ).map(lambda p: _replace_nth(p[0], p[1], p[2], p[3])),
    # several metadata values replaced
    st.tuples(pages, st.lists(st.tuples(st.integers(0, 30), telegram_text), max_size=6)).map(
        lambda p: _replace_all(p[0], p[1])
    ),
)


def _replace_all(page: bytes, changes: list[tuple[int, str]]) -> bytes:
    for nth, new in changes:
        page = _replace_nth(page, 0, nth, new)
    return page


fuzz = settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@fuzz
@given(mutated)
def test_a_mutated_plusd_page_gives_a_cable_or_a_read_error(data: bytes) -> None:
    try:
        cable = read_plusd_page(data, "fuzz.html")
    except ReadError as exc:
        assert exc.path == "fuzz.html" and exc.reason and "\n" not in exc.reason
    else:
        assert isinstance(cable, Cable)
        assert cable.reference_id and cable.canonical_id
        assert cable.provenance is not None and cable.provenance.format == "plusd-html"


@fuzz
@given(mutated)
def test_the_dispatcher_reads_mutated_plusd_pages_without_a_parser_failure(data: bytes) -> None:
    for item in read_bytes(data, "fuzz.html"):
        assert isinstance(item, Cable | ReadError | Skipped)
        if isinstance(item, ReadError):
            assert not item.reason.startswith("parser failed"), item.reason


@fuzz
@given(st.one_of(telegram_text, st.text(max_size=400)).map(lambda t: "TAGS: " + t))
def test_parse_person_tags_never_raises(text: str) -> None:
    persons = parse_person_tags(text)
    assert len(persons) == len(set(persons))
    assert all(p and p == p.upper() and "(" not in p and ")" not in p for p in persons)
