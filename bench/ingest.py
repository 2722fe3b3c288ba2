"""End-to-end ingest: read, parse on every core, store, index; at real and full scale.

Runs ``cablegate ingest`` as a separate process into a fresh archive on each backend
(SQLite, PostgreSQL) and measures: cables/s end to end, wall time, peak RSS (the ingest
process alone and its whole process tree, sampled from /proc), and the database size. Two
collections:

1. real: the 6,712 cable pages of ``cablegate-site.tar.xz``;
2. synthetic: ``--count`` cables (default 251,287, the full release; beyond it PlusD's
   1970s cables, 2,300,000 for PlusD's size) written by ``cablegate synth`` as one
   ``cables.csv``, the format the full release came in. The archive is named
   ``synthetic`` (the release's size) or ``synthetic-COUNT``, as ``bench/search.py`` and
   ``bench/site.py --count`` find it.

PostgreSQL: the server at ``--pg`` (``postgresql://user@host:port``, a role that may create
databases), else a throwaway one started here on loopback (as the tests do), with the
server's default durability settings.

    .venv/bin/python bench/ingest.py [--corpus ../shared/corpus] [--count 251287]
                                     [--work /tmp/cablegate-bench] [--jobs 0]
                                     [--backends sqlite,postgresql] [--pg URL]
                                     [--skip-real] [--skip-synthetic] [--no-index]

The ingest summary says how much of the time went to bringing the search index up to date
after each batch ("of which N s for the search index").
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CABLEGATE = [sys.executable, "-m", "cablegate.cli"]

from _rss import Peaks  # noqa: E402
from _serve import synthetic_name  # noqa: E402


def fresh(backend: str, name: str, work: Path, pg: str | None) -> str:
    """A new empty database: an SQLite path, or a PostgreSQL URL (dropped and made again)."""
    if backend == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{work / name}.db{suffix}").unlink(missing_ok=True)
        shutil.rmtree(work / f"{name}.index", ignore_errors=True)  # and its search index
        return str(work / f"{name}.db")
    import psycopg

    assert pg is not None
    with psycopg.connect(f"{pg}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    from cablegate.archive import Archive
    from cablegate.search.index import default_path

    with Archive.open(f"{pg}/{name}") as archive:  # and its search index of an earlier run
        shutil.rmtree(default_path(archive), ignore_errors=True)
    return f"{pg}/{name}"


def database_mib(db: str) -> float:
    from cablegate.archive import Archive

    with Archive.open(db, create=False) as archive:
        if archive.dialect.name == "postgresql":
            sql = "SELECT pg_database_size(current_database())"
            return archive.conn.execute(sql).fetchone()[0] / 2**20
    size = sum(Path(f"{db}{s}").stat().st_size for s in ("", "-wal") if Path(f"{db}{s}").exists())
    return size / 2**20


def index_mib(db: str) -> float:
    from cablegate.archive import Archive
    from cablegate.search.index import default_path

    with Archive.open(db, create=False) as archive:
        path = default_path(archive)
    if not path.exists():  # --no-index
        return 0.0
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


def run_ingest(source: Path, db: str, jobs: int, no_index: bool = False) -> dict[str, float]:
    started = time.perf_counter()
    proc = subprocess.Popen(
        [*CABLEGATE, "ingest", str(source), "--db", db, "-q", "-j", str(jobs)]
        + ["--no-index"] * no_index,
        stderr=subprocess.PIPE,
        text=True,
    )
    peaks = Peaks()
    while proc.poll() is None:
        peaks.add(proc.pid)
        time.sleep(0.25)
    seconds = time.perf_counter() - started
    summary = proc.stderr.read() if proc.stderr else ""
    if proc.returncode:
        sys.exit(f"ingest failed:\n{summary}")
    from cablegate.archive import Archive

    with Archive.open(db, create=False) as archive:
        cables = archive.conn.execute("SELECT count(*) FROM cables").fetchone()[0]
        versions = archive.conn.execute("SELECT count(*) FROM versions").fetchone()[0]
    return {
        "cables": cables,
        "versions": versions,
        "seconds": seconds,
        "rate": versions / seconds,
        "rss_main": peaks.main / 2**20,
        "rss_tree": peaks.tree / 2**20,
        "anon": peaks.anon / 2**20,
        "db_mib": database_mib(db),
        "index_mib": index_mib(db),
        "summary": " ".join(summary.split()),
        "rss_curve": peaks.tenths(),
    }


def report(name: str, r: dict) -> None:
    print(
        f"{name}: {r['cables']:,} cables ({r['versions']:,} versions) in {r['seconds']:.1f} s "
        f"= {r['rate']:,.0f} cables/s; peak RSS {r['rss_main']:.0f} MiB ingest process, "
        f"{r['rss_tree']:.0f} MiB with workers ({r['anon']:.0f} MiB of it their own, the rest "
        f"mapped files); database {r['db_mib']:,.0f} MiB, "
        f"search index {r['index_mib']:,.0f} MiB",
        flush=True,
    )
    curve = ", ".join(f"{mib:,.0f}" for mib in r["rss_curve"])
    print(f"    ingest process RSS at each tenth of the run (MiB): {curve}", flush=True)
    print(f"    {r['summary']}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--count", type=int, default=251_287)
    parser.add_argument("--work", type=Path, default=Path("/tmp/cablegate-bench"))
    parser.add_argument("--jobs", type=int, default=0, help="parsing processes (0: all cores)")
    parser.add_argument("--skip-real", action="store_true")
    parser.add_argument("--skip-synthetic", action="store_true")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--pg", default=os.environ.get("CABLEGATE_BENCH_PG"))
    parser.add_argument(
        "--no-index", action="store_true", help="ingest --no-index: no search index kept"
    )
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    backends = args.backends.split(",")
    server = None
    if "postgresql" in backends and not args.pg:
        sys.path.insert(0, str(ROOT))
        from tests.pgserver import Server

        server = Server.start(durable=True)
        if server is None:
            sys.exit("no PostgreSQL here: install it, or give --pg")
        args.pg = server.url
    try:
        run_all(args, backends)
    finally:
        if server is not None:
            server.stop()


def run_all(args: argparse.Namespace, backends: list[str]) -> None:
    print(f"cores: {os.cpu_count()}, jobs: {args.jobs or os.cpu_count()}", flush=True)
    for backend in backends if not args.skip_real else []:
        db = fresh(backend, "real", args.work, args.pg)
        real = run_ingest(args.corpus / "cablegate-site.tar.xz", db, args.jobs, args.no_index)
        report(f"{backend}: real (cablegate-site.tar.xz)", real)
    if args.skip_synthetic:
        return
    synthetic = args.work / f"synth-{args.count}"
    if not (synthetic / "cables.csv").exists():
        shutil.rmtree(synthetic, ignore_errors=True)
        started = time.perf_counter()
        subprocess.run(
            [
                *CABLEGATE,
                "synth",
                str(synthetic),
                "--count",
                str(args.count),
                "--format",
                "csv",
                "--corpus",
                str(args.corpus),
            ],
            check=True,
        )
        print(f"synthesised {args.count:,} cables in {time.perf_counter() - started:.0f} s")
    size = (synthetic / "cables.csv").stat().st_size / 2**20
    for backend in backends:
        db = fresh(backend, synthetic_name(args.count), args.work, args.pg)
        result = run_ingest(synthetic, db, args.jobs, args.no_index)
        report(f"{backend}: synthetic ({args.count:,} cables, cables.csv of {size:,.0f} MiB)",
               result)  # fmt: skip


if __name__ == "__main__":
    main()
