"""Soak: the server's memory and errors under a long mixed load (issue 18).

``cablegate serve --workers N`` on loopback, on the real archive (``--db``, default
``/tmp/cablegate-bench/real.db``, built by ``bench/ingest.py``), loaded for ``--seconds``
(default 120) by ``wrk`` at ``--connections`` (default 64) connections with a mix of cable
pages, browse pages, API records, API searches and search pages (many different queries, so
caches fill). The resident memory of the server's processes (the supervisor and its
workers) is sampled every second: reported after the warm-up (``--warmup`` seconds, default
20) and at the end, with the growth between them (must stay within 20%), and the errors
(connection errors, timeouts and non-2xx/3xx answers: must be 0).

    .venv/bin/python bench/soak.py [--db /tmp/cablegate-bench/real.db] [--seconds 120]
                                   [--workers 2] [--connections 64] [--warmup 20]

Needs ``wrk`` (apt-get install wrk) and psutil. Exit status 1 when a condition fails.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import re
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import quote_plus

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from _serve import WRK_REQUESTS, serve  # noqa: E402
from cablegate import urls  # noqa: E402
from cablegate.parse import canonical_id  # noqa: E402

WRK_SCRIPT = (
    WRK_REQUESTS
    + """response = function(status, headers, body)
  if status >= 400 then
    io.write("STATUS " .. status .. " " .. string.sub(body, 1, 120) .. "\\n")
  end
end
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format("RESULT {\\"requests\\": %%d, \\"seconds\\": %%f, \\"errors\\": %%d, "
    .. "\\"p50\\": %%f, \\"p99\\": %%f}\\n",
    summary.requests, summary.duration / 1e6, errors, latency:percentile(50) / 1e3,
    latency:percentile(99) / 1e3))
end
"""
)

WORDS = [
    *("iran", "nuclear", "khan", "pakistan", "embassy", "terrorism", "oil", "election"),
    *("visit", "minister", "security", "military", "bank", "trade", "human", "rights"),
    *("police", "corruption", "energy", "gas", "china", "russia", "taliban", "refugees"),
    *("border", "drugs", "navy", "army", "press", "opposition", "president", "budget"),
]


def paths(db: Path, rng: random.Random) -> list[str]:
    """A mix: half pages and listings, a quarter API records, a quarter searches."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        browse = conn.execute("SELECT kind, key FROM browse").fetchall()
        found = conn.execute("SELECT canonical_id, created FROM cables").fetchall()
    # (an archive built before a change to the ID rules holds a few IDs that are no longer
    # canonical, which the site cannot find: left out)
    cables = [(cid, created) for cid, created in found if canonical_id(cid) == cid]
    pages = [urls.cable_url(cid, created) for cid, created in cables]
    listings = [
        f"/{'date' if kind == 'month' else kind}/{key}_0.html"
        for kind, key in browse
        if kind in ("reldate", "month", "tag") and re.fullmatch(r"[\w.-]+", str(key))
    ]
    out: list[str] = []
    for _ in range(4000):
        cid, _ = rng.choice(cables)
        words = " ".join(rng.sample(WORDS, rng.randint(1, 3)))
        q = quote_plus(rng.choice([words, f'"{words}"', f"{words} tag:PREL", f"{words[:4]}*"]))
        out += [
            rng.choice(pages),
            rng.choice(listings) if listings else rng.choice(pages),
            f"/api/cables/{cid}",
            rng.choice([f"/api/search?q={q}", f"/search?q={q}", f"/api/search?q={q}&page=2"]),
        ]
    return out


def rss(proc: psutil.Process) -> int:
    """Resident bytes of a process and its children (the workers)."""
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            total += p.memory_info().rss
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", type=Path, default=Path("/tmp/cablegate-bench/real.db"))
    parser.add_argument("--seconds", type=int, default=120)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()
    rng = random.Random(18)
    with tempfile.TemporaryDirectory() as tmp:
        listed = Path(tmp) / "paths.txt"
        listed.write_text("\n".join(paths(args.db, rng)) + "\n")
        script = Path(tmp) / "soak.lua"
        script.write_text(WRK_SCRIPT % (listed, 18))
        proc, base = serve(args.db, args.workers)
        server = psutil.Process(proc.pid)
        samples: list[tuple[float, int]] = []
        stop = threading.Event()

        def sample() -> None:
            start = time.monotonic()
            while not stop.is_set():
                samples.append((time.monotonic() - start, rss(server)))
                stop.wait(1.0)

        idle = rss(server)
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            run = subprocess.run(
                [
                    *("wrk", "-t2", f"-c{args.connections}", f"-d{args.seconds}s"),
                    *("--timeout", "30s", "-s", str(script), base),
                ],
                capture_output=True,
                text=True,
                check=True,
            )
        finally:
            stop.set()
            sampler.join()
            proc.terminate()
            proc.wait(30)
    statuses = Counter(
        x.split()[1] + " " + x.split(" ", 2)[2][:60]
        for x in run.stdout.splitlines()
        if x.startswith("STATUS ")
    )
    line = next(x for x in run.stdout.splitlines() if x.startswith("RESULT "))
    result = json.loads(line.removeprefix("RESULT "))
    warm = max(r for t, r in samples if t <= args.warmup)
    end = samples[-1][1]
    peak = max(r for _, r in samples)
    growth = (end - warm) / warm
    mib = 2**20
    print(
        f"{result['requests']:,} requests in {result['seconds']:.0f} s "
        f"({result['requests'] / result['seconds']:.0f}/s), errors {result['errors']}, "
        f"p50 {result['p50']:.1f} ms, p99 {result['p99']:.1f} ms"
    )
    print(
        f"server RSS (all processes): idle {idle / mib:.0f} MiB, after {args.warmup} s warm-up "
        f"{warm / mib:.0f} MiB, end {end / mib:.0f} MiB, peak {peak / mib:.0f} MiB, "
        f"growth after warm-up {growth:+.1%}"
    )
    for what, count in statuses.most_common(5):
        print(f"  {count} x HTTP {what}")
    ok = result["errors"] == 0 and growth <= 0.20
    print("OK" if ok else "FAILED: errors must be 0 and growth at most 20%")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
