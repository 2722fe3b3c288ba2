"""The website at real and full scale: pages served per second, latency, static build time.

For each archive (the 6,712 real cable pages, and ``--count`` synthetic cables, default the
full release of 251,287, ingested by ``bench/ingest.py`` into ``--work``), on each of
``--backends`` (SQLite files in ``--work``; PostgreSQL databases of the same names on the
``--pg`` server):

1. ``cablegate serve`` on loopback (``--workers`` processes), loaded by ``wrk`` (``--threads``
   threads, ``--connections`` connections, ``--seconds`` per run) requesting cable pages
   picked at random from every cable of the archive: pages/s, p50/p95/p99 latency, errors.
   A second run requests a mix of browse pages (release days, months, tags, origins).
2. ``cablegate build-site`` into a fresh folder on every core: files, MiB, seconds, files/s;
   then the same build again (nothing changed: the incremental no-op). Its static search
   index apart: the seconds of the Pagefind step (of the build's), the MiB of ``pagefind/``
   (of the mirror's).
3. Search in the mirror, in Debian's Chromium (Playwright) from ``python -m http.server``:
   milliseconds from ``pagefind.search()`` to its results, and to the data of the first 20
   (what the search page shows), p50/p95, cold (each query in a new browser context: the
   index's files fetched, after Pagefind's start, timed apart) and warm (the same again).

    .venv/bin/python bench/site.py [--work /tmp/cablegate-bench] [--seconds 20]
                                   [--workers 2] [--skip-build] [--skip-serve]
                                   [--only real|synthetic] [--count 251287]
                                   [--backends sqlite,postgresql] [--pg URL]

Needs ``wrk`` (apt-get install wrk) unless ``--skip-serve``; ``chromium`` for 3.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from _rss import Watch  # noqa: E402
from _serve import CABLEGATE, WRK_REQUESTS, serve, synthetic_name  # noqa: E402
from cablegate import urls  # noqa: E402
from cablegate.archive import Archive  # noqa: E402
from cablegate.errors import CablegateError  # noqa: E402

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


def cable_paths(db: str) -> list[str]:
    with Archive.open(db, create=False) as archive:
        return [urls.cable_url(cid, created) for cid, created, _, _ in archive.page_keys()]


def browse_paths(db: str) -> list[str]:
    with Archive.open(db, create=False) as archive:
        kinds = ("reldate", "month", "tag", "classification")
        keys = [(kind, key, count) for kind in kinds for key, count in archive.browse(kind)]
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


SEARCHES = [
    "embassy", "nuclear", "terrorism", "oil", "election", "visa", "corruption", "military",
    "iran nuclear", "human rights", "china trade", "president minister", '"prime minister"',
    '"security council"', '"human rights"', '"foreign minister"',
]  # fmt: skip
FILTERED = [("embassy", {"tag": "PREL"}), ("oil", {"year": "2008"})]
# (a filter alone is not asked of Pagefind: the search page opens the mirror's listing of it)
# (the search page's own steps: static/search.js)
PAGEFIND_JS = """async ([queries, warm]) => {
  const started = performance.now();
  const index = await (await fetch("/pagefind/index.json")).json();
  const parts = Object.keys(index.parts).sort((a, b) => a - b);
  const pagefind = await import(`/pagefind/${parts[0]}/pagefind.js`);
  await pagefind.options({ baseUrl: "/" });
  for (const part of parts.slice(1)) await pagefind.mergeIndex(`/pagefind/${part}/`);
  await pagefind.init();
  const init = performance.now() - started;
  const times = [];
  for (const [q, filters] of queries) {
    for (let round = 0; round < (warm ? 2 : 1); round++) {
      const t0 = performance.now();
      const found = await pagefind.search(q || null, { filters });
      const t1 = performance.now();
      await Promise.all(found.results.slice(0, 20).map((r) => r.data()));
      const t2 = performance.now();
      if (!warm || round === 1) times.push([t1 - t0, t2 - t0, found.results.length]);
    }
  }
  return { init, times };
}"""


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def browser_search(out: Path) -> dict:
    """Search latency in Chromium over the mirror at ``out`` (see the module doc, 3.)."""
    import socket

    from playwright.sync_api import sync_playwright

    chromium = os.environ.get("CABLEGATE_CHROMIUM") or shutil.which("chromium")
    if not chromium:
        raise SystemExit("chromium is not installed (apt-get install chromium)")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        cwd=out,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    queries = [[q, {}] for q in SEARCHES] + [[q, f] for q, f in FILTERED]
    cold: list[list[float]] = []
    inits: list[float] = []
    try:
        time.sleep(1)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium, args=["--no-sandbox", "--disable-dev-shm-usage"]
            )
            # (a page of the mirror without the search page's CSP, which forbids evaluating)
            for query in queries:
                context = browser.new_context(base_url=f"http://127.0.0.1:{port}")
                page = context.new_page()
                page.goto("/404.html")
                result = page.evaluate(PAGEFIND_JS, [[query], False])
                inits.append(result["init"])
                cold += result["times"]
                context.close()
            context = browser.new_context(base_url=f"http://127.0.0.1:{port}")
            page = context.new_page()
            page.goto("/404.html")
            warm = page.evaluate(PAGEFIND_JS, [queries, True])["times"]
            context.close()
            browser.close()
    finally:
        server.terminate()
        server.wait(10)
    summary = {"queries": len(queries), "init_p50": percentile(inits, 50)}
    for name, times in (("cold", cold), ("warm", warm)):
        for i, what in ((0, "results"), (1, "shown")):
            summary[f"{name}_{what}_p50"] = percentile([t[i] for t in times], 50)
            summary[f"{name}_{what}_p95"] = percentile([t[i] for t in times], 95)
    summary["found"] = [int(t[2]) for t in warm]
    return summary


def folder_mib(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20


def build(db: str, out: Path) -> tuple[dict, dict]:
    shutil.rmtree(out, ignore_errors=True)
    results = []
    for _ in range(2):
        started = time.perf_counter()
        proc = subprocess.Popen(
            [*CABLEGATE, "build-site", str(out), "--db", str(db), "-q"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        watch = Watch(proc.pid)
        _, stderr = proc.communicate()
        peaks = watch.stop()
        seconds = time.perf_counter() - started
        summary = re.sub(r"\s+", " ", stderr)
        files = int(re.search(r"([\d,]+) files", summary).group(1).replace(",", ""))
        written = int(re.search(r"([\d,]+) written", summary).group(1).replace(",", ""))
        mib = float(re.search(r"\(([\d,.]+) MiB\)", summary).group(1).replace(",", ""))
        rc = proc.returncode
        search = re.search(r"search index: (.*) in ([\d.]+) s", summary)
        results.append(
            {"seconds": seconds, "files": files, "written": written, "mib": mib, "rc": rc}
            | {"search": search.group(1) if search else "?"}
            | {"search_seconds": float(search.group(2)) if search else 0.0}
            | {"rss": [peaks.main / 2**20, peaks.largest / 2**20, peaks.tree / 2**20]}
            | {"anon": peaks.anon / 2**20}
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
    parser.add_argument("--skip-serve", action="store_true", help="No wrk runs.")
    parser.add_argument("--only", choices=["real", "synthetic"])
    parser.add_argument("--count", type=int, default=251_287, help="the synthetic archive's")
    parser.add_argument("--backends", default="sqlite")
    parser.add_argument("--pg", default=os.environ.get("CABLEGATE_BENCH_PG"))
    args = parser.parse_args()
    if not shutil.which("wrk") and not args.skip_serve:
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    for kind, name in (("real", "real"), ("synthetic", synthetic_name(args.count))):
        if args.only and kind != args.only:
            continue
        for backend in args.backends.split(","):
            db = str(args.work / f"{name}.db") if backend == "sqlite" else f"{args.pg}/{name}"
            run(f"{backend}: {name}", db, args.work / f"www-{name}-{backend}", args)


def run(label: str, db: str, out: Path, args: argparse.Namespace) -> None:
    """Serve, build and search the mirror of one archive (see the module's doc)."""
    try:
        with Archive.open(db, create=False) as archive:
            cables = archive.stats().cables
    except CablegateError as exc:
        print(f"{label}: {exc}; run bench/ingest.py first", flush=True)
        return
    proc, base = serve(db, args.workers) if not args.skip_serve else (None, "")
    watch = Watch(proc.pid) if proc is not None else None
    try:
        serving = [] if proc is None else [("cable", cable_paths(db))]
        serving += [] if proc is None else [("browse", browse_paths(db))]
        for kind, paths in serving:
            r = load(base, paths, args, args.work)
            print(
                f"{label} ({cables:,} cables), {kind} pages from {len(paths):,}: "
                f"{r['rate']:,.0f} pages/s, p50 {r['p50']:.1f} ms, p95 {r['p95']:.1f} ms, "
                f"p99 {r['p99']:.1f} ms, {r['errors']} errors, "
                f"{r['bytes'] / r['requests'] / 1024:.1f} KiB/page "
                f"({args.workers} server processes, wrk -t{args.threads} "
                f"-c{args.connections} -d{args.seconds}s)",
                flush=True,
            )
        if watch is not None:
            peaks = watch.stop()
            print(
                f"{label}: the server's peak RSS through these runs: {peaks.main / 2**20:,.0f} "
                f"MiB its main process, {peaks.largest / 2**20:,.0f} MiB its largest, "
                f"{peaks.tree / 2**20:,.0f} MiB all its processes ({peaks.anon / 2**20:,.0f} "
                "MiB of it their own, the rest mapped files)",
                flush=True,
            )
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(30)
    if not args.skip_build:
        first, again = build(db, out)
        for what, b in (("static build", first), ("rebuild, nothing changed", again)):
            print(
                f"{label} {what}: {b['files']:,} files, {b['mib']:,.0f} MiB, "
                f"{b['written']:,} written in {b['seconds']:.1f} s "
                f"({b['files'] / b['seconds']:,.0f} files/s), exit {b['rc']}; "
                f"search index {b['search_seconds']:.1f} s: {b['search']}; peak RSS "
                f"{b['rss'][0]:,.0f} MiB build-site's process, {b['rss'][1]:,.0f} MiB its "
                f"largest, {b['rss'][2]:,.0f} MiB all its processes ({b['anon']:,.0f} MiB "
                "of it their own)",
                flush=True,
            )
        index, whole = folder_mib(out / "pagefind"), folder_mib(out)
        pages = first["seconds"] - first["search_seconds"]
        print(
            f"{label} static search index: {first['search_seconds']:.1f} s "
            f"(+{first['search_seconds'] / pages:.0%} on the pages' {pages:.1f} s), "
            f"{index:,.0f} MiB in {sum(1 for _ in (out / 'pagefind').rglob('*')):,} files "
            f"(+{index / (whole - index):.0%} on the pages' {whole - index:,.0f} MiB)",
            flush=True,
        )
    if (out / "pagefind" / "index.json").is_file():
        r = browser_search(out)
        print(
            f"{label} search in Chromium ({r['queries']} queries, ms): Pagefind's start "
            f"p50 {r['init_p50']:.0f}; cold results p50 {r['cold_results_p50']:.0f} p95 "
            f"{r['cold_results_p95']:.0f}, shown (+20 results' data) p50 "
            f"{r['cold_shown_p50']:.0f} p95 {r['cold_shown_p95']:.0f}; warm results p50 "
            f"{r['warm_results_p50']:.0f} p95 {r['warm_results_p95']:.0f}, shown p50 "
            f"{r['warm_shown_p50']:.0f} p95 {r['warm_shown_p95']:.0f}; found {r['found']}",
            flush=True,
        )


if __name__ == "__main__":
    main()
