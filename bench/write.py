"""The archive's write path alone: parsed cables stored one by one (``Writer.add``) and in
batches (``Writer.add_many``, what ``cablegate ingest`` does), on each backend.

The real cable pages of ``cablegate-site.tar.xz`` are read and parsed once, up front; then
each way of writing stores all of them into a fresh archive, 1,000 to a transaction, and is
timed: cables/s of the writes alone (no reading, parsing or search index). Both ways must
leave the same rows (a checksum of every table is printed).

PostgreSQL: the server at ``--pg`` (a role that may create databases), else a throwaway one
started here on loopback with the server's default durability settings.

    .venv/bin/python bench/write.py [--corpus ../shared/corpus] [--work /tmp/cablegate-bench]
                                    [--backends sqlite,postgresql] [--pg URL]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from cablegate.archive import Archive, Source  # noqa: E402
from cablegate.archive.records import Prepared, prepare  # noqa: E402
from cablegate.model import Cable  # noqa: E402
from cablegate.readers.collect import Document, Meter, iter_documents, parse_document  # noqa: E402
from ingest import fresh  # noqa: E402

TABLES = ("entries", "versions", "inputs", "cables", "refs", "tags", "browse", "changes")
NOW = "2026-01-01 00:00:00"


def parsed(corpus: Path) -> list[tuple[Prepared, Source]]:
    items = []
    for doc in iter_documents([corpus / "cablegate-site.tar.xz"], Meter(), False):
        if isinstance(doc, Document) and isinstance(cable := parse_document(doc), Cable):
            sha = hashlib.sha256(doc.data).hexdigest()
            items.append((prepare(cable), Source(sha, doc.path, doc.format, doc.line)))
    return items


def write(db: str, items: list[tuple[Prepared, Source]], batched: bool) -> tuple[float, str]:
    """(seconds, checksum of the tables) of storing every item."""
    with Archive.open(db) as archive:
        writer = archive.writer(NOW)
        started = time.perf_counter()
        for start in range(0, len(items), 1000):
            chunk = items[start : start + 1000]
            with archive.transaction():
                if batched:
                    writer.add_many(chunk)
                else:
                    for item, source in chunk:
                        writer.add(item, source)
        seconds = time.perf_counter() - started
        digest = hashlib.sha256()
        for table in TABLES:
            rows = archive.conn.execute(f"SELECT * FROM {table}").fetchall()
            plain = sorted(
                tuple(bytes(v) if isinstance(v, memoryview) else v for v in r) for r in rows
            )
            digest.update(repr(plain).encode())
    return seconds, digest.hexdigest()[:16]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--work", type=Path, default=Path("/tmp/cablegate-bench"))
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--pg", default=os.environ.get("CABLEGATE_BENCH_PG"))
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    server = None
    if "postgresql" in args.backends and not args.pg:
        from tests.pgserver import Server

        server = Server.start(durable=True)
        if server is None:
            sys.exit("no PostgreSQL here: install it, or give --pg")
        args.pg = server.url
    try:
        items = parsed(args.corpus)
        print(f"{len(items):,} real cables parsed", flush=True)
        for backend in args.backends.split(","):
            for batched in (False, True):
                db = fresh(backend, "write", args.work, args.pg)
                seconds, digest = write(db, items, batched)
                how = "in batches (add_many)" if batched else "one by one (add)"
                print(
                    f"{backend}: {how}: {len(items) / seconds:,.0f} cables/s "
                    f"({seconds:.2f} s); tables {digest}",
                    flush=True,
                )
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
