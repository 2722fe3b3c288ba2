"""Run a query on the search index (:mod:`cablegate.search.index`, compiled by
:mod:`cablegate.search.compile`): hits ranked by relevance (BM25, subject above body) or by
date, snippets with the matches marked, facet counts and a timeline of hits per month, the
cable a query names by its ID, a spelling that has hits when none matched, and a time limit.
"""

from __future__ import annotations

import concurrent.futures
import functools
import math
import re
import threading
import time
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any, cast

import tantivy

from cablegate import settings
from cablegate.archive import Archive, Listed
from cablegate.model import Cable
from cablegate.parse import canonical_id
from cablegate.parse.ids import from_plusd
from cablegate.search import index as indexes
from cablegate.search.compile import COLUMNS, DEFAULT_COLUMNS, Compiler, filter_query, words
from cablegate.search.query import (
    MAX_EDITS,
    And,
    Filter,
    Node,
    Not,
    Or,
    Query,
    QueryError,
    Term,
    parse_query,
    positive_terms,
)
from cablegate.search.variants import variants

SORTS = ("relevance", "newest", "oldest")
FACETS = (
    "origin",
    "tag",
    "classification",
    "restriction",
    "current_classification",
    "concept",
    "person",
    "year",
    "month",
)
FACET_SIZE = 20
TIMEOUT_ENV = settings.SEARCH_TIMEOUT.env
DEFAULT_TIMEOUT = settings.SEARCH_TIMEOUT.default
"""Seconds a query may run before the reader is told to narrow it down."""
FACET_CACHE_ENV = settings.FACET_CACHE.env
DEFAULT_FACET_CACHE = settings.FACET_CACHE.default
"""Queries whose facet counts a process keeps (0: none, every query counts them anew)."""


@dataclass(frozen=True)
class Hit(Listed):
    score: float | None
    """Relevance (higher is better); None when hits are sorted by date or nothing scored."""
    snippet: list[tuple[str, bool]] = field(default_factory=list)
    """The text around the first match, as (text, is_match) pieces."""


@dataclass
class Results:
    query: Query
    total: int
    page: int
    per_page: int
    sort: str
    hits: list[Hit]
    facets: dict[str, list[tuple[str, int]]]
    jump: str | None = None
    """The canonical ID of the cable the query names, when it is in the archive (then the
    one hit)."""
    timeline: list[tuple[str, int]] = field(default_factory=list)
    """Hits per month of creation (``2008-06``), oldest first (with facets)."""
    suggestion: str | None = None
    """When nothing matched: the query with a word spelled as cables spell it."""

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


class SearchTimeout(QueryError):
    """A query that ran out of time."""


# -- running a query -------------------------------------------------------------------------


def search(
    archive: Archive,
    text: str,
    page: int = 0,
    per_page: int = 20,
    sort: str = "relevance",
    facets: bool = True,
    facet_size: int = FACET_SIZE,
) -> Results:
    """Search the archive's index; raises :class:`QueryError` for values a filter cannot use
    and :class:`SearchTimeout` for a query that runs out of time."""
    page, per_page = max(page, 0), min(max(per_page, 1), 200)
    deadline = time.monotonic() + timeout()
    query, compiled, jump, index = _prepare(archive, text, sort)
    searcher = index.searcher()
    ranked = _ranked(query, sort, jump)
    # The facet counts visit every hit, the page of hits only the best: they run side by
    # side (Tantivy gives up the GIL), the counts kept per state of the index for the next
    # page or sort order of the same query.
    key = (index.state, index.path, jump or query.tree, facet_size)
    counts = _FACET_CACHE.get(key) if facets else {}
    pending = (
        _POOL.submit(searcher.aggregate, compiled, _aggregations(facet_size))
        if counts is None
        else None
    )

    def run() -> tuple[int, list[tuple[Any, tantivy.DocAddress]]]:
        found = _top(searcher, compiled, ranked, sort, page * per_page, per_page)
        return _count(found), found.hits

    total, top = _limited(run, deadline)
    found = _hits(archive, searcher, top, ranked)
    terms = positive_terms(query.tree)
    bodies = archive.current_bodies([row for row, _ in found]) if terms else {}
    hits = [
        replace(h, snippet=snippet(bodies[row], terms)) if row in bodies else h for row, h in found
    ]
    if pending is not None:
        counts = _FACET_CACHE.put(key, _limited(pending, deadline))
    results = Results(query, total, page, per_page, sort, hits, {}, jump)
    if facets:
        results.facets, results.timeline = _facets(counts or {}, facet_size)
    _explain(searcher, query, results)
    return results


def all_hits(
    archive: Archive, text: str, sort: str = "relevance", limit: int | None = None
) -> list[Hit]:
    """Every hit of a query (or the first ``limit``), in order, without snippets (for
    exports, feeds and tests)."""
    query, compiled, jump, index = _prepare(archive, text, sort)
    searcher = index.searcher()
    ranked = _ranked(query, sort, jump)

    def run() -> list[tuple[Any, tantivy.DocAddress]]:
        total = _count(searcher.search(compiled, 1, count=True))
        count = total if limit is None else min(limit, total)
        return _top(searcher, compiled, ranked, sort, 0, count).hits if count else []

    return [hit for _, hit in _hits(archive, searcher, _limited(run), ranked)]


SIMILAR_SECONDS = 5.0  # (a page waits this long only under a pathological load)
"""How long a cable page waits for its similar-words query before doing without."""
SIMILAR_TERMS = 25
"""The most distinctive words of a cable that its similar-words query looks for."""


def distinctive_terms(
    searcher: tantivy.Searcher, cable: Cable, count: int = SIMILAR_TERMS
) -> list[tuple[str, float]]:
    """The cable's most distinctive indexed words (stems, as the ``body`` field holds them)
    with their weight, tf-idf: how often the cable uses the word times how rare the word is
    in the index (``ln(1 + documents / documents with it)``), best first and ties by word,
    so that the same cable and index always give the same words. Words of fewer than three
    letters, and words no other document has, relate nothing and are left out."""
    tokens = indexes.ANALYZERS[indexes.STEM].analyze(f"{cable.subject or ''}\n{cable.body}")
    frequency = Counter(t for t in tokens if len(t) >= 3 and not t.isdigit())
    documents = max(searcher.num_docs, 1)
    weights = []
    for term, tf in frequency.items():
        df = searcher.doc_freq("body", term)
        if df >= 2:
            weights.append((term, tf * math.log(1 + documents / df)))
    weights.sort(key=lambda item: (-item[1], item[0]))
    return weights[:count]


def similar(archive: Archive, cable: Cable, limit: int = 10) -> list[Hit] | None:
    """The public cables whose words are most like this cable's, best first, not the cable
    itself; None when there is no sound index at hand (not built yet, or of another archive:
    a page never waits for a rebuild) or it took longer than :data:`SIMILAR_SECONDS`.

    A more-like-this query of our own rather than Tantivy's: its choice among equally
    weighted words changes from call to call (so a page would change between two requests),
    and it panics on an index with deleted documents (tantivy 0.27: document frequency above
    the live documents). The words are :func:`distinctive_terms`, each a term query boosted
    by its weight. An index a little behind the archive is used as it is: what it finds is
    read back from the public tables, so nothing withdrawn shows."""
    index = indexes.ready(archive)
    if index is None:
        return None
    try:
        searcher = index.searcher()
        terms = distinctive_terms(searcher, cable)
        if not terms:
            return []
        like = tantivy.Query.boolean_query(
            [
                (
                    tantivy.Occur.Should,
                    tantivy.Query.boost_query(
                        tantivy.Query.term_query(indexes.SCHEMA, "body", term), weight
                    ),
                )
                for term, weight in terms
            ]
        )
        itself = tantivy.Query.term_query(indexes.SCHEMA, "id", cable.canonical_id)
        query = tantivy.Query.boolean_query(
            [(tantivy.Occur.Must, like), (tantivy.Occur.MustNot, itself)]
        )
        top = _limited(
            lambda: searcher.search(query, limit).hits, time.monotonic() + SIMILAR_SECONDS
        )
        return [hit for _, hit in _hits(archive, searcher, top, ranked=True)]
    except (QueryError, ValueError, OSError):  # too slow, or the folder swapped meanwhile
        return None


def matching_rows(index: indexes.SearchIndex, tree: Node | None) -> list[int]:
    """The row IDs a query tree matches in an index (any index: also one of records that
    are not public, to choose what to release)."""
    searcher = index.searcher()
    compiled = Compiler().compile(tree)
    total = _count(searcher.search(compiled, 1, count=True))
    if not total:
        return []
    hits = searcher.search(compiled, total, count=False).hits
    return _rows(searcher, [a for _, a in hits])


def _prepare(
    archive: Archive, text: str, sort: str
) -> tuple[Query, tantivy.Query, str | None, indexes.SearchIndex]:
    if sort not in SORTS:
        raise QueryError(f"sort: {sort!r} is not one of {', '.join(SORTS)}")
    query = parse_query(text)
    index = indexes.for_archive(archive)
    jump = _jump(archive, query)
    compiler = Compiler()
    compiled = compiler.compile(Filter("id", jump) if jump else query.tree)
    if jump:
        query.notes.append(f"the query names cable {jump}")
    query.notes.extend(dict.fromkeys(n for n in compiler.notes if n not in query.notes))
    return query, compiled, jump, index


def _ranked(query: Query, sort: str, jump: str | None) -> bool:
    return sort == "relevance" and not jump and bool(positive_terms(query.tree))


def _top(
    searcher: tantivy.Searcher,
    compiled: tantivy.Query,
    ranked: bool,
    sort: str,
    offset: int,
    limit: int,
) -> tantivy.SearchResult:
    """The hits from ``offset`` on: best first, or by creation date (undated last)."""
    limit = max(limit, 1)
    if ranked:
        return searcher.search(compiled, limit, count=True, offset=offset)
    if sort == "oldest":
        return searcher.search(
            compiled, limit, True, "oldest", offset=offset, order=tantivy.Order.Asc
        )
    return searcher.search(compiled, limit, True, "newest", offset=offset, order=tantivy.Order.Desc)


def _hits(
    archive: Archive,
    searcher: tantivy.Searcher,
    top: list[tuple[Any, tantivy.DocAddress]],
    ranked: bool,
) -> list[tuple[int, Hit]]:
    """(row ID, hit) of each hit still public."""
    if not top:
        return []
    rows = _rows(searcher, [a for _, a in top])
    listed = archive.listed(rows)
    return [
        (row, Hit(**vars(listed[row]), score=float(score) if ranked else None))
        for row, (score, _) in zip(rows, top, strict=True)
        if row in listed  # withdrawn since the index last caught up
    ]


def _count(result: tantivy.SearchResult) -> int:
    """The hits a search counted (``count=True``; tantivy's type stubs lack ``count``)."""
    return int(result.count)  # type: ignore[attr-defined]


def _rows(searcher: tantivy.Searcher, addresses: list[tantivy.DocAddress]) -> list[int]:
    """The archive row IDs of these documents (the ``row`` fast field)."""
    return [int(cast(int, v)) for v in searcher.fast_field_values("row", addresses)]


def _limited(run: Any, deadline: float | None = None) -> Any:
    """``run()`` (or a search already started) within the time limit (Tantivy gives up the
    GIL while it searches)."""
    seconds = timeout()
    future = run if isinstance(run, concurrent.futures.Future) else _POOL.submit(run)
    left = seconds if deadline is None else max(0.0, deadline - time.monotonic())
    try:
        return future.result(timeout=left)
    except concurrent.futures.TimeoutError:
        raise SearchTimeout(
            f"the search took longer than {seconds:g} s: narrow it down "
            "(fewer prefixes and fuzzy words, more words or filters)"
        ) from None
    except ValueError as exc:  # a query Tantivy refuses (a regular expression too large)
        raise QueryError(f"cannot run this query: {exc}") from None


def timeout() -> float:
    """Seconds a query may run (``CABLEGATE_SEARCH_TIMEOUT``)."""
    return max(0.001, settings.SEARCH_TIMEOUT.get())


_POOL = concurrent.futures.ThreadPoolExecutor(max_workers=8, thread_name_prefix="search")


# -- facets and the timeline -----------------------------------------------------------------

_EXACT = 1_000_000
"""Terms each segment reports: all of them, so that every count is exact."""


class _Cache:
    """The last facet counts computed, by (state of the index, query, size): a state names
    what the index holds, so an entry never outlives a change (thread-safe; a dict kept in
    use order, as ``functools.lru_cache`` cannot be told what to store)."""

    def __init__(self) -> None:
        self.entries: dict[Any, dict[str, Any]] = {}
        self.lock = threading.Lock()

    def get(self, key: Any) -> dict[str, Any] | None:
        with self.lock:
            found = self.entries.pop(key, None)
            if found is not None:
                self.entries[key] = found
            return found

    def put(self, key: Any, counts: dict[str, Any]) -> dict[str, Any]:
        size = settings.FACET_CACHE.get()
        if key[0] is None:  # an index without a state: nothing says when it changes
            return counts
        with self.lock:
            self.entries[key] = counts
            while len(self.entries) > max(size, 0):
                del self.entries[next(iter(self.entries))]
        return counts


_FACET_CACHE = _Cache()


def _aggregations(size: int) -> dict[str, Any]:
    def terms(name: str, count: int) -> dict[str, Any]:
        return {"terms": {"field": name, "size": count, "segment_size": _EXACT}}

    wide = max(size, 1) + 50  # ties at the cut are ordered by name here, not by Tantivy
    return {
        "origin": terms("origin", wide),
        "tag": terms("tag", wide),
        "classification": terms("classification", wide),
        "month": terms("month", 100_000),  # the years are summed from the months
        **{name: terms(name, wide) for name in indexes.CATALOG_FACETS},
    }


def _facets(
    counts: dict[str, Any], size: int
) -> tuple[dict[str, list[tuple[str, int]]], list[tuple[str, int]]]:
    buckets = {
        name: [
            (str(b["key"]), int(b["doc_count"])) for b in counts.get(name, {}).get("buckets", [])
        ]
        for name in FACETS
    }
    years: Counter[str] = Counter()
    for month, count in buckets["month"]:
        years[month[:4]] += count
    buckets["year"] = list(years.items())
    facets = {
        name: (
            sorted(found, reverse=True)[:size]
            if name in ("year", "month")
            else sorted(found, key=lambda item: (-item[1], item[0]))[:size]
        )
        for name, found in buckets.items()
    }
    return facets, sorted(buckets["month"])


# -- what a reader should know ---------------------------------------------------------------


def _explain(searcher: tantivy.Searcher, query: Query, results: Results) -> None:
    """Notes on filters that match nothing, and a spelling with hits when none matched."""
    for node in _filters(query.tree)[:8]:
        try:
            found = _count(searcher.search(filter_query(node), 1, count=True))
        except (QueryError, ValueError):
            continue
        if not found:
            results.query.notes.append(f"{node.field}:{node.value} matches no cable")
    if results.total or results.jump:
        return
    for term in positive_terms(query.tree):
        better = _spelling(searcher, term)
        if better:
            results.suggestion = re.sub(
                rf"(?i)(?<!\w){re.escape(term.text)}(?!\w)", better, query.text, count=1
            )
            results.query.notes.append(f'no cable has "{term.text}"; did you mean "{better}"?')
            return


def _filters(node: Node | None) -> list[Filter]:
    if isinstance(node, Filter):
        return [node]
    if isinstance(node, Not):
        return _filters(node.item)
    if isinstance(node, (And, Or)):
        return [f for item in node.items for f in _filters(item)]
    return []


_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _spelling(searcher: tantivy.Searcher, term: Term) -> str | None:
    """The spelling one edit away that most cables have, for a single word none has."""
    found = words(term.text)
    if term.exact or term.prefix or len(found) != 1 or len(found[0]) < 3:
        return None
    word = found[0]

    # Counted in the fields the term is looked for in: a word suggested for subject:
    # must be in subjects.
    fields = [COLUMNS[c][1] for c in ((term.column,) if term.column else DEFAULT_COLUMNS)]

    def cables_with(w: str) -> int:
        return sum(searcher.doc_freq(f, w) for f in fields)

    if cables_with(word):
        return None
    letters = _LETTERS + ("0123456789" if any(c.isdigit() for c in word) else "")
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    candidates = {a + b[1:] for a, b in splits if b}
    candidates |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    candidates |= {a + c + b[1:] for a, b in splits if b for c in letters}
    candidates |= {a + c + b for a, b in splits for c in letters}
    candidates.discard(word)
    scored = [(cables_with(c), c) for c in sorted(candidates) if len(c) > 1]
    best = max(scored, default=(0, ""), key=lambda item: item[0])
    return best[1] if best[0] else None


def _jump(archive: Archive, query: Query) -> str | None:
    """The cable a query names by its ID (``08STATE37957``, ``08 STATE 37957``, or ``STATE
    37957`` with a one-year ``created:`` filter)."""
    tree = query.tree
    items = list(tree.items) if isinstance(tree, And) else [tree] if tree else []
    plain = [
        i.text
        for i in items
        if isinstance(i, Term) and not (i.column or i.prefix or i.exact or i.fuzzy)
    ]
    years = [
        i.value[2:4]
        for i in items
        if isinstance(i, Filter) and i.field == "created" and re.fullmatch(r"\d{4}", i.value)
    ]
    if not plain or len(plain) + len(years) != len(items):
        return None
    if len(plain) == 1 and not years and _PLUSD_QUERY.fullmatch(plain[0]):
        cid = from_plusd(plain[0])  # PlusD's ID: 1974ATHENS02959_b
        return cid if archive.is_public(cid) else None
    m = _ID_QUERY.fullmatch(" ".join(plain))
    if m is None:
        return None
    year = m.group(1) or (years[0] if len(years) == 1 else None)
    if year is None:
        return None
    cid = canonical_id(f"{year}{m.group(2).replace(' ', '')}{m.group(3)}")
    return cid if cid and archive.is_public(cid) else None


_ID_QUERY = re.compile(r"\s*(\d{2})?\s*([A-Za-z][A-Za-z ]*?)\s*(\d{1,6})\s*")
_PLUSD_QUERY = re.compile(
    r"(?:19|20)\d\d[A-Za-z]+\d{1,7}(?:_[A-Za-z]{1,2})?|\d\d[A-Za-z]+\d{1,7}_[A-Za-z]{1,2}"
)
"""An ID as PlusD writes it: ``1974ATHENS02959_b`` (four-digit year, padded number, record
suffix), ``10STATE17263_a`` (its Cablegate records)."""


# -- snippets --------------------------------------------------------------------------------


def snippet(text: str, terms: list[Term], width: int = 220) -> list[tuple[str, bool]]:
    """The text around the first match of any term, matches marked (pure): a word matches
    as the index matches it (its stem, other spellings, a prefix, within edits, a phrase)."""
    if not terms:
        return []
    folded = _fold(text)
    patterns = [found for term in terms for found in _patterns(term)]
    firsts = (next(_checked(pattern, check, folded, 0), None) for pattern, check in patterns)
    first = min((m.start() for m in firsts if m is not None), default=None)
    start = max(0, first - width // 3) if first is not None else 0
    if start:
        start = max(text.rfind(" ", 0, start) + 1, start - 20)  # not in the middle of a word
    end = start + width
    # Only the matches near the window are needed (the bodies run to tens of kilobytes).
    matches = _matches(folded, patterns, max(0, start - _LOOK_BACK), end)
    pieces: list[tuple[str, bool]] = []
    at = start
    for m_start, m_end in matches:
        if m_start < at or m_start >= end:
            continue
        pieces.append((text[at:m_start], False))
        pieces.append((text[m_start:m_end], True))
        at = m_end
    pieces.append((text[at : max(at, end)], False))
    pieces = [(re.sub(r"\s+", " ", t), hit) for t, hit in pieces]
    if start:
        pieces[0] = ("…" + pieces[0][0], pieces[0][1])
    if max(at, end) < len(text):
        pieces[-1] = (pieces[-1][0] + "…", pieces[-1][1])
    return [p for p in pieces if p[0]]


_LOOK_BACK = 200
"""How far before the window matches are looked for (one may run into it)."""


def _checked(
    pattern: re.Pattern[str], check: Any, folded: str, pos: int
) -> Iterator[re.Match[str]]:
    """The matches of a pattern from ``pos`` on that pass its check (lazily: the first one
    is often all that is wanted). The lookbehinds see the text before ``pos``."""
    return (m for m in pattern.finditer(folded, pos) if check(m.group()))


def _matches(
    folded: str, patterns: list[tuple[re.Pattern[str], Any]], pos: int, end: int
) -> list[tuple[int, int]]:
    """(start, end) of the matches starting between ``pos`` and ``end``, in order, none
    overlapping."""
    found: set[tuple[int, int]] = set()
    for pattern, check in patterns:
        for m in pattern.finditer(folded, pos):
            if m.start() >= end:
                break
            if check(m.group()):
                found.add((m.start(), m.end()))
    ordered, last = [], -1
    for start, stop in sorted(found):
        if start >= last:
            ordered.append((start, stop))
            last = stop
    return ordered


@functools.lru_cache(maxsize=1024)
def _patterns(term: Term) -> list[tuple[re.Pattern[str], Any]]:
    """Patterns marking a term's matches, each with a check of the text matched (cached:
    a page of hits asks for the same terms twenty times)."""
    found = words(term.text)
    if not found:
        return []
    always = bool
    if term.fuzzy and len(found) == 1:
        target, edits = found[0], term.fuzzy
        low, high = max(1, len(target) - edits), len(target) + edits
        pattern = re.compile(rf"(?<![^\W_])[^\W_]{{{low},{high}}}(?![^\W_])")
        return [(pattern, lambda w: _edits(w.lower(), target) <= edits)]
    if term.exact and term.slop and len(found) > 1:
        return [(_words([w]), always) for w in found]
    if term.prefix or term.exact or len(found) > 1 or term.column in ("sender", "recipients"):
        return [(_words(found, prefix=term.prefix), always)]
    # One pattern for the word and its other spellings (one scan of the text, not one a
    # spelling): whole words starting as a stem does, kept when their stem is one of them.
    stems = {s[0] for spelling in (term.text, *variants(found[0])) if (s := words(spelling, True))}
    if not stems:
        return []
    leads = sorted({stem[: max(1, min(len(stem) - 1, 4))] for stem in stems})
    pattern = re.compile(rf"(?<![^\W_])(?:{'|'.join(map(re.escape, leads))})[^\W_]*", re.I)
    return [(pattern, lambda w: len(got := words(w, stem=True)) == 1 and got[0] in stems)]


def _words(found: list[str], prefix: bool = False) -> re.Pattern[str]:
    tail = r"[^\W_]*" if prefix else r"(?![^\W_])"
    body = r"[\W_]+".join(re.escape(w) for w in found)
    return re.compile(rf"(?<![^\W_]){body}{tail}", re.I)


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _fold(text: str) -> str:
    """The text with accents taken off letter by letter (same length, same offsets)."""
    if text.isascii():
        return text
    return _NON_ASCII.sub(lambda m: _fold_char(m.group()), text)


@functools.lru_cache(maxsize=4096)
def _fold_char(c: str) -> str:
    base = unicodedata.normalize("NFKD", c)[:1]
    return base if base.isascii() and base.isalnum() else c


@functools.lru_cache(maxsize=65_536)
def _edits(a: str, b: str) -> int:
    """Edits (insert, delete, substitute, swap two neighbours) from ``a`` to ``b``: how
    Tantivy's fuzzy words count, to mark them in snippets (a few short words per snippet,
    not worth a library)."""
    if abs(len(a) - len(b)) > MAX_EDITS:
        return MAX_EDITS + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                row[j] = min(row[j], previous2[j - 2] + 1)
        previous2, previous = previous, row
    return previous[-1]
