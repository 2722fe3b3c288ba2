"""The search index alone at PlusD's size: built straight from synthetic records, then queried.

An ingest of 2.3 million records does not fit a session on this machine (bench/ingest.py:
~700 cables/s on SQLite, so about an hour, and four times that on PostgreSQL), so this builds
the Tantivy index directly from synthetic records (``cablegate.synth``, the same recombined
real texts that ``bench/ingest.py`` ingests) and measures what the index itself costs at that
size: build time on every core, size on disk, and the latency of ``bench/search.py``'s query
mix (drawn from the records here) on the index, compiled by the project's one compiler: the
top 20 alone, and the top 20 with the five facets (origin, tag, classification, year, month)
in one aggregation. What this leaves out, next to ``bench/search.py``'s in-process figures:
the archive's lookup of the 20 rows listed and their snippets (a few ms, independent of the
archive's size).

Records past the release's 251,287 IDs repeat its IDs and months with a PlusD-like suffix
(``09STATE1234_b``, ``_c``, ...), so every record is a distinct cable with the real
distribution of origins and months.

    .venv/bin/python bench/search_index.py [--count 2300000] [--queries 1000]
                                           [--work /tmp/cablegate-bench] [--jobs 0] [--keep]
"""

from __future__ import annotations

import argparse
import os
import shutil
import string
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

import msgspec  # noqa: E402
import tantivy  # noqa: E402

from cablegate.parse import parse_tags  # noqa: E402
from cablegate.search import index as indexes  # noqa: E402
from cablegate.search.compile import Compiler  # noqa: E402
from cablegate.search.engine import _aggregations, _ranked, _top  # noqa: E402
from cablegate.search.query import parse_query  # noqa: E402
from cablegate.synth import Synthesizer, load_months, load_templates  # noqa: E402
from search import KINDS, mix_from, report  # noqa: E402

CHUNK = 5_000
_synth: Synthesizer | None = None
_months: list[tuple[str, int]] = []


def _init(corpus: str) -> None:
    global _synth, _months
    _months = load_months(Path(corpus))
    _synth = Synthesizer(_months, load_templates(Path(corpus)))


Facts = tuple[str, list[str], str, str, str]


def _chunk(start: int, count: int) -> tuple[list[bytes], list[Facts]]:
    """Index documents of records start..start+count (deterministic per chunk), and what the
    query mix is drawn from: (subject, tags, origin, classification, year) of a few."""
    assert _synth is not None
    _synth.random.seed(start)
    docs, facts = [], []
    encode = msgspec.json.Encoder().encode
    for n in range(start, start + count):
        ref_id, month = _months[n % len(_months)]
        cable = _synth.cable(ref_id, month)
        round_ = n // len(_months)
        if round_:
            suffix = "_" + string.ascii_lowercase[round_ % 26]
            cable = msgspec.structs.replace(cable, canonical_id=ref_id + suffix)
        cable = msgspec.structs.replace(cable, tags=parse_tags(cable.body))
        docs.append(encode(indexes.document(n + 1, cable)))
        if n % 50 == 0:
            year = f"{cable.created:%Y}" if cable.created else ""
            facts.append(
                (cable.subject or "", cable.tags, cable.origin or "", cable.classification, year)
            )
    return docs, facts


def build(path: Path, count: int, corpus: Path, jobs: int) -> tuple[float, list[tuple]]:
    from cablegate.workers import pool

    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    index = indexes.SearchIndex(path, tantivy.Index(indexes.SCHEMA, str(path)))
    writer = index.index.writer(min(1_000_000_000, 100_000_000 * jobs), jobs)
    facts: list[tuple] = []
    started = time.perf_counter()
    with pool(jobs, _init, (str(corpus),)) as executor:
        starts = iter(range(0, count, CHUNK))
        pending = []

        def submit() -> None:
            for start in starts:
                pending.append(executor.submit(_chunk, start, min(CHUNK, count - start)))
                return

        for _ in range(2 * jobs + 1):
            submit()
        done = 0
        while pending:
            docs, some = pending.pop(0).result()
            submit()
            for doc in docs:
                writer.add_json(doc.decode())
            facts.extend(some)
            done += len(docs)
            if done % 100_000 < CHUNK:
                rate = done / (time.perf_counter() - started)
                print(f"  {done:,} / {count:,} records, {rate:,.0f}/s", flush=True)
    writer.commit()
    writer.wait_merging_threads()
    return time.perf_counter() - started, facts


def timings(
    path: Path, mix: list[tuple[str, str]], facets: bool
) -> tuple[dict[str, list[float]], list[int]]:
    index = indexes.SearchIndex(path, tantivy.Index.open(str(path)))
    searcher = index.searcher()
    aggregations = _aggregations(20)

    def once(q: str) -> int:
        query = parse_query(q)
        compiled = Compiler().compile(query.tree)
        found = _top(searcher, compiled, _ranked(query, "relevance", None), "relevance", 0, 20)
        if facets:
            searcher.aggregate(compiled, aggregations)
        searcher.fast_field_values("row", [a for _, a in found.hits])
        return found.count

    for _, q in mix:  # warm up
        once(q)
    out: dict[str, list[float]] = {kind: [] for kind in KINDS}
    totals = []
    for kind, q in mix:
        started = time.perf_counter()
        totals.append(once(q))
        out[kind].append((time.perf_counter() - started) * 1000)
    return out, totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=2_300_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--work", type=Path, default=Path("/tmp/cablegate-bench"))
    parser.add_argument("--jobs", type=int, default=0)
    parser.add_argument("--keep", action="store_true", help="keep the index afterwards")
    parser.add_argument(
        "--reuse", action="store_true", help="query the index a --keep run left (no build)"
    )
    args = parser.parse_args()
    jobs = args.jobs or os.cpu_count() or 1
    path = args.work / f"synthetic-{args.count}.index"
    facts_file = path.with_suffix(".facts.json")
    if args.reuse:
        facts = msgspec.json.decode(facts_file.read_bytes())
        seconds = float("nan")
    else:
        print(f"building {path} from {args.count:,} records on {jobs} cores", flush=True)
        seconds, facts = build(path, args.count, args.corpus, jobs)
        facts_file.write_bytes(msgspec.json.encode(facts))
    size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    print(
        f"built in {seconds:,.1f} s ({args.count / seconds:,.0f} records/s), "
        f"{size / 2**20:,.0f} MiB ({size / args.count:,.0f} bytes a record)",
        flush=True,
    )
    subjects = [f[0] for f in facts]
    tags = sorted({t for f in facts for t in f[1]})
    origins = sorted({f[2] for f in facts if f[2]})
    classes = sorted({f[3] for f in facts if f[3]})
    years = sorted({f[4] for f in facts if f[4]})
    mix = mix_from(subjects, tags, origins, classes, years, args.queries)
    for label, facets in (("top 20", False), ("facets", True)):
        found, totals = timings(path, mix, facets)
        report(label, found)
    print(f"  hits a query: median {sorted(totals)[len(totals) // 2]:,}, max {max(totals):,}")
    if not (args.keep or args.reuse):
        shutil.rmtree(path, ignore_errors=True)
        facts_file.unlink()


if __name__ == "__main__":
    main()
