"""Search latency at real and full scale, in process and over HTTP, and the index's size.

For each archive (``real``: the 6,712 real cable pages, ``synthetic``: 251,287 synthetic
cables, both made by ``bench/ingest.py``: SQLite files in ``--work``, PostgreSQL databases
of those names on the ``--pg`` server), on each backend, a fixed mix of
``--queries`` queries (default 1,000; seeded, so every run asks the same), a quarter of each:

- ``word``: one word from the subject of a random cable (so common words come up as often as
  they are common);
- ``phrase``: two consecutive words of a subject, quoted;
- ``filters``: a word with two field filters (``tag:``, ``origin:``, ``classification:``,
  ``created:`` range), or two filters alone;
- ``broad``: a very common word, or one filter alone, matching a large share of the archive:
  the worst case for the facet counts.

Every query asks for the first page of 20 hits with snippets and the five facets (origin,
tag, classification, year, month: also the timeline), as the search page and
``/api/search`` do; the same mix is also timed without facets (the top 20 alone).

0. The Tantivy index (``cablegate reindex``): full rebuild time and size on disk.
1. In process: ``cablegate.search.search`` on one open archive, after one warm-up pass.
2. Over HTTP: ``GET /api/search?q=...`` against ``cablegate serve`` on loopback, one request
   at a time on a kept-alive connection (latency, not throughput), after a warm-up pass.
3. Throughput: ``wrk -t2 -c64`` for ``--seconds`` over the same mix (a Lua script cycles
   through it) against ``--workers`` server processes.

Facet counts are computed anew for every query of 1. and 2. and the first wrk run
(``CABLEGATE_FACET_CACHE=0``); a second wrk run keeps the servers' default cache, which
then answers every query seen before (wrk cycles through the mix), as a server does for
popular queries and for the next pages of a query.

The mix is drawn from the SQLite archive and asked of both backends alike.

    .venv/bin/python bench/search.py [--work /tmp/cablegate-bench] [--queries 1000]
                                     [--only real|synthetic] [--workers 2]
                                     [--backends sqlite,postgresql] [--pg URL]
                                     [--count 251287]

``--count``: which synthetic archive (``bench/ingest.py --count``): the release's 251,287
cables by default; e.g. 2300000 for PlusD's size.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from _serve import serve, synthetic_name  # noqa: E402
from cablegate.archive import Archive  # noqa: E402
from cablegate.search import search  # noqa: E402
from cablegate.search.engine import FACET_CACHE_ENV  # noqa: E402
from cablegate.search.index import default_path, for_archive, rebuild  # noqa: E402

KINDS = ("word", "phrase", "filters", "broad")
STOP = {"THE", "AND", "FOR", "WITH", "FROM", "THAT", "THIS", "ON", "OF", "IN", "TO", "AT", "ITS"}
_WORD = re.compile(r"[A-Za-z]{4,}")


def query_mix(db: str, count: int, seed: int = 2010) -> list[tuple[str, str]]:
    """(kind, query) pairs: the same list for the same archive and seed."""
    with Archive.open(db, create=False) as archive:
        conn = archive.conn
        subjects = [
            r[0] for r in conn.execute("SELECT subject FROM cables WHERE subject > '' ORDER BY id")
        ]
        every_tag = [r[0] for r in conn.execute("SELECT tag FROM tags ORDER BY 1")]
        origins = [r[0] for r in conn.execute("SELECT DISTINCT origin FROM cables ORDER BY 1")]
        classes = [
            r[0] for r in conn.execute("SELECT DISTINCT classification FROM cables ORDER BY 1")
        ]
        years = sorted(
            r[0] for r in conn.execute("SELECT DISTINCT substr(created, 1, 4) FROM cables")
        )
    return mix_from(subjects, every_tag, origins, classes, years, count, seed)


def mix_from(
    subjects: list[str],
    every_tag: list[str],
    origins: list[str],
    classes: list[str],
    years: list[str],
    count: int,
    seed: int = 2010,
) -> list[tuple[str, str]]:
    """The mix drawn from these subjects and filter values (same inputs, same list)."""
    rng = random.Random(seed)
    tags = rng.sample(every_tag, min(5000, len(every_tag)))
    words_of = [[w for w in _WORD.findall(s) if w.upper() not in STOP] for s in subjects]
    words_of = [ws for ws in words_of if ws]
    every = [w.lower() for ws in words_of for w in ws]
    common = [w for w, _ in Counter(every).most_common(30)]
    recent = [y for y in years if y and y >= "2000"] or years

    def word() -> str:
        return rng.choice(rng.choice(words_of)).lower()

    def phrase() -> str:
        tokens = re.findall(r"[A-Za-z]+", rng.choice(subjects))
        pairs = [(a, b) for a, b in itertools.pairwise(tokens) if len(a + b) > 6]
        if not pairs:
            return phrase()
        return '"' + " ".join(rng.choice(pairs)).lower() + '"'

    def one_filter() -> str:
        pick = rng.randrange(4)
        if pick == 0:
            return f"tag:{rng.choice(tags)}"
        if pick == 1:
            return f'origin:"{rng.choice(origins)}"'
        if pick == 2:
            return f'classification:"{rng.choice(classes)}"'
        start = rng.choice(recent)
        return f"created:{start}-01..{start}-12"

    def filters() -> str:
        first, second = one_filter(), one_filter()
        return f"{word()} {first} {second}" if rng.random() < 0.7 else f"{first} {second}"

    def broad() -> str:
        return rng.choice(common) if rng.random() < 0.6 else one_filter()

    makers: dict[str, Callable[[], str]] = {
        "word": word,
        "phrase": phrase,
        "filters": filters,
        "broad": broad,
    }
    return [(kind, makers[kind]()) for i in range(count) for kind in [KINDS[i % len(KINDS)]]]


def percentiles(ms: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(ms, n=100, method="inclusive")
    return {"p50": cuts[49], "p95": cuts[94], "p99": cuts[98], "max": max(ms)}


def in_process(
    db: str, mix: list[tuple[str, str]], facets: bool = True
) -> tuple[dict[str, list[float]], list[int]]:
    timings: dict[str, list[float]] = {kind: [] for kind in KINDS}
    totals = []
    with Archive.open(db, create=False) as archive:
        for _, q in mix:  # warm up: the page caches, the OS's file cache
            search(archive, q, facets=facets)
        for kind, q in mix:
            started = time.perf_counter()
            results = search(archive, q, facets=facets)
            timings[kind].append((time.perf_counter() - started) * 1000)
            totals.append(results.total)
    return timings, totals


def over_http(base: str, mix: list[tuple[str, str]]) -> dict[str, list[float]]:
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    timings: dict[str, list[float]] = {kind: [] for kind in KINDS}

    def get(q: str) -> None:
        conn.request("GET", "/api/search?" + urlencode({"q": q}))
        response = conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise SystemExit(f"{q!r}: HTTP {response.status}: {body[:200]!r}")

    for _, q in mix:
        get(q)
    for kind, q in mix:
        started = time.perf_counter()
        get(q)
        timings[kind].append((time.perf_counter() - started) * 1000)
    conn.close()
    return timings


def reindex(db: str, keep: bool = False) -> tuple[float, int]:
    """(seconds of a full rebuild of the search index on every core, its bytes on disk);
    ``keep``: the index brought up to date only, not rebuilt."""
    with Archive.open(db, create=False) as archive:
        path = default_path(archive)
        started = time.perf_counter()
        if keep:
            for_archive(archive, path)
        else:
            rebuild(archive, path)
        seconds = time.perf_counter() - started
    return seconds, sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


WRK_SCRIPT = """
local paths = {}
for line in io.lines("%s") do paths[#paths + 1] = line end
local n = 0
request = function()
  n = n %% #paths + 1
  return wrk.format("GET", paths[n])
end
"""


def throughput(base: str, mix: list[tuple[str, str]], work: Path, seconds: int) -> str:
    """``wrk -t2 -c64`` over the mix: requests/s and latency, as wrk reports them."""
    if shutil.which("wrk") is None:
        return "wrk is not installed (apt-get install wrk)"
    paths, script = work / "search-paths.txt", work / "search.lua"
    paths.write_text("".join("/api/search?" + urlencode({"q": q}) + "\n" for _, q in mix))
    script.write_text(WRK_SCRIPT % paths)
    run = subprocess.run(
        ["wrk", "-t2", "-c64", f"-d{seconds}s", "--latency", "-s", str(script), base],
        capture_output=True,
        text=True,
        check=False,
    )
    wanted = ("Requests/sec", "Non-2xx", "Socket errors", "50%", "99%")
    return "; ".join(
        " ".join(line.split())
        for line in run.stdout.splitlines()
        if line.strip().startswith(wanted)
    )


def report(label: str, timings: dict[str, list[float]]) -> None:
    everything = [t for kind in KINDS for t in timings[kind]]
    for kind in (*KINDS, "all"):
        ms = everything if kind == "all" else timings[kind]
        p = percentiles(ms)
        print(
            f"  {label:<10} {kind:<8} {len(ms):>5} queries: p50 {p['p50']:6.1f} ms, "
            f"p95 {p['p95']:6.1f} ms, p99 {p['p99']:6.1f} ms, max {p['max']:7.1f} ms",
            flush=True,
        )


BUCKETS = ((0, 1_000), (1_000, 10_000), (10_000, 50_000), (50_000, 10**9))


def by_size(timings: dict[str, list[float]], totals: list[int], mix: list[tuple[str, str]]) -> None:
    """In-process latency by the number of hits: BM25 scores every matching cable."""
    seen = {kind: 0 for kind in KINDS}
    pairs = []
    for (kind, _), total in zip(mix, totals, strict=True):
        pairs.append((total, timings[kind][seen[kind]]))
        seen[kind] += 1
    for low, high in BUCKETS:
        ms = [t for total, t in pairs if low <= total < high]
        if len(ms) >= 2:
            p = percentiles(ms)
            print(
                f"  in process {f'{low:,}-{high:,}' if high < 10**9 else f'{low:,}+'} hits: "
                f"{len(ms):>4} queries, p50 {p['p50']:6.1f} ms, p95 {p['p95']:6.1f} ms",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/cablegate-bench"))
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", choices=["real", "synthetic"])
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--pg", default=os.environ.get("CABLEGATE_BENCH_PG"))
    parser.add_argument("--seconds", type=int, default=20, help="wrk's run")
    parser.add_argument("--count", type=int, default=251_287, help="the synthetic archive's")
    parser.add_argument(
        "--keep-index", action="store_true", help="no rebuild: the index as it is (its size)"
    )
    args = parser.parse_args()
    os.environ[FACET_CACHE_ENV] = "0"  # every query counts its facets (also in servers)
    for kind, name in (("real", "real"), ("synthetic", synthetic_name(args.count))):
        if args.only and kind != args.only:
            continue
        sqlite_db = args.work / f"{name}.db"
        if "sqlite" in args.backends and not sqlite_db.exists():
            print(f"{name}: {sqlite_db} missing; run bench/ingest.py first", flush=True)
            continue
        pg_db = f"{args.pg}/{name}"
        mix = query_mix(str(sqlite_db) if sqlite_db.exists() else pg_db, args.queries)
        for backend in args.backends.split(","):
            db = str(sqlite_db) if backend == "sqlite" else pg_db
            bench(
                f"{backend}: {name}",
                db,
                mix,
                args.workers,
                args.work,
                args.seconds,
                args.keep_index,
            )
        print(f"  the mix: {mix[:8]}", flush=True)


def bench(
    label: str,
    db: str,
    mix: list[tuple[str, str]],
    workers: int,
    work: Path,
    seconds: int,
    keep_index: bool = False,
) -> None:
    with Archive.open(db, create=False) as archive:  # migrates an older archive first
        cables = archive.stats().cables
    built, size = reindex(db, keep_index)
    how = "kept as it was" if keep_index else f"rebuilt in {built:,.1f} s"
    print(
        f"{label}: {cables:,} cables; search index {how}, "
        f"{size / 2**20:,.1f} MiB ({size / max(cables, 1):,.0f} bytes a cable)",
        flush=True,
    )
    report("top 20", in_process(db, mix, facets=False)[0])
    timings, totals = in_process(db, mix)
    print(
        f"  hits a query: median {statistics.median(totals):,.0f}, "
        f"max {max(totals):,}; queries with no hit: {totals.count(0)}",
        flush=True,
    )
    report("in process", timings)
    by_size(timings, totals, mix)
    proc, base = serve(db, workers)
    try:
        report("over HTTP", over_http(base, mix))
        print(f"  wrk -c64, {workers} processes: {throughput(base, mix, work, seconds)}")
    finally:
        proc.terminate()
        proc.wait(30)
    cached = {k: v for k, v in os.environ.items() if k != FACET_CACHE_ENV}
    proc, base = serve(db, workers, cached)
    try:
        print(
            f"  wrk -c64, {workers} processes, facet counts cached: "
            f"{throughput(base, mix, work, seconds)}"
        )
    finally:
        proc.terminate()
        proc.wait(30)


if __name__ == "__main__":
    main()
