"""The Tantivy search engine on the real corpus: stems, other spellings, proximity, fuzzy
words, forgiving filters, IDs on every surface, suggestions, the time limit, and the index
kept in step with the archive (rebuilt when lost or of another archive, caught up after a
kill -9, nothing private in it, several servers converging).

Every expected hit list comes from reading the records here, independently of the engine:
words cut with a regular expression, accents removed with :mod:`unicodedata`, stems from the
``snowballstemmer`` package, edit distances and word distances computed below, and the
spelling groups read from the curated ``data/variants.txt`` itself."""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import snowballstemmer
import tantivy
from fastapi.testclient import TestClient

from cablegate.archive import Archive, utc_now
from cablegate.archive.store import PRIVATE
from cablegate.ingest import ingest
from cablegate.search import QueryError, SearchTimeout, parse_query, search
from cablegate.search import index as indexes
from cablegate.search.engine import TIMEOUT_ENV, all_hits, matching_rows
from cablegate.site.app import create_app
from tests.conftest import CORPUS, ROOT, NewDb, iter_tar_html, requires_corpus
from tests.corpus_counts import site_cables
from tests.pgserver import free_port

pytestmark = [requires_corpus, pytest.mark.xdist_group("search")]

CABLEGATE = [sys.executable, "-m", "cablegate"]
VARIANTS_FILE = ROOT / "src" / "cablegate" / "search" / "data" / "variants.txt"
_STEMMER = snowballstemmer.stemmer("english")


# -- an independent reading of the records ---------------------------------------------------


def tokens(text: str | None) -> list[str]:
    """Words as the index cuts them: letters and digits, lower case, accents removed."""
    folded = unicodedata.normalize("NFKD", (text or "").casefold())
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return re.findall(r"[^\W_]+", folded)


@functools.cache
def stem(word: str) -> str:
    """The pure-Python stemmer is slow: each distinct word is stemmed once."""
    return _STEMMER.stemWord(word)


@dataclass
class Record:
    id: str
    subject: list[str]
    body: list[str]
    stems: set[str]
    words: set[str]
    tags: set[str]
    origin: str
    classification: str


@pytest.fixture(scope="module")
def archive(search_db: str) -> Iterator[Archive]:
    with Archive.open(search_db, create=False) as opened:
        yield opened


@pytest.fixture(scope="module")
def records(archive: Archive) -> dict[str, Record]:
    found = {}
    for cid in archive.ids():
        cable = archive.cable(cid)
        assert cable is not None
        subject, body = tokens(cable.subject), tokens(cable.body)
        found[cid] = Record(
            cid,
            subject,
            body,
            {stem(w) for w in {*subject, *body}},
            set(subject) | set(body),
            set(cable.tags),
            cable.origin or "",
            cable.classification or "",
        )
    assert len(found) == site_cables(CORPUS)
    return found


@pytest.fixture(scope="module")
def vocabulary(records: dict[str, Record]) -> dict[str, set[str]]:
    """Each word of a subject or body -> the cables that have it."""
    words: dict[str, set[str]] = {}
    for cid, r in records.items():
        for w in r.words:
            words.setdefault(w, set()).add(cid)
    return words


def ids(archive: Archive, query: str) -> set[str]:
    return {hit.canonical_id for hit in all_hits(archive, query)}


def where(records: dict[str, Record], test) -> set[str]:
    return {cid for cid, r in records.items() if test(r)}


def edits(a: str, b: str) -> int:
    """Optimal string alignment distance: insert, delete, substitute, swap two neighbours
    (each one edit)."""
    d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(
                d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1])
            )
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[-1][-1]


def near(words: list[str], first: str, second: str, slop: int) -> bool:
    """Whether ``"first second"~slop`` matches: the words can be brought next to each other,
    in order, by moving them at most ``slop`` positions in all (in order with at most
    ``slop`` words between, or in reverse order with at most ``slop - 1`` between: the
    sloppy phrase distance of Lucene, which Tantivy follows)."""
    at = {w: [i for i, t in enumerate(words) if t == w] for w in (first, second)}
    return any(abs(j - i - 1) <= slop for i in at[first] for j in at[second] if i != j)


def within_words(words: list[str], first: str, second: str, apart: int) -> bool:
    """Whether the two words occur ``apart`` positions or fewer from each other, any order."""
    at = {w: [i for i, t in enumerate(words) if t == w] for w in (first, second)}
    return any(0 < abs(j - i) <= apart for i in at[first] for j in at[second])


def has_phrase(words: list[str], phrase: list[str]) -> bool:
    n = len(phrase)
    return any(words[i : i + n] == phrase for i in range(len(words) - n + 1))


def variant_group(spelling: str) -> list[str]:
    """The group of a spelling in the curated table, read here from the file."""
    for line in VARIANTS_FILE.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#") and spelling in line.split():
            return line.split()
    raise AssertionError(f"{spelling} is not in {VARIANTS_FILE}")


# -- the query language ------------------------------------------------------------------------


def test_stems_find_each_other(archive: Archive, records) -> None:
    assert {stem(w) for w in ("release", "released", "releases")} == {"releas"}
    want = where(records, lambda r: "releas" in r.stems)
    assert len(want) > 100
    for query in ("release", "released", "releases", "RELEASED", "releasing"):
        assert ids(archive, query) == want, query
    assert search(archive, "releases", facets=False).total == len(want)


def test_other_spellings_find_each_other(archive: Archive, records) -> None:
    group = variant_group("qaddafi")
    assert {"qaddafi", "qadhafi", "gaddafi", "kadhafi"} <= set(group)
    stems_of_group = {stem(s) for s in group}
    want = where(records, lambda r: bool(stems_of_group & r.stems))
    # Most cables write one of the table's spellings as it is.
    assert want and len(where(records, lambda r: bool(set(group) & r.words))) > 0.9 * len(want)
    for spelling in ("qaddafi", "qadhafi", "gaddafi", "kadhafi", "Qaddafi"):
        results = search(archive, spelling, facets=False)
        assert ids(archive, spelling) == want, spelling
        assert results.total == len(want)
        also = [n for n in results.query.notes if n.startswith("also searched: ")]
        assert len(also) == 1, results.query.notes
        named = set(also[0].removeprefix("also searched: ").split(", "))
        assert named == set(group) - {spelling.lower()}, spelling
    # Quoted: the word as written, no other spelling.
    quoted = search(archive, '"qaddafi"', facets=False)
    assert not any("also searched" in n for n in quoted.query.notes)
    exact = where(records, lambda r: "qaddafi" in r.words)
    assert ids(archive, '"qaddafi"') == exact
    assert quoted.total == len(exact) < len(want)


@pytest.mark.parametrize(
    ("first", "second", "slop"),
    [("khan", "nuclear", 10), ("iran", "nuclear", 3), ("pakistan", "india", 2)],
)
def test_proximity(archive: Archive, records, first: str, second: str, slop: int) -> None:
    query = f'"{first} {second}"~{slop}'

    def test(r: Record) -> bool:
        return near(r.subject, first, second, slop) or near(r.body, first, second, slop)

    want = where(records, test)
    assert want, query
    assert ids(archive, query) == want, query
    phrase = ids(archive, f'"{first} {second}"')
    assert phrase == where(
        records,
        lambda r: has_phrase(r.subject, [first, second]) or has_phrase(r.body, [first, second]),
    )
    assert phrase < want, query  # a superset, and strictly more

    # Bounds in plain words: two words at most slop - 1 apart (in any order) are always
    # found, two more than slop + 1 apart never.
    def apart(n: int):
        return lambda r: (
            within_words(r.subject, first, second, n) or within_words(r.body, first, second, n)
        )

    assert where(records, apart(slop - 1)) <= want <= where(records, apart(slop + 1))


@pytest.mark.parametrize(("word", "distance"), [("qadafi", 1), ("qadafi", 2), ("nuclaer", 1)])
def test_fuzzy_words(archive: Archive, vocabulary, word: str, distance: int) -> None:
    close = [w for w in vocabulary if abs(len(w) - len(word)) <= distance]
    close = [w for w in close if edits(w, word) <= distance]
    want = set().union(*(vocabulary[w] for w in close))
    query = f"{word}~{distance}" if distance == 1 else f"{word}~"
    assert want, query
    assert ids(archive, query) == want, (query, close)
    # Transpositions count one edit: "nuclaer" is one from "nuclear".
    if word == "nuclaer":
        assert "nuclear" in close


def test_filters_forgive(archive: Archive, records) -> None:
    def origin_has(*words: str):
        return lambda r: has_phrase(tokens(r.origin), list(words))

    islamabad = where(records, lambda r: r.origin == "Embassy Islamabad")
    assert islamabad and ids(archive, "origin:islamabad") >= islamabad
    assert ids(archive, "origin:islamabad") == where(records, origin_has("islamabad"))
    delhi = where(records, lambda r: r.origin == "Embassy New Delhi")
    assert delhi and ids(archive, 'origin:"new delhi"') >= delhi
    assert ids(archive, 'origin:"new delhi"') == where(records, origin_has("new", "delhi"))
    assert ids(archive, 'origin:"embassy new delhi"') == delhi
    pk = where(records, lambda r: "PK" in r.tags)
    assert pk
    for query in ("tag:pk", "tag:PK", "tag:Pk", "TAG:pk", "Tag:PK"):
        assert ids(archive, query) == pk, query
    for query in ("origin:ISLAMABAD", "ORIGIN:Islamabad", "Origin:islamABAD"):
        assert ids(archive, query) == ids(archive, "origin:islamabad"), query
    secret = where(records, lambda r: r.classification == "SECRET")
    for query in ("classification:secret", "CLASSIFICATION:Secret", "classification:SECRET"):
        assert ids(archive, query) == secret, query
    nothing = search(archive, "origin:atlantis")
    assert nothing.total == 0 and nothing.hits == []
    assert any("atlantis" in n and "no cable" in n for n in nothing.query.notes), nothing.query
    # A filter that matches is not said to match nothing.
    assert not any("no cable" in n for n in search(archive, "origin:islamabad").query.notes)


def test_punctuation_around_a_name_keeps_its_other_spellings(archive: Archive) -> None:
    """A word pasted with its comma or full stop is the same word: ``Qadhafi,`` is cut to
    ``qadhafi`` and must find what ``qadhafi`` finds, other spellings included."""
    plain = search(archive, "qadhafi", facets=False)
    for query in ("Qadhafi,", "qadhafi.", "(qadhafi)"):
        results = search(archive, query, facets=False)
        assert results.total == plain.total, query
        assert any(n.startswith("also searched: ") for n in results.query.notes), query


def test_a_prefix_on_an_origin_finds_at_least_the_whole_word(archive: Archive, records) -> None:
    """``origin:islamabad`` finds "Embassy Islamabad", so ``origin:islamabad*`` and
    ``origin:islam*`` (any word starting so) must find it too."""
    islamabad = where(records, lambda r: r.origin == "Embassy Islamabad")
    assert ids(archive, "origin:islamabad") == islamabad
    for query in ("origin:islamabad*", "origin:islam*"):
        assert ids(archive, query) >= islamabad, query


# -- a cable named by its ID, on every surface ---------------------------------------------

ID_QUERIES = ["08STATE37957", "08 STATE 37957", "STATE 37957 created:2008"]


@pytest.fixture(scope="module")
def client(search_db: str) -> TestClient:
    return TestClient(create_app(str(search_db)))


def test_an_id_gives_that_one_cable_everywhere(
    archive: Archive, client: TestClient, search_db: str
) -> None:
    want = "08STATE37957"
    for query in ID_QUERIES:
        results = search(archive, query)
        assert results.total == 1 and [h.canonical_id for h in results.hits] == [want], query
        assert results.jump == want
        assert [h.canonical_id for h in all_hits(archive, query)] == [want]

        api = client.get("/api/search", params={"q": query})
        assert api.status_code == 200, api.text
        body = api.json()
        assert body["total"] == 1 and [h["id"] for h in body["hits"]] == [want]

        csv = client.get("/search.csv", params={"q": query})
        assert csv.status_code == 200
        lines = csv.text.splitlines()
        assert len(lines) == 2 and lines[1].startswith(want + ","), lines

        jsonl = client.get("/search.jsonl", params={"q": query})
        assert jsonl.status_code == 200
        rows = [json.loads(line) for line in jsonl.text.splitlines()]
        assert [r["id"] for r in rows] == [want]

        feed = client.get("/feeds/search.atom", params={"q": query})
        assert feed.status_code == 200
        assert feed.text.count("<entry>") + feed.text.count("<entry ") == 1
        assert want in feed.text

        page = client.get("/search", params={"q": query}, follow_redirects=False)
        assert page.status_code == 303 and want in page.headers["location"], query

        run = subprocess.run(
            [*CABLEGATE, "search", query, "--format", "jsonl", "--db", str(search_db)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert run.returncode == 0, run.stderr
        hits = [json.loads(line) for line in run.stdout.splitlines()]
        assert [h["id"] for h in hits] == [want], query
        assert "1 hits" in run.stderr


# -- a spelling that has hits --------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "word", "right"),
    [
        ("pakistn", "pakistn", "pakistan"),
        ("nuclaer", "nuclaer", "nuclear"),
        ("pakistn tag:PK", "pakistn", "pakistan"),
    ],
)
def test_a_misspelt_word_gets_a_suggestion(
    archive: Archive, records, vocabulary, query: str, word: str, right: str
) -> None:
    assert not where(records, lambda r: stem(word) in r.stems)  # no cable has it
    results = search(archive, query)
    assert results.total == 0
    # The spelling one edit away that most cables have, by this reading.
    close = [w for w in vocabulary if abs(len(w) - len(word)) <= 1 and edits(w, word) == 1]
    best = max(close, key=lambda w: len(vocabulary[w]))
    assert best == right
    assert results.suggestion is not None and right in tokens(results.suggestion)
    assert word not in tokens(results.suggestion)
    better = search(archive, results.suggestion)
    assert better.total > 0
    assert better.total == len(ids(archive, query.replace(word, right)))
    assert any(right in n for n in results.query.notes)
    assert search(archive, right).suggestion is None  # nothing to suggest when there are hits


@pytest.mark.parametrize("query", ["subject:siilar", "subject:alhough"])
def test_a_suggestion_for_a_field_has_hits_in_that_field(archive: Archive, query: str) -> None:
    """The suggested spelling of a word looked for in one field must have hits there (the
    corrected words here are common in bodies, absent from subjects)."""
    results = search(archive, query)
    assert results.total == 0
    if results.suggestion is not None:
        assert search(archive, results.suggestion).total > 0, results.suggestion


# -- the time limit ------------------------------------------------------------------------

HEAVY = "a* b* c* d* e* m* p* s* t*"


def test_a_query_out_of_time_is_stopped_with_a_message(
    archive: Archive, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = time.perf_counter()
    assert search(archive, HEAVY, facets=False).total > 1000
    assert time.perf_counter() - started > 0.01  # ten times the limit below, even when idle
    monkeypatch.setenv(TIMEOUT_ENV, "0.001")
    with pytest.raises(SearchTimeout) as error:
        search(archive, HEAVY)
    assert isinstance(error.value, QueryError)
    message = str(error.value)
    assert "took longer than 0.001 s" in message and "narrow" in message
    with pytest.raises(SearchTimeout):
        all_hits(archive, HEAVY)

    # On the server: 503 with Retry-After (the server is busy, the query may be fine).
    api = client.get("/api/search", params={"q": HEAVY})
    assert api.status_code == 503 and api.headers["Retry-After"], api.text
    assert "took longer than" in api.text
    page = client.get("/search", params={"q": HEAVY})
    assert page.status_code == 503 and page.headers["Retry-After"]
    assert "took longer than" in page.text
    export = client.get("/search.csv", params={"q": HEAVY})
    assert export.status_code == 503 and "took longer than" in export.text


# -- the index -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pages() -> list[tuple[str, bytes]]:
    """The first 600 cable pages of the corpus."""
    return [
        (Path(n).name, d) for n, d in itertools.islice(iter_tar_html("cablegate-site.tar.xz"), 600)
    ]


def write_pages(folder: Path, pages: list[tuple[str, bytes]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in pages:
        (folder / name).write_bytes(data)
    return folder


def synthetic_cable(number: int, canary: str, tag: str = "PREL") -> str:
    """An invented cable in the plain-text export layout (as :mod:`cablegate.demo` writes
    them) whose subject, body, tags and origin carry the canary."""
    ref_id = f"05STATE{number}"
    subject = f"{canary.upper()} TALKS ({number})"
    header = "P 110726Z NOV 05\nFM SECSTATE WASHDC\nTO RUEHC/SECSTATE WASHDC PRIORITY 1001\n"
    body = (
        f"C O N F I D E N T I A L STATE {number:06d}\n\nSIPDIS\n\nE.O. 12958: DECL: 11/11/2015\n"
        f"TAGS: {tag} {canary.upper()}\nSUBJECT: {subject}\n\n"
        f"1. (C) Summary: officials discussed the {canary} plan at length. End summary.\n\n"
        "2. (C) Officials met XXXXXXXXXXXX to discuss next steps.\n\nRICE\n"
    )
    return "\n".join(
        [
            ref_id,
            subject,
            "Fri Nov 11 07:26:00 +0000 2005",
            "CONFIDENTIAL",
            f"Embassy {canary.capitalize()}",
            header + body,
        ]
    )


def write_synthetic(folder: Path, numbers: list[int], canary: str) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    for n in numbers:
        (folder / f"05STATE{n}.txt").write_text(synthetic_cable(n, canary), encoding="utf-8")
    return [f"05STATE{n}" for n in numbers]


QUERIES = [
    "",
    "embassy",
    "the OR minister",
    '"prime minister"',
    "terror*",
    "tag:PREL",
    "created:2009",
    "nuclaer~1",
    "-embassy",
]


def index_ids(archive: Archive, index: indexes.SearchIndex, query: str) -> list[str]:
    """The cables a query matches in that index, sorted, duplicates kept."""
    rows = matching_rows(index, parse_query(query).tree)
    listed = archive.listed(rows)
    return sorted(listed[r].canonical_id if r in listed else f"row {r}?" for r in rows)


def opened(path: Path) -> indexes.SearchIndex:
    """The index in a folder as it is on disk (not this process's copy of it)."""
    indexes.forget(path)
    return indexes.SearchIndex(path, tantivy.Index.open(str(path)))


def assert_same_as_rebuilt(archive: Archive, path: Path, elsewhere: Path) -> None:
    """The index at ``path`` (already caught up) equals one rebuilt from the archive."""
    found = opened(path)
    assert found.state is not None
    assert found.state.seq == archive.last_change()
    clean = indexes.rebuild(archive, elsewhere)
    assert found.searcher().num_docs == clean.searcher().num_docs == archive.public_count() + 1
    for query in QUERIES:
        assert index_ids(archive, found, query) == index_ids(archive, clean, query), query
    assert len(index_ids(archive, found, "")) == len(archive.ids())


@pytest.fixture
def index_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Points $CABLEGATE_INDEX at a folder of this test (also for its subprocesses)."""

    def point(name: str) -> Path:
        path = tmp_path / "indexes" / f"{name}.index"
        monkeypatch.setenv(indexes.ENV_VAR, str(path))
        return path

    return point


def cli_ids(db: str, query: str) -> set[str]:
    """The IDs ``cablegate search`` prints for a query, in a process of its own."""
    run = subprocess.run(
        [*CABLEGATE, "search", query, "--db", db, "--format", "jsonl", "-n", "200"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    return {json.loads(line)["id"] for line in run.stdout.splitlines()}


def test_a_deleted_index_is_rebuilt(tmp_path: Path, new_db: NewDb, pages, index_env) -> None:
    path = index_env("a")
    db = new_db("a")
    with Archive.open(db) as archive:
        ingest(archive, [write_pages(tmp_path / "in", pages[:200])], jobs=1)
        before = {q: ids(archive, q) for q in QUERIES}
        assert len(before[""]) == len(archive.ids()) >= 190
        shutil.rmtree(path)
        assert not path.exists()
        assert {q: ids(archive, q) for q in QUERIES} == before
        assert path.exists()
        # A damaged one too: its files emptied.
        for file in path.iterdir():
            if file.is_file():
                file.write_bytes(b"")
        indexes.forget()
        assert {q: ids(archive, q) for q in QUERIES} == before
    assert cli_ids(db, "embassy") == before["embassy"]


def test_an_index_of_another_archive_is_rebuilt(
    tmp_path: Path, new_db: NewDb, pages, index_env
) -> None:
    a_db, b_db = new_db("a"), new_db("b")
    a_path = index_env("a")
    with Archive.open(a_db) as a:
        ingest(a, [write_pages(tmp_path / "a", pages[:150])], jobs=1)
        a_ids = ids(a, "")
    b_path = index_env("b")
    with Archive.open(b_db) as b:
        ingest(b, [write_pages(tmp_path / "b", pages[150:300])], jobs=1)
        b_ids = set(b.ids())
        assert ids(b, "") == b_ids and not a_ids & b_ids
        expected = {q: ids(b, q) for q in QUERIES}
    for how in ("in this process", "in a new process"):
        shutil.rmtree(b_path)
        shutil.copytree(a_path, b_path)
        if how == "in a new process":
            indexes.forget()
            assert cli_ids(b_db, "") == b_ids
        with Archive.open(b_db, create=False) as b:
            assert {q: ids(b, q) for q in QUERIES} == expected, how
            assert_same_as_rebuilt(b, b_path, tmp_path / "clean" / f"{how}.index")
    # The same index copied back is a's again (identified by the archive, not the path).
    index_env("a")
    with Archive.open(a_db, create=False) as a:
        assert ids(a, "") == a_ids


# Ingest in small batches, so that a kill lands between a batch's database commit and its
# index commit often (the real CLI, only its batch size changed).
_KILLABLE_INGEST = (
    "import sys\n"
    "import cablegate.ingest\n"
    "cablegate.ingest.BATCH_DOCS = 40\n"
    "from cablegate.cli import app\n"
    "app(sys.argv[1:], prog_name='cablegate')\n"
)


def _count(db: str) -> int:
    with contextlib.suppress(Exception), Archive.open(db, create=False) as archive:
        return archive.public_count()
    return 0


def _behind(db: str, path: Path) -> bool | None:
    """Whether the index on disk holds fewer changes than the archive (None: unreadable)."""
    try:
        state = opened(path).state
        with Archive.open(db, create=False) as archive:
            return state is None or state.seq < archive.last_change()
    except Exception:
        return None


def test_kill_9_between_database_and_index_commits_is_caught_up(
    tmp_path: Path, new_db: NewDb, pages, index_env
) -> None:
    path = index_env("killed")
    db = new_db("killed")
    source = write_pages(tmp_path / "in", pages)
    with Archive.open(db):  # the schema first, so that counting works at once
        pass
    rng = random.Random(9)
    behind, kills, started = 0, 0, time.monotonic()
    for round_ in range(6):
        before = _count(db)
        proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                _KILLABLE_INGEST,
                "ingest",
                str(source),
                "--db",
                db,
                "-q",
                "-j",
                "1",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        if round_ % 2 == 0:  # right after a database commit: the index is not yet told
            deadline = time.monotonic() + 60
            while _count(db) <= before and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.002)
        else:  # anywhere
            time.sleep(rng.uniform(0.3, 2.5))
        if proc.poll() is not None:
            break
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        kills += 1
        behind += _behind(db, path) is True
    assert kills >= 3, "the ingest finished before it could be killed"
    assert behind >= 1, "no kill left the index behind the archive"
    assert time.monotonic() - started < 90
    with Archive.open(db, create=False) as archive:
        count = archive.public_count()
        # (An ingest may also have run to its end in a later round, on a fast machine.)
        assert 0 < count <= len(pages)
    # Any command catches up: a search in a new process.
    run = subprocess.run(
        [*CABLEGATE, "search", "", "--db", db, "--format", "jsonl", "--no-facets"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert f"{count:,} hits" in run.stderr
    with Archive.open(db, create=False) as archive:
        assert_same_as_rebuilt(archive, path, tmp_path / "clean.index")
    # Finishing the ingest after all that ends where one uninterrupted run ends.
    proc = subprocess.run(
        [*CABLEGATE, "ingest", str(source), "--db", db, "-q", "-j", "1"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    with Archive.open(db, create=False) as archive:
        assert archive.public_count() == len(pages)
        assert_same_as_rebuilt(archive, path, tmp_path / "clean2.index")


# The archive changed without the index being told (as after a kill between the two
# commits), for certain: an ingest in another process whose index updates do nothing.
_BLIND_INGEST = (
    "import sys\n"
    "from cablegate.search import index\n"
    "index.SearchIndex.current = lambda *args, **kwargs: True  # never catches up\n"
    "from cablegate.archive import Archive\n"
    "from cablegate.ingest import ingest\n"
    "with Archive.open(sys.argv[1]) as archive:\n"
    "    ingest(archive, sys.argv[2:], jobs=1)\n"
)


def test_an_index_behind_the_archive_catches_up(
    tmp_path: Path, new_db: NewDb, pages, index_env
) -> None:
    path = index_env("behind")
    db = new_db("behind")
    with Archive.open(db) as archive:
        ingest(archive, [write_pages(tmp_path / "first", pages[:100])], jobs=1)
        assert len(ids(archive, "")) == archive.public_count()
    extra = write_pages(tmp_path / "more", pages[100:160])
    run = subprocess.run(
        [sys.executable, "-c", _BLIND_INGEST, db, str(extra)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    with Archive.open(db, create=False) as archive:
        assert archive.public_count() == 160
        state = opened(path).state
        assert state is not None and state.seq < archive.last_change()  # behind, for sure
        assert len(ids(archive, "")) == 160  # a search catches up first
        assert_same_as_rebuilt(archive, path, tmp_path / "clean.index")


def test_a_new_version_replaces_its_document_in_the_index(
    tmp_path: Path, new_db: NewDb, index_env
) -> None:
    """One document a cable: a new version's text replaces the old one's (the old words no
    longer find it, and no query counts it twice)."""
    path = index_env("versions")
    with Archive.open(new_db("versions")) as archive:
        [cid] = write_synthetic(tmp_path / "in", [990002], "zqxfirstword")
        ingest(archive, [tmp_path / "in"], jobs=1)
        assert ids(archive, "zqxfirstword") == {cid}
        (tmp_path / "in" / f"{cid}.txt").write_text(
            synthetic_cable(990002, "zqxfirstword").replace("zqxfirstword plan", "zqxsecond plan"),
            encoding="utf-8",
        )
        assert ingest(archive, [tmp_path / "in"], jobs=1).versions == 1
        assert search(archive, "officials").total == 1 == archive.public_count()
        assert ids(archive, "zqxsecond") == {cid}
        assert search(archive, '"zqxfirstword plan"').total == 0
        assert opened(path).searcher().num_docs == archive.public_count() + 1


def _facet_truth(archive: Archive) -> dict[str, Counter[str]]:
    """Origin, tag and year counts of the public cables, read from the records."""
    cables = [archive.cable(cid) for cid in archive.ids()]
    return {
        "origin": Counter(c.origin for c in cables if c and c.origin),
        "tag": Counter(t for c in cables if c for t in set(c.tags)),
        "year": Counter(f"{c.created:%Y}" for c in cables if c and c.created),
    }


def test_facet_counts_follow_the_archive_across_pages_and_changes(
    tmp_path: Path, new_db: NewDb, pages, index_env
) -> None:
    """The counts are kept for the next page or sort order of the same query, and never
    outlive a change to what is published."""
    index_env("facets")
    with Archive.open(new_db("facets")) as archive:
        ingest(archive, [write_pages(tmp_path / "first", pages[:100])], jobs=1)

        def counts(**how) -> dict[str, Counter[str]]:
            results = search(archive, "", facet_size=10_000, **how)
            return {name: Counter(dict(results.facets[name])) for name in _facet_truth(archive)}

        first = counts()
        assert first == _facet_truth(archive)
        assert counts(page=2, per_page=10, sort="oldest") == first
        ingest(archive, [write_pages(tmp_path / "more", pages[100:160])], jobs=1)
        assert archive.public_count() == 160
        after = counts(page=2, per_page=10, sort="oldest")
        assert after == _facet_truth(archive) != first


def _grep(folder: Path, word: str) -> list[str]:
    """The files under ``folder`` whose bytes hold ``word`` (any case)."""
    needle = word.lower().encode()
    return sorted(
        str(f.relative_to(folder))
        for f in folder.rglob("*")
        if f.is_file() and needle in f.read_bytes().lower()
    )


def test_private_cables_stay_out_of_the_index_until_released(
    tmp_path: Path, new_db: NewDb, pages, index_env
) -> None:
    from cablegate.releases import schedule

    path = index_env("private")
    db = new_db("private")
    canary = "zqxcanaria"
    with Archive.open(db) as archive:
        ingest(archive, [write_pages(tmp_path / "public", pages[:50])], jobs=1)
        assert canary not in {w for cid in archive.ids() for w in tokens(archive.cable(cid).body)}
        [cid] = write_synthetic(tmp_path / "secret", [990001], canary)
        assert cid not in archive.ids()
        ingest(archive, [tmp_path / "secret"], jobs=1, visibility=PRIVATE)
        assert [v[0] for v in archive.unpublished()] == [cid]
        assert not archive.is_public(cid)
        for query in (
            canary,
            f"{canary}*",
            f"subject:{canary}",
            f"tag:{canary}",
            f"origin:{canary}",
            f"id:{cid}",
            cid,
            "",
        ):
            assert cid not in ids(archive, query), query
        assert search(archive, canary).total == 0
        assert search(archive, cid).jump is None
        assert _grep(path, canary) == []
        # Released now: found at once, and then the index holds it.
        outcome = schedule(archive, [cid], at=utc_now())
        assert outcome.scheduled == {cid: 1} and archive.is_public(cid)
        for query in (canary, f"subject:{canary}", f"tag:{canary}", f"origin:{canary}", cid):
            assert ids(archive, query) == {cid}, query
        assert search(archive, cid).jump == cid
        assert _grep(path, canary), "the check cannot see what the index holds"
        # A new version kept private: the index keeps the public one only.
        second = "zqxsecondcanary"
        (tmp_path / "secret" / f"{cid}.txt").write_text(
            synthetic_cable(990001, canary).replace("next steps", f"the {second} matter"),
            encoding="utf-8",
        )
        report = ingest(archive, [tmp_path / "secret"], jobs=1, visibility=PRIVATE)
        assert report.versions == 1
        assert ids(archive, second) == set() and ids(archive, canary) == {cid}
        assert _grep(path, second) == []
        schedule(archive, [cid], at=utc_now())
        assert ids(archive, second) == {cid}


@pytest.mark.parametrize("backend", ["postgresql"])
def test_two_servers_converge(tmp_path: Path, new_db: NewDb, pages, index_env) -> None:
    db = new_db("servers")
    index_env("writer")
    with Archive.open(db) as archive:
        ingest(archive, [write_pages(tmp_path / "first", pages[:40])], jobs=1)
    servers, bases = [], []
    try:
        for name in ("one", "two"):
            port = free_port()
            env = {**os.environ, indexes.ENV_VAR: str(tmp_path / f"{name}.index")}
            servers.append(
                subprocess.Popen(
                    [*CABLEGATE, "serve", "--db", db, "--port", str(port)],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                )
            )
            bases.append(f"http://127.0.0.1:{port}")
        http = httpx.Client(timeout=10)

        def found(base: str, q: str) -> set[str]:
            body = http.get(base + "/api/search", params={"q": q, "per_page": 50}).json()
            return {h["id"] for h in body["hits"]}

        deadline = time.monotonic() + 120
        for base, server in zip(bases, servers, strict=True):
            while True:
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                assert time.monotonic() < deadline, "cablegate serve did not start"
                with contextlib.suppress(httpx.TransportError):
                    if http.get(base + "/api/stats").status_code == 200:
                        break
                time.sleep(0.1)
            assert len(found(base, "")) == 40
        for round_, canary in enumerate(("zqxfirstcanary", "zqxsecondcanary")):
            assert all(found(base, canary) == set() for base in bases)
            numbers = [990100 + 10 * round_ + i for i in range(3)]
            new = set(write_synthetic(tmp_path / f"new{round_}", numbers, canary))
            with Archive.open(db, create=False) as archive:
                ingest(archive, [tmp_path / f"new{round_}"], jobs=1)
            done = time.monotonic()
            waiting = set(bases)
            while waiting:
                waiting = {base for base in waiting if found(base, canary) != new}
                assert time.monotonic() - done < 5, f"no convergence: {waiting}"
                if waiting:
                    time.sleep(0.01)
            took = time.monotonic() - done
            assert took < 1.0, f"the servers took {took:.2f} s to show the new cables"
            assert all(len(found(base, "")) == 40 + 3 * (round_ + 1) for base in bases)
        assert {p.name for p in tmp_path.iterdir()} >= {"one.index", "two.index"}
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
