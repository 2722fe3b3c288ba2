"""What the benchmarks share: ``cablegate serve`` on a free loopback port, the names of
their archives."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

CABLEGATE = [sys.executable, "-m", "cablegate"]

WRK_REQUESTS = """
local paths = {}
for line in io.lines("%s") do paths[#paths + 1] = line end
math.randomseed(%d)
request = function()
  return wrk.format("GET", paths[math.random(#paths)])
end
"""
"""The start of a wrk script: GET the paths of a file (``%s``) in a random order (seed
``%d``); the benchmark adds what it reports."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(
    db: Path | str, workers: int, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen, str]:
    """(the server process, its base URL), once it answers; ``env``: its environment."""
    port = free_port()
    proc = subprocess.Popen(
        [*CABLEGATE, "serve", "--db", str(db), "--port", str(port), "-w", str(workers)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(base + "/faq.html", timeout=5).read()
            return proc, base
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("cablegate serve did not start")


def synthetic_name(count: int) -> str:
    """The synthetic archive of a size (SQLite file stem in ``--work``, PostgreSQL database),
    as ``bench/ingest.py --count`` makes it."""
    return "synthetic" if count == 251_287 else f"synthetic-{count}"
