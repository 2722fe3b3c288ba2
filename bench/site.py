"""The website at real and full scale: pages served per second, latency, static build time.

For each archive (the 6,712 real cable pages, and ``--count`` synthetic cables, default the
full release of 251,287, ingested by ``bench/ingest.py`` into ``--work``):

1. ``cablegate serve`` on loopback (``--workers`` processes), loaded by ``wrk`` (``--threads``
   threads, ``--connections`` connections, ``--seconds`` per run) requesting cable pages
   picked at random from every cable of the archive: pages/s, p50/p95/p99 latency, errors.
   A second run requests a mix of browse pages (release days, months, tags, origins).
2. ``cablegate build-site`` into a fresh folder on every core: files, MiB, seconds, files/s;
   then the same build again (nothing changed: the incremental no-op).

    .venv/bin/python bench/site.py [--work /tmp/cablegate-bench] [--seconds 20]
                                   [--workers 2] [--skip-build] [--only real|synthetic]

Needs ``wrk`` (apt-get install wrk).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from _serve import CABLEGATE, WRK_REQUESTS, serve  # noqa: E402
from cablegate import urls  # noqa: E402

WRK_SCRIPT = (
    WRK_REQUESTS
    + """done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format("RESULT {\\"requests\\": %%d, \\"seconds\\": %%f, \\"errors\\": %%d, "
    .. "\\"p50\\": %%f, \\"p95\\": %%f, \\"p99\\": %%f, \\"bytes\\": %%d}\\n",
    summary.requests, summary.duration / 1e6, errors, latency:percentile(50) / 1e3,
    latency:percentile(95) / 1e3, latency:percentile(99) / 1e3, summary.bytes))
end
"""
)


def cable_paths(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT canonical_id, created FROM cables").fetchall()
    return [urls.cable_url(cid, created) for cid, created in rows]


def browse_paths(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        keys = conn.execute("SELECT kind, key, count FROM browse").fetchall()
    paths = []
    for kind, key, count in keys:
        pages = range(max(1, -(-count // 50)))
        if kind == "reldate":
            paths += [urls.reldate_url(key, n) for n in pages]
        elif kind == "month":
            paths += [urls.month_url(key, n) for n in pages]
        elif kind == "tag":
            paths += [urls.tag_url(key, n) for n in pages]
        elif kind == "classification":
            paths += [urls.classification_url(key, n) or "" for n in pages]
    return [p for p in paths if p]


def load(base: str, paths: list[str], args: argparse.Namespace, work: Path) -> dict:
    listing = work / "wrk-paths.txt"
    listing.write_text("\n".join(paths) + "\n")
    script = work / "wrk.lua"
    script.write_text(WRK_SCRIPT % (listing, random.randrange(1 << 30)))
    # Warm up (each server process renders its side pane once, SQLite fills its cache).
    subprocess.run(
        ["wrk", "-t1", "-c4", "-d3s", "-s", str(script), base],
        capture_output=True,
        check=True,
    )
    out = subprocess.run(
        [
            "wrk",
            f"-t{args.threads}",
            f"-c{args.connections}",
            f"-d{args.seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            base,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = re.search(r"^RESULT (.*)$", out, re.M)
    assert found, out
    result = json.loads(found.group(1))
    result["rate"] = result["requests"] / result["seconds"]
    return result


def build(db: Path, out: Path) -> tuple[dict, dict]:
    shutil.rmtree(out, ignore_errors=True)
    results = []
    for _ in range(2):
        started = time.perf_counter()
        proc = subprocess.run(
            [*CABLEGATE, "build-site", str(out), "--db", str(db), "-q"],
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - started
        summary = re.sub(r"\s+", " ", proc.stderr)
        files = int(re.search(r"([\d,]+) files", summary).group(1).replace(",", ""))
        written = int(re.search(r"([\d,]+) written", summary).group(1).replace(",", ""))
        mib = float(re.search(r"\(([\d,.]+) MiB\)", summary).group(1).replace(",", ""))
        rc = proc.returncode
        results.append(
            {"seconds": seconds, "files": files, "written": written, "mib": mib, "rc": rc}
        )
    return results[0], results[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/cablegate-bench"))
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--skip-build", action="store_true")
    parser.add_argument("--only", choices=["real", "synthetic"])
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    archives = {"real": args.work / "real.db", "synthetic": args.work / "synthetic.db"}
    for name, db in archives.items():
        if args.only and name != args.only:
            continue
        if not db.exists():
            print(f"{name}: {db} missing; run bench/ingest.py first", flush=True)
            continue
        with sqlite3.connect(db) as conn:
            cables = conn.execute("SELECT count(*) FROM cables").fetchone()[0]
        proc, base = serve(db, args.workers)
        try:
            for kind, paths in (("cable", cable_paths(db)), ("browse", browse_paths(db))):
                r = load(base, paths, args, args.work)
                print(
                    f"{name} ({cables:,} cables), {kind} pages from {len(paths):,}: "
                    f"{r['rate']:,.0f} pages/s, p50 {r['p50']:.1f} ms, p95 {r['p95']:.1f} ms, "
                    f"p99 {r['p99']:.1f} ms, {r['errors']} errors, "
                    f"{r['bytes'] / r['requests'] / 1024:.1f} KiB/page "
                    f"({args.workers} server processes, wrk -t{args.threads} "
                    f"-c{args.connections} -d{args.seconds}s)",
                    flush=True,
                )
        finally:
            proc.terminate()
            proc.wait(30)
        if not args.skip_build:
            first, again = build(db, args.work / f"www-{name}")
            for label, b in (("static build", first), ("rebuild, nothing changed", again)):
                print(
                    f"{name} {label}: {b['files']:,} files, {b['mib']:,.0f} MiB, "
                    f"{b['written']:,} written in {b['seconds']:.1f} s "
                    f"({b['files'] / b['seconds']:,.0f} files/s), exit {b['rc']}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
