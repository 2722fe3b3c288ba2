"""Search on the real corpus: every operator and filter gives exactly the cables a plain
Python reading of the records says it should; facets add up; IDs jump; nothing crashes.

The reading here is independent of the engine: words cut with a regular expression, accents
removed with :mod:`unicodedata`, unquoted words compared by their Snowball English stem from
the ``snowballstemmer`` package (the engine uses Tantivy's own stemmer)."""

from __future__ import annotations

import contextlib
import functools
import re
import subprocess
import sys
import unicodedata
from dataclasses import dataclass

import pytest
import snowballstemmer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cablegate.archive import Archive
from cablegate.search import QueryError, parse_query, search
from cablegate.search.engine import all_hits, snippet
from cablegate.search.query import And, Filter, Not, Or, Term
from tests.conftest import requires_corpus

pytestmark = [requires_corpus, pytest.mark.xdist_group("search")]


def tokens(text: str | None) -> list[str]:
    """Words as the index's tokenizer (unicode61, diacritics removed) sees them."""
    folded = unicodedata.normalize("NFKD", (text or "").casefold())
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return re.findall(r"[^\W_]+", folded)


@dataclass
class Record:
    id: str
    text: list[str]
    stems: set[str]
    subject: list[str]
    subject_stems: set[str]
    sender: list[str]
    recipients: list[str]
    tags: set[str]
    origin: str
    classification: str
    created: str
    released: str
    refs: set[str]


_STEMMER = snowballstemmer.stemmer("english")


@functools.cache
def stem(word: str) -> str:
    return _STEMMER.stemWord(word)


def stems(words: list[str]) -> set[str]:
    """The stems of the words (each distinct word stemmed once: the stemmer is pure Python)."""
    return {stem(w) for w in set(words)}


def has_phrase(words: list[str], phrase: list[str]) -> bool:
    n = len(phrase)
    return any(words[i : i + n] == phrase for i in range(len(words) - n + 1))


@pytest.fixture(scope="module")
def db(search_db: str) -> str:
    return search_db


@pytest.fixture(scope="module")
def archive(db: str) -> Archive:
    return Archive.open(db, create=False)


@pytest.fixture(scope="module")
def records(archive: Archive) -> dict[str, Record]:
    found = {}
    for cid in archive.ids():
        c = archive.cable(cid)
        assert c is not None
        t = c.transmission
        found[cid] = Record(
            cid,
            [*tokens(c.subject), "\0", *tokens(c.body)],
            stems([*tokens(c.subject), *tokens(c.body)]),
            tokens(c.subject),
            stems(tokens(c.subject)),
            tokens(t.sender.name if t.sender else ""),
            tokens("\n".join(r.name for r in [*t.to, *t.info])),
            set(c.tags),
            c.origin or "",
            c.classification or "",
            f"{c.created:%Y-%m-%d %H:%M:%S}" if c.created else "",
            f"{c.released:%Y-%m-%d %H:%M:%S}" if c.released else "",
            {r.value for r in c.references if r.kind == "cable"},
        )
    return found


def ids(archive: Archive, query: str) -> set[str]:
    return {hit.canonical_id for hit in all_hits(archive, query)}


def where(records: dict[str, Record], test) -> set[str]:
    return {cid for cid, r in records.items() if test(r)}


def test_words_phrases_prefixes_and_operators(archive: Archive, records) -> None:
    def word(w: str):  # an unquoted word: any word of its stem
        return lambda r: stem(w) in r.stems

    cases = {
        "khan": word("khan"),
        "nuclear iran": lambda r: word("nuclear")(r) and word("iran")(r),
        "nuclear AND iran": lambda r: word("nuclear")(r) and word("iran")(r),
        "nuclear OR uranium": lambda r: word("nuclear")(r) or word("uranium")(r),
        "iran -nuclear": lambda r: word("iran")(r) and not word("nuclear")(r),
        "iran NOT nuclear": lambda r: word("iran")(r) and not word("nuclear")(r),
        '"a q khan"': lambda r: has_phrase(r.text, ["a", "q", "khan"]),
        '"A.Q. Khan"': lambda r: has_phrase(r.text, ["a", "q", "khan"]),
        "terror*": lambda r: any(t.startswith("terror") for t in r.text),
        "(iran OR iraq) AND sanctions": lambda r: (
            (word("iran")(r) or word("iraq")(r)) and word("sanctions")(r)
        ),
        "subject:khan": lambda r: "khan" in r.subject_stems,
        'from:"SECSTATE WASHDC"': lambda r: has_phrase(r.sender, ["secstate", "washdc"]),
        "to:islamabad": lambda r: "islamabad" in r.recipients,
    }
    for query, test in cases.items():
        want = where(records, test)
        assert want, query
        assert ids(archive, query) == want, query


def test_filters(archive: Archive, records) -> None:
    cited = next(iter(sorted({t for r in records.values() for t in r.refs})))
    cases = {
        "tag:PTER": lambda r: "PTER" in r.tags,
        "tag:pter": lambda r: "PTER" in r.tags,
        'origin:"Embassy Paris"': lambda r: r.origin == "Embassy Paris",
        "origin:Consulate*": lambda r: r.origin.startswith("Consulate"),
        "classification:SECRET": lambda r: r.classification == "SECRET",
        "classification:secret*": lambda r: r.classification.startswith("SECRET"),
        "id:08STATE37957": lambda r: r.id == "08STATE37957",
        "created:2008-01..2008-06": lambda r: "2008-01" <= r.created[:7] <= "2008-06",
        "created:2009": lambda r: r.created[:4] == "2009",
        "created:..1990": lambda r: bool(r.created) and r.created[:4] <= "1990",
        "released:2010-12-01..": lambda r: r.released[:10] >= "2010-12-01",
        "released:2011-04-11": lambda r: r.released[:10] == "2011-04-11",
        f"ref:{cited}": lambda r: cited in r.refs,
        "tag:PTER -tag:PK": lambda r: "PTER" in r.tags and "PK" not in r.tags,
        "tag:PTER OR tag:KNNP": lambda r: bool({"PTER", "KNNP"} & r.tags),
        "classification:SECRET created:2009 pakistan": lambda r: (
            r.classification == "SECRET" and r.created[:4] == "2009" and "pakistan" in r.stems
        ),
        "khan OR tag:KNNP": lambda r: "khan" in r.stems or "KNNP" in r.tags,
    }
    for query, test in cases.items():
        want = where(records, test)
        assert want, query
        assert ids(archive, query) == want, query


def test_asserted_hit_lists(archive: Archive) -> None:
    assert ids(archive, '"A.Q. Khan" tag:PK') == {
        "05NEWDELHI8231",
        "08STATE37957",
        "09ISLAMABAD1364",
        "09ISLAMABAD284",
        "09ISLAMABAD289",
        "09ISLAMABAD365",
        "10ISLAMABAD428",
    }
    assert ids(archive, 'from:"SECSTATE WASHDC" to:islamabad subject:khan') == {"08STATE37957"}


def test_ranking_sorting_paging_and_facets(archive: Archive, records) -> None:
    results = search(archive, "khan", per_page=10)
    everything = all_hits(archive, "khan")
    assert results.total == len(everything) == len(where(records, lambda r: "khan" in r.stems))
    # A hit with the word in its subject ranks above hits with it only in the body.
    top = records[results.hits[0].canonical_id]
    assert "khan" in top.subject
    scores = [h.score for h in everything]
    assert scores == sorted(scores, reverse=True)  # BM25 as Tantivy scores it: higher is better
    pages = [
        h.canonical_id
        for p in range(results.pages)
        for h in search(archive, "khan", page=p, per_page=10, facets=False).hits
    ]
    assert pages == [h.canonical_id for h in everything]
    newest = search(archive, "khan", sort="newest", per_page=200).hits
    assert [h.created for h in newest] == sorted((h.created for h in newest), reverse=True)
    oldest = search(archive, "khan", sort="oldest", per_page=200).hits
    assert [h.created for h in oldest] == sorted(h.created for h in oldest)
    # Facets count the whole result set; each facet value narrows to exactly its count.
    wide = search(archive, "iran", facet_size=1000)
    assert sum(n for _, n in wide.facets["classification"]) == wide.total
    assert sum(n for _, n in wide.facets["year"]) == wide.total
    assert sum(n for _, n in wide.facets["origin"]) == wide.total
    hits = where(records, lambda r: "iran" in r.stems)
    tag_counts = {t: sum(t in records[c].tags for c in hits) for t in {"PREL", "IR", "PTER"}}
    facet = dict(wide.facets["tag"])
    assert all(facet.get(t, 0) == n for t, n in tag_counts.items())
    for name, field in (("origin", "origin"), ("tag", "tag"), ("classification", "classification")):
        value, count = wide.facets[name][0]
        narrowed = search(archive, f'iran {field}:"{value}"', facets=False)
        assert narrowed.total == count, (name, value)
    year, count = wide.facets["year"][0]
    assert search(archive, f"iran created:{year}", facets=False).total == count


def test_snippets_mark_matches(archive: Archive) -> None:
    hit = search(archive, '"A.Q. Khan"', per_page=1).hits[0]
    marked = [text for text, match in hit.snippet if match]
    assert marked and all(tokens(m) == ["a", "q", "khan"] for m in marked)
    pieces = snippet("The <b>nuclear</b> plan. Nuclear-armed.", [Term("nuclear")])
    assert [t for t, m in pieces if m] == ["nuclear", "Nuclear"]


def test_an_id_jumps_to_the_cable(archive: Archive) -> None:
    for query in ("08STATE37957", "08 STATE 37957", "08state37957", "STATE 37957 created:2008"):
        assert search(archive, query).jump == "08STATE37957", query
    assert search(archive, "STATE 37957").jump is None  # which year?
    assert search(archive, "08STATE99999999").jump is None


def test_the_parser_keeps_structure() -> None:
    tree = parse_query('iran (nuclear OR "enrichment plant") -tag:PK created:2009').tree
    assert tree == And(
        (
            Term("iran"),
            Or((Term("nuclear"), Term("enrichment plant", exact=True))),
            Not(Filter("tag", "PK")),
            Filter("created", "2009"),
        )
    )
    assert parse_query('subject:"a q" from:x* foo:bar').notes == [
        "unknown field foo: searched as words"
    ]


MALFORMED = [
    '"unbalanced',
    "((( a OR",
    ")))",
    "NOT",
    "AND OR NOT",
    "-",
    "*",
    '""',
    "'; DROP TABLE cables; --",
    "SELECT * FROM cables WHERE 1=1",
    "NEAR(a b, 3)",
    "{subject}: x",
    "a:b:c",
    "tag:",
    "a " * 500,
    "\0\x01\x02",
    "ünïcödé 日本 عربى",
    "%_\\",
    "origin:%",
]


@pytest.mark.parametrize("query", MALFORMED)
def test_malformed_queries_give_results_or_a_message(archive: Archive, query: str) -> None:
    results = search(archive, query, per_page=5)
    assert results.total >= 0


@pytest.mark.parametrize(
    "query", ["created:abc", "released:..", "created:2009-13", "sort", "x" * 10_000, "(" * 99 + "x"]
)
def test_bad_values_give_a_clear_message(archive: Archive, query: str) -> None:
    with pytest.raises(QueryError) as error:
        search(archive, query, sort="relevance" if query != "sort" else "sideways")
    assert len(str(error.value)) > 10


FUZZ = st.text(alphabet=st.sampled_from(list("ab \"()-*:ORANDNOTtagidcreated.2009\\'%_")))
HOSTILE = st.one_of(
    FUZZ,
    st.builds(lambda n, q: "(" * n + q + ")" * (n // 2), st.integers(0, 3000), FUZZ),
    st.builds(lambda n, q: "NOT " * n + q, st.integers(0, 1000), FUZZ),
    st.builds(lambda n: "x" * n, st.integers(150, 30_000)),
    st.builds(lambda n: f"created:{n}..{-n}", st.integers(-(10**30), 10**30)),
)
"""Deep nesting, huge strings and huge numbers, beside the fuzzed syntax."""


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(HOSTILE)
def test_fuzzed_queries_never_crash(archive: Archive, query: str) -> None:
    with contextlib.suppress(QueryError):
        search(archive, query, per_page=3)


def test_cli_search(db: str) -> None:
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "cablegate",
            "search",
            '"A.Q. Khan" tag:PK',
            "--db",
            str(db),
            "--format",
            "jsonl",
            "--no-facets",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert len(run.stdout.split("\n")[:-1]) == 7
    assert "7 hits" in run.stderr
    bad = subprocess.run(
        [sys.executable, "-m", "cablegate", "search", "created:abc", "--db", str(db)],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and "not a date" in bad.stderr


def test_release_queries_find_what_search_finds(archive: Archive) -> None:
    """Choosing cables to release by a query runs the same compiler on a throwaway index of
    the records (the archive's index has only public cables): it must find the same cables
    for every operator and filter."""
    from cablegate.search.engine import matching_rows
    from cablegate.search.index import in_memory

    cited = archive.conn.execute(
        "SELECT target FROM refs WHERE kind = 'cable' ORDER BY target LIMIT 1"
    ).fetchone()[0]
    queries = [
        "khan",
        "nuclear OR uranium",
        "iran -nuclear",
        '"A.Q. Khan"',
        "terror*",
        '"human right*"',
        "(iran OR iraq) AND sanctions",
        "subject:khan",
        'from:"SECSTATE WASHDC"',
        "to:islamabad",
        "tag:pter -tag:PK",
        'origin:"embassy paris"',
        "origin:Consulate*",
        "classification:secret*",
        "id:08STATE37957",
        "created:2008-01..2008-06",
        "released:2010-12-01.. café",
        f"ref:{cited}",
        "khan OR tag:KNNP",
        "NOT tag:PREL",
    ]
    records = [c for cid in archive.ids() if (c := archive.cable(cid)) is not None]
    index = in_memory(enumerate(records))
    for query in queries:
        tree = parse_query(query).tree
        found = {records[n].canonical_id for n in matching_rows(index, tree)}
        assert found == ids(archive, query), query
        assert found or query.endswith("café"), query
